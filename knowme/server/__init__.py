"""knowme's servers: the HTTP API (FastAPI), the MCP server, the OpenAI-compatible proxy and the web page.

``knowme serve`` runs :func:`create_app` under uvicorn on 127.0.0.1 (see :mod:`knowme.server.run`); ``knowme mcp``
runs the MCP server on stdio. Nothing here opens a vault: callers pass an open one.
"""

from knowme.server.app import Limits, create_app
from knowme.server.auth import Authorizer, LocalTokenAuthorizer, Principal, VaultAuthorizer, issue_token

__all__ = ["Authorizer", "Limits", "LocalTokenAuthorizer", "Principal", "VaultAuthorizer", "create_app", "issue_token"]
