"""Service mode: one ``knowme serve --store postgresql://...`` process serves every user of the vault service.

The bearer token says whose data a request reaches. :class:`ServiceAuthorizer` asks the service's token index
(:class:`knowme.store.pgtokens.TokenIndex`, digests only) who holds the token: a user's own API token (printed by
``knowme users add``) is that user's owner principal, with every scope; a client's grant token (grants are per
user, ``Vault.grant``) maps to its user through the ``grant_tokens`` index, and is then checked inside that user's
vault exactly as the single-vault server checks it (:class:`~knowme.interfaces.http.auth.VaultAuthorizer`: only the
reading scopes, filtered by the grant and audited; revoked or expired is a 401 at the next request). Nothing about a
token is cached, so a removed user, a new token or a revoked grant is seen at once by every process.

:class:`TenantVaults` keeps a small LRU cache of open per-user vaults (one PostgreSQL connection each), all sharing
one :class:`~knowme.llm.batching.BatchingEmbedder` and one chat backend. A request leases its vault
(:meth:`ServiceAuthorizer.resolve`) and hands it back when the response is complete (:class:`ReleaseVaults`, or the
MCP tool's own ``with``); only vaults nobody holds are closed when the cache is over its size, so a busy moment may
hold more open vaults than ``max_open`` for a while. The cache is the only state: any number of processes may
serve one database behind a load balancer.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from knowme.config import Settings
from knowme.connectors.archive import scratch_root, sweep
from knowme.errors import ConfigError
from knowme.interfaces.http.app import Limits, create_app
from knowme.interfaces.http.auth import OWNER, RESOLVED_STATE, Authorizer, Principal, VaultAuthorizer
from knowme.interfaces.http.errors import Unauthorized
from knowme.llm.base import ChatBackend
from knowme.llm.batching import BatchingEmbedder
from knowme.llm.embedders import Embedder
from knowme.llm.registry import make_backend
from knowme.privacy.grants import token_hash
from knowme.store.base import Store
from knowme.store.pgtokens import TokenIndex
from knowme.store.service import Service
from knowme.vault import Vault

#: Open per-user vaults a process keeps (each holds one database connection).
DEFAULT_MAX_OPEN = 32


class _SharedBackend:
    """One chat backend for every user's vault (an embedded model is loaded once), made on first use."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._backend: ChatBackend | None = None
        self._lock = threading.Lock()

    def get(self) -> ChatBackend:
        with self._lock:
            if self._backend is None:
                self._backend = make_backend(self.settings.llm)
            return self._backend

    def close(self) -> None:
        with self._lock:
            if self._backend is not None:
                self._backend.close()
                self._backend = None


class TenantVaults:
    """An LRU cache of open per-user :class:`~knowme.Vault` objects with leases (see the module docstring).

    A vault is cached under its user's name and the user's creation time, so a user removed and added again under
    the same name (a new data key) never meets the old vault. Each vault's ``home`` is a private scratch folder of
    this process (uploads are unpacked there), not the shared settings folder.
    """

    def __init__(
        self, service: Service, settings: Settings, embedder: Embedder, *, home: Path, max_open: int = DEFAULT_MAX_OPEN
    ) -> None:
        self.service = service
        self.settings = settings
        self.embedder = embedder if isinstance(embedder, BatchingEmbedder) else BatchingEmbedder(embedder)
        self.home = home
        self.max_open = max(1, max_open)
        sweep("serve")  # the scratch of a killed server (its users' uploads)
        self.scratch = Path(tempfile.mkdtemp(prefix=f"knowme-serve-{os.getpid()}-", dir=scratch_root()))
        self._backend = _SharedBackend(settings)
        self._open: OrderedDict[tuple[str, object], Vault] = OrderedDict()
        self._leases: dict[tuple[str, object], int] = {}
        self._keys: dict[int, tuple[str, object]] = {}  # id(vault) -> its key
        self._lock = threading.Lock()
        self._opening: dict[tuple[str, object], threading.Lock] = {}

    def _lease(self, key: tuple[str, object]) -> Vault | None:
        """The cached vault under ``key``, leased (call with the lock held)."""
        vault = self._open.get(key)
        if vault is not None:
            self._open.move_to_end(key)
            self._leases[key] = self._leases.get(key, 0) + 1
        return vault

    def acquire(self, user: str, generation: object = None) -> Vault:
        """The open vault of ``user`` (opened on first use), leased until :meth:`release`. ``generation`` tells
        apart users who had the same name (the service passes the user's creation time)."""
        key = (user, generation)
        with self._lock:
            vault = self._lease(key)
            if vault is not None:
                return vault
            opening = self._opening.setdefault(key, threading.Lock())
        with opening:  # one thread opens a user's vault; the others wait for it
            with self._lock:
                vault = self._lease(key)
                if vault is not None:
                    return vault
            vault = self._make(user, generation)
            with self._lock:
                self._open[key] = vault
                self._keys[id(vault)] = key
                self._lease(key)
                self._opening.pop(key, None)
                idle = self._evict()
        for old in idle:
            self._close(old)
        return vault

    def _make(self, user: str, generation: object = None) -> Vault:
        store = self.service.open_store(user, dim=self.embedder.dim)
        home = self.scratch / user
        home.mkdir(mode=0o700, exist_ok=True)
        queries = self.embedder.for_tenant(f"{user}\x00{generation}")  # its own query cache: no timing another's
        return TenantVault(home, store, queries, self.settings, self._backend)

    def release(self, vault: Vault) -> None:
        with self._lock:
            key = self._keys.get(id(vault))
            if key is not None and key in self._leases:
                self._leases[key] = max(0, self._leases[key] - 1)
            idle = self._evict()
        for old in idle:
            self._close(old)

    def _evict(self) -> list[Vault]:
        """Take idle vaults out of the cache while it is over its size (call with the lock held)."""
        out: list[Vault] = []
        for key in list(self._open):
            if len(self._open) <= self.max_open:
                break
            if self._leases.get(key, 0) == 0:
                vault = self._open.pop(key)
                self._leases.pop(key, None)
                self._keys.pop(id(vault), None)
                out.append(vault)
        return out

    def _close(self, vault: Vault) -> None:
        vault.close()

    def open_users(self) -> dict[str, int]:
        """The users whose vaults are open, least recently used first, with how many requests hold each."""
        with self._lock:
            return {user: self._leases.get((user, gen), 0) for user, gen in self._open}

    def close(self) -> None:
        with self._lock:
            vaults = list(self._open.values())
            self._open.clear()
            self._leases.clear()
            self._keys.clear()
        for vault in vaults:
            self._close(vault)
        self._backend.close()
        shutil.rmtree(self.scratch, ignore_errors=True)


class TenantVault(Vault):
    """A service user's vault whose chat backend is the process's shared one (not made, nor closed, per user)."""

    def __init__(
        self, home: Path, store: Store, embedder: Embedder, settings: Settings, shared: _SharedBackend
    ) -> None:
        super().__init__(home, store, embedder, settings)
        self._shared = shared

    @property
    def backend(self) -> ChatBackend:
        return self._shared.get()

    def close(self) -> None:
        self.store.close()


class ServiceAuthorizer(Authorizer):
    """Tokens of the vault service: a user's API token, or a client's grant token of one user."""

    def __init__(self, vaults: TenantVaults, index: TokenIndex) -> None:
        self.vaults = vaults
        self.index = index

    def resolve(self, token: str | None) -> tuple[Principal, Vault | None]:
        if not token:
            raise Unauthorized(
                "a bearer token is required: send 'Authorization: Bearer <token>' (the token `knowme users add` "
                "printed, or a client's grant token)"
            )
        owner = self.index.owner_of(token_hash(token))
        if owner is None:
            raise Unauthorized(
                "the bearer token is not valid: use your token from `knowme users add` or a client's grant token"
            )
        vault = self.vaults.acquire(owner.user, owner.since)
        if owner.owner:
            return OWNER, vault
        try:
            principal = VaultAuthorizer(vault).authenticate(token)
        except BaseException:
            self.vaults.release(vault)
            raise
        return principal, vault

    def release(self, vault: Vault) -> None:
        self.vaults.release(vault)

    def authenticate(self, token: str | None) -> Principal:
        principal, vault = self.resolve(token)
        if vault is not None:
            self.release(vault)
        return principal


class ReleaseVaults:
    """ASGI middleware: hand back the vault a request leased once its response is complete (streams included)."""

    def __init__(self, app: ASGIApp, authorizer: Authorizer) -> None:
        self.app = app
        self.authorizer = authorizer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self.app(scope, receive, send)
        finally:
            state: dict[str, Any] = scope.get("state") or {}
            resolved = state.pop(RESOLVED_STATE, None)
            if resolved is not None:
                self.authorizer.release(resolved[1])


def build_service_app(
    service: Service,
    settings: Settings,
    embedder: Embedder,
    *,
    home: Path,
    host: str = "127.0.0.1",
    limits: Limits = Limits(),  # noqa: B008 - frozen
    max_open: int = DEFAULT_MAX_OPEN,
) -> tuple[FastAPI, TenantVaults, TokenIndex]:
    """The whole server (API, MCP, proxy, web page) over every user of ``service``; the caller closes the cache and
    the index when the server stops."""
    from functools import partial

    from knowme.interfaces.mcp.http import mount_mcp
    from knowme.interfaces.web import mount_web

    vaults = TenantVaults(service, settings, embedder, home=home, max_open=max_open)
    index = TokenIndex(service.app_conninfo)
    authorizer = ServiceAuthorizer(vaults, index)
    app = create_app(None, authorizer=authorizer, limits=limits, extras=(partial(mount_mcp, host=host), mount_web))
    app.add_middleware(ReleaseVaults, authorizer=authorizer)
    app.state.tenant_vaults = vaults
    return app, vaults, index


def serve_service(
    url: str,
    home: Path | None,
    *,
    host: str,
    port: int,
    limits: Limits = Limits(),  # noqa: B008 - frozen
    ssl: tuple[str, str] | None = None,
    max_open: int = DEFAULT_MAX_OPEN,
) -> None:
    """Run ``knowme serve`` in service mode until stopped (the caller checked the address and TLS)."""

    import uvicorn

    from knowme.config import load_settings, user_dir
    from knowme.llm.embedders import make_embedder
    from knowme.store.service import is_service_url
    from knowme.store.tenantkeys import load_kek

    if not is_service_url(url):
        raise ConfigError("--store (or KNOWME_STORE) must be a postgresql://... URL")
    folder = user_dir(home)
    settings = load_settings(folder)
    embedder = make_embedder(settings)
    service = Service(url, load_kek(), dim=embedder.dim)
    app, vaults, index = build_service_app(
        service, settings, embedder, home=folder, host=host, limits=limits, max_open=max_open
    )
    vaults.embedder.warm_up()
    try:
        uvicorn.run(
            app,
            host=host,
            port=port,
            ssl_certfile=ssl[0] if ssl else None,
            ssl_keyfile=ssl[1] if ssl else None,
            log_level="warning",
            access_log=False,
        )
    finally:
        vaults.close()
        index.close()
