"""Who may call the server: a bearer token checked by an :class:`Authorizer`.

Until grants exist there is one local token for the vault's owner. ``knowme token`` makes a new one (the old one
stops working at once, even in a running server) and prints it once; the vault keeps only its SHA-256 digest,
under the meta key :data:`TOKEN_META_KEY`. Tokens are 256 random bits, so a plain digest is enough (no slow hash
needed) and comparison is in constant time.

Every endpoint names the scope it needs (:data:`SCOPES`) through :func:`require`; an :class:`Authorizer` turns a
token into a :class:`Principal` that holds scopes. The local token's principal holds them all. A grant-based
authorizer (a client allowed some scopes until a date) replaces :class:`LocalTokenAuthorizer` without any endpoint
changing: pass it to :func:`knowme.server.create_app`.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from knowme.server.errors import Forbidden, Unauthorized
from knowme.store.base import Store

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
}
ALL_SCOPES = frozenset(SCOPES)


@dataclass(frozen=True)
class Principal:
    """Who is calling and what they may do."""

    client: str
    scopes: frozenset[str]

    def allows(self, scope: str) -> bool:
        return scope in self.scopes


OWNER = Principal(client="owner", scopes=ALL_SCOPES)


class Authorizer(ABC):
    """Turns the bearer token of a request (``None`` when absent) into a :class:`Principal`."""

    @abstractmethod
    def authenticate(self, token: str | None) -> Principal:
        """Return who holds ``token``; raise :class:`Unauthorized` when it is missing or unknown."""


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


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header value, else None."""
    if not authorization:
        return None
    scheme, _, value = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


_bearer = HTTPBearer(auto_error=False, description="The token printed by `knowme token`.")


def require(scope: str) -> Callable[..., Principal]:
    """A FastAPI dependency: the caller's :class:`Principal`, which must hold ``scope``."""
    if scope not in SCOPES:
        raise ValueError(f"unknown scope {scope!r}")

    def dependency(
        request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
    ) -> Principal:
        authorizer: Authorizer = request.app.state.authorizer
        principal = authorizer.authenticate(credentials.credentials if credentials else None)
        if not principal.allows(scope):
            raise Forbidden(f"this token may not {SCOPES[scope]} (scope {scope!r})")
        return principal

    return dependency
