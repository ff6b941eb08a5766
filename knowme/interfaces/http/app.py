"""The ASGI application: the HTTP API's routers, the error envelope, the body limits and the token check.

:func:`create_app` takes an open :class:`~knowme.Vault` (the app does not close it: whoever opened it does) and
an optional :class:`~knowme.interfaces.http.auth.Authorizer` (default: the owner's token and the vault's grants).
It wraps the vault's embedder in a :class:`~knowme.llm.batching.BatchingEmbedder`, so concurrent searches embed their
queries together on one worker instead of fighting over the cores. The OpenAPI document is
at ``/openapi.json`` and browsable at ``/docs``. Areas are routers listed in :mod:`knowme.interfaces.http.routes`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from dataclasses import dataclass

from fastapi import FastAPI
from starlette.formparsers import MultiPartParser
from starlette.types import ASGIApp, Receive, Scope, Send

from knowme import __version__
from knowme.interfaces.http.auth import Authorizer, VaultAuthorizer
from knowme.interfaces.http.errors import BodyLimit, install_error_handlers
from knowme.interfaces.http.routes import ROUTERS
from knowme.interfaces.http.routes.ingest import clear_incoming
from knowme.interfaces.http.schemas import ErrorEnvelope
from knowme.llm.batching import TRAFFIC, BatchingEmbedder
from knowme.vault import Vault

DESCRIPTION = """The HTTP API of a knowme vault: search, cited answers, records by reference, uploads.

Every endpoint except `/healthz` needs `Authorization: Bearer <token>`: the owner's token (`knowme token`) or a
client's grant token (`knowme grant add CLIENT --scopes ...`), which reaches only search, records, ask, chat, MCP and
status, and sees only the kinds of data its grant names.
Every error has the same JSON shape: `{"error": {"status", "code", "message", "details"}}`.
"""

ERROR_RESPONSES: dict[int | str, dict[str, object]] = {
    status: {"model": ErrorEnvelope, "description": text}
    for status, text in (
        (400, "A bad parameter value (an unparseable date...)."),
        (401, "No token, or not a valid one."),
        (403, "The token lacks the scope this endpoint needs."),
        (404, "Nothing with that reference."),
        (413, "The request body is over the limit."),
        (422, "The request does not match the schema."),
        (500, "The server failed."),
    )
}


#: Optional areas and whether this server offers them (extras switch theirs on); pages read this to show or hide
#: their views, ``GET /api/status`` reports it.
FEATURES = {
    "search": True,
    "ask": True,
    "ingest": True,
    "mcp": False,
    "openai_proxy": True,
    "web": False,
    "graph": True,
    "privacy": True,
}


@dataclass(frozen=True)
class Limits:
    """Request body limits in bytes: JSON bodies, and uploads to ``/api/ingest``."""

    body: int = 1 << 20
    upload: int = 64 << 20


#: Something to run for the app's lifetime (the MCP session manager): called with the app, entered at startup.
LifespanHook = Callable[[FastAPI], AbstractAsyncContextManager[None]]


def create_app(
    vault: Vault | None,
    *,
    authorizer: Authorizer | None = None,
    limits: Limits = Limits(),  # noqa: B008 - frozen
    extras: tuple[Callable[[FastAPI], LifespanHook | None], ...] = (),
) -> FastAPI:
    """The knowme server for ``vault``. ``extras`` add mounts (MCP, proxy, web page) and may return a lifespan hook.
    ``vault`` None is service mode: ``authorizer`` must then resolve each token to its user's vault."""
    hooks: list[LifespanHook] = []

    if vault is None and authorizer is None:
        raise ValueError("an app without a vault needs an authorizer that resolves each token to a vault")
    # concurrent searches share one embedding worker
    if vault is not None and not isinstance(vault.embedder, BatchingEmbedder):
        vault.embedder = BatchingEmbedder(vault.embedder)
    if vault is not None:
        clear_incoming(vault.home)  # what an upload killed half-way left behind
    # uploads up to the limit stay in memory: never spooled in clear to the system temporary folder
    MultiPartParser.spool_max_size = max(MultiPartParser.spool_max_size, limits.upload)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            for hook in hooks:
                await stack.enter_async_context(hook(app))
            yield

    app = FastAPI(
        title="knowme",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        responses=ERROR_RESPONSES,
    )
    app.state.vault = vault
    app.state.authorizer = authorizer or VaultAuthorizer(vault)  # type: ignore[arg-type]  # checked above
    app.state.features = dict(FEATURES)
    install_error_handlers(app)
    for router in ROUTERS:
        app.include_router(router)
    for extra in extras:
        hook = extra(app)
        if hook is not None:
            hooks.append(hook)
    app.add_middleware(BodyLimit, default=limits.body, by_prefix={"/api/ingest": limits.upload})
    app.add_middleware(CountRequests)
    return app


class CountRequests:
    """ASGI middleware: every HTTP request is counted in :data:`~knowme.llm.batching.TRAFFIC` until its response
    is complete, so the query embedder knows when other requests may be about to join its batch."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with TRAFFIC.request():
            await self.app(scope, receive, send)
