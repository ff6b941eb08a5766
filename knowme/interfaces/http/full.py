"""The whole server as ``knowme serve`` runs it: the HTTP API plus its extras (MCP, proxy, web page)."""

from __future__ import annotations

from functools import partial

from fastapi import FastAPI

from knowme.interfaces.http.app import Limits, create_app
from knowme.interfaces.http.auth import Authorizer
from knowme.interfaces.mcp.http import mount_mcp
from knowme.interfaces.web import mount_web
from knowme.vault import Vault


def build_app(
    vault: Vault,
    *,
    host: str = "127.0.0.1",
    limits: Limits = Limits(),  # noqa: B008 - frozen
    authorizer: Authorizer | None = None,
    mcp_allow_write: bool = False,
) -> FastAPI:
    mcp = partial(mount_mcp, host=host, allow_write=mcp_allow_write)
    return create_app(vault, authorizer=authorizer, limits=limits, extras=(mcp, mount_web))
