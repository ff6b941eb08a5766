"""Mount the MCP server as streamable HTTP at ``/mcp`` on the FastAPI app, behind the bearer token (scope ``mcp``).

The SDK's session manager runs for the app's lifetime (a lifespan hook). Its DNS-rebinding protection accepts the
Host headers of loopback addresses, plus the listening host when it is not loopback (TLS is then required).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

from fastapi import FastAPI
from mcp.server.transport_security import TransportSecuritySettings
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from knowme.interfaces.http.auth import Authorizer, bearer_token
from knowme.interfaces.http.errors import ApiError, Forbidden, error_response
from knowme.interfaces.http.run import is_loopback
from knowme.interfaces.mcp.server import build_mcp

PATH = "/mcp"


class BearerGuard:
    """Let a request through to ``app`` only with a token whose principal holds ``scope``."""

    def __init__(self, app: ASGIApp, authorizer: Callable[[], Authorizer], scope: str) -> None:
        self.app = app
        self.authorizer = authorizer
        self.scope = scope

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        header = next((v.decode("latin-1") for k, v in scope.get("headers", ()) if k == b"authorization"), None)
        try:
            principal = self.authorizer().authenticate(bearer_token(header))
            if not principal.allows(self.scope):
                raise Forbidden(f"this token may not use the MCP endpoint (scope {self.scope!r})")
        except ApiError as exc:
            await error_response(exc.status, exc.code, str(exc), headers=exc.headers)(scope, receive, send)
            return
        await self.app(scope, receive, send)


def security_for(host: str) -> TransportSecuritySettings:
    hosts = ["127.0.0.1:*", "localhost:*", "[::1]:*"]
    origins = ["http://127.0.0.1:*", "http://localhost:*", "http://[::1]:*"]
    if not is_loopback(host):
        hosts.append(f"{host}:*")
        origins.append(f"https://{host}:*")
    return TransportSecuritySettings(enable_dns_rebinding_protection=True, allowed_hosts=hosts, allowed_origins=origins)


def mount_mcp(
    app: FastAPI, *, host: str = "127.0.0.1", allow_write: bool = False
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """Add the ``/mcp`` route to ``app``; return the lifespan hook that runs the MCP session manager. Without
    ``allow_write`` an MCP client's remember and forget wait for the owner's approval (knowme.privacy.pending)."""
    server = build_mcp(app.state.vault, lambda: app.state.authorizer, allow_write=allow_write)
    sub = server.streamable_http_app(streamable_http_path=PATH, host=host, transport_security=security_for(host))
    route = next(r for r in sub.routes if isinstance(r, Route) and r.path == PATH)
    guard = BearerGuard(route.app, lambda: app.state.authorizer, "mcp")
    app.router.routes.append(Route(PATH, endpoint=guard, include_in_schema=False))
    app.state.features["mcp"] = True
    return lambda _app: server.session_manager.run()
