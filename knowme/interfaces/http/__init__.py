"""knowme's servers: the HTTP API (FastAPI), the MCP server, the OpenAI-compatible proxy and the web page.

``knowme serve`` runs :func:`create_app` under uvicorn on 127.0.0.1 (see :mod:`knowme.interfaces.http.run`);
``knowme mcp`` runs the MCP server on stdio (:mod:`knowme.interfaces.mcp`). Nothing here opens a vault: callers
pass an open one.
"""

from knowme.interfaces.http.app import Limits, create_app
from knowme.interfaces.http.auth import Authorizer, LocalTokenAuthorizer, Principal, VaultAuthorizer, issue_token

__all__ = ["Authorizer", "Limits", "LocalTokenAuthorizer", "Principal", "VaultAuthorizer", "create_app", "issue_token"]
