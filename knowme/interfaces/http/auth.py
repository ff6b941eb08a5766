"""Who may call the server: a bearer token checked by an :class:`Authorizer`.

Two kinds of token reach the server. The owner's token: ``knowme token`` makes a new one (the old one stops working
at once, even in a running server) and prints it once; the vault keeps only its SHA-256 digest, under the meta key
:data:`TOKEN_META_KEY`. A client's grant token: ``knowme grant add CLIENT --scopes ...`` (see
:mod:`knowme.privacy.grants`) lends a slice of the vault to another assistant until a date. Tokens are 256 random
bits, so a plain digest is enough (no slow hash needed) and comparison is in constant time.

Every endpoint names the scope it needs (:data:`SCOPES`) through :func:`require`; an :class:`Authorizer` turns a
token into a :class:`Principal` that holds scopes. The owner's principal holds them all. A grant's principal holds
only the reading scopes of :data:`GRANT_SCOPES` (search, records, ask, chat, mcp, status) and carries the grant, so
those endpoints show only the kinds and sensitive classes the grant names and write every disclosure to the audit
log. Everything else (the graph, preferences, feedback, digest, uploads, forget, export, audit, grants) is the
owner's alone. :class:`VaultAuthorizer` (the default) checks both kinds on every request, so a revoked or expired
grant stops working at once; :class:`LocalTokenAuthorizer` accepts only the owner's token.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from knowme.errors import AccessDenied
from knowme.interfaces.http.errors import Forbidden, Unauthorized
from knowme.models.governance import Grant
from knowme.store.base import Store

if TYPE_CHECKING:
    from knowme.vault import Vault

TOKEN_META_KEY = "server.token_sha256"
TOKEN_PREFIX = "km_"

#: Every scope an endpoint may require. Grants will hand out subsets of these.
SCOPES: dict[str, str] = {
    "status": "see what the vault holds (counts, model)",
    "search": "search the vault and read the passages found",
    "records": "open a record by its reference, list recent records",
    "ask": "ask questions answered from the vault",
    "chat": "use the OpenAI-compatible proxy (answers with the vault's context)",
    "remember": "add notes to the vault",
    "ingest": "upload files into the vault",
    "mcp": "use the MCP endpoint (its tools need the scopes above)",
    "graph": "read the knowledge graph: people, profiles, facts, timeline",
    "prefs": "read and edit the user's preferences",
    "feedback": "rate or correct what knowme showed",
    "digest": "see the digest: birthdays, due commitments, mail awaiting a reply",
    "forget": "forget records and what was derived from them",
    "export": "export the whole vault",
    "audit": "read the audit log and manage grants",
    "approve": "approve or reject what assistants asked to store or forget",
}
ALL_SCOPES = frozenset(SCOPES)
#: What a client holding a grant may call; what it is shown is further limited by the grant's own scopes.
GRANT_SCOPES = frozenset({"status", "search", "records", "ask", "chat", "mcp"})


@dataclass(frozen=True)
class Principal:
    """Who is calling and what they may do."""

    client: str
    scopes: frozenset[str]
    grant: Grant | None = None  # None: the vault's owner

    def allows(self, scope: str) -> bool:
        return scope in self.scopes


OWNER = Principal(client="owner", scopes=ALL_SCOPES)


class Authorizer(ABC):
    """Turns the bearer token of a request (``None`` when absent) into a :class:`Principal`."""

    @abstractmethod
    def authenticate(self, token: str | None) -> Principal:
        """Return who holds ``token``; raise :class:`Unauthorized` when it is missing or unknown."""

    def resolve(self, token: str | None) -> tuple[Principal, Vault | None]:
        """Who holds ``token`` and, on a server of many users (``knowme serve --store``), the vault it opens, to be
        handed back with :meth:`release` when the request is over. None: the app's own single vault."""
        return self.authenticate(token), None

    def release(self, vault: Vault) -> None:  # noqa: B027 - optional, a no-op by default
        """Hand back a vault :meth:`resolve` returned (the default single-vault server has nothing to do)."""


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(store: Store) -> str:
    """Make a new owner token, keep only its digest in the vault, and return it (the only time it is seen)."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with store.transaction():
        store.set_meta(TOKEN_META_KEY, _digest(token))
    return token


def has_token(store: Store) -> bool:
    return bool(store.get_meta(TOKEN_META_KEY))


class LocalTokenAuthorizer(Authorizer):
    """The owner's single token, checked against the digest in the vault on every request (so rotation is seen)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def authenticate(self, token: str | None) -> Principal:
        if not token:
            raise Unauthorized("a bearer token is required: send 'Authorization: Bearer <token>' (see `knowme token`)")
        expected = self.store.get_meta(TOKEN_META_KEY)
        if not expected:
            raise Unauthorized("this vault has no API token yet: create one with `knowme token`")
        if not hmac.compare_digest(_digest(token), expected):
            raise Unauthorized("the bearer token is not valid (create a new one with `knowme token`)")
        return OWNER


class VaultAuthorizer(LocalTokenAuthorizer):
    """The owner's token, else a client's active grant (checked against the vault on every request)."""

    def __init__(self, vault: Vault) -> None:
        super().__init__(vault.store)
        self.vault = vault

    def authenticate(self, token: str | None) -> Principal:
        if not token:
            raise Unauthorized(
                "a bearer token is required: send 'Authorization: Bearer <token>' (see `knowme token` and "
                "`knowme grant add`)"
            )
        expected = self.store.get_meta(TOKEN_META_KEY)
        if expected and hmac.compare_digest(_digest(token), expected):
            return OWNER
        try:
            grant = self.vault.check_grant(token)
        except AccessDenied as exc:
            if str(exc).startswith("unknown token"):
                raise Unauthorized(
                    "the bearer token is not valid: use the owner's token (create one with `knowme token`) or a "
                    "client's grant token (`knowme grant add`)"
                ) from None
            raise Unauthorized(str(exc)) from None  # expired or revoked: say which
        return Principal(client=grant.client, scopes=GRANT_SCOPES, grant=grant)


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header value, else None."""
    if not authorization:
        return None
    scheme, _, value = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


_bearer = HTTPBearer(auto_error=False, description="The token printed by `knowme token`.")
bearer_scheme = _bearer  # the same scheme for other dependencies (one security scheme in the OpenAPI document)


def require(scope: str) -> Callable[..., Principal]:
    """A FastAPI dependency: the caller's :class:`Principal`, which must hold ``scope``."""
    if scope not in SCOPES:
        raise ValueError(f"unknown scope {scope!r}")

    def dependency(
        request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
    ) -> Principal:
        principal, _vault = resolve_request(request, credentials.credentials if credentials else None)
        if not principal.allows(scope):
            raise Forbidden(f"this token may not {SCOPES[scope]} (scope {scope!r})")
        return principal

    return dependency


#: Where a request's resolved (principal, vault) is kept (``request.state``, i.e. the ASGI scope's ``state``).
RESOLVED_STATE = "knowme_resolved"


def resolve_request(request: Request, token: str | None) -> tuple[Principal, Vault]:
    """The caller's :class:`Principal` and the vault the request works on, resolved once per request: the app's
    vault, or (in service mode) the token's user's vault, leased until the request ends."""
    state = request.scope.setdefault("state", {})
    done: tuple[Principal, Vault] | None = state.get(RESOLVED_STATE)
    if done is not None:
        return done
    authorizer: Authorizer = request.app.state.authorizer
    principal, vault = authorizer.resolve(token)
    if vault is None:
        vault = request.app.state.vault
        if vault is None:
            raise Unauthorized("this server holds no vault for that token")
    state[RESOLVED_STATE] = (principal, vault)
    return principal, vault
