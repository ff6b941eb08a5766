"""The server commands of ``knowme``: ``serve``, ``token`` and ``mcp``, registered on the main app by
:func:`register` (the main CLI module calls it)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from knowme.config import environment
from knowme.interfaces.console import HomeOpt, out
from knowme.store.choose import refuse_in_service_mode

err = Console(stderr=True)


def serve(
    host: Annotated[str, typer.Option("--host", help="Address to listen on (non-loopback needs TLS).")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8765,
    tls_cert: Annotated[Path | None, typer.Option("--tls-cert", help="TLS certificate (PEM).")] = None,
    tls_key: Annotated[Path | None, typer.Option("--tls-key", help="TLS private key (PEM).")] = None,
    max_upload_mb: Annotated[int, typer.Option("--max-upload-mb", help="Largest upload to /api/ingest.")] = 64,
    home: HomeOpt = None,
    store: Annotated[
        str | None,
        typer.Option(
            "--store",
            help="Serve every user of the vault service at this postgresql:// URL (default: $KNOWME_STORE).",
        ),
    ] = None,
    open_users: Annotated[
        int, typer.Option("--open-users", help="Service mode: how many users' vaults a process keeps open.")
    ] = 32,
    mcp_allow_write: Annotated[
        bool,
        typer.Option(
            "--mcp-allow-write",
            help="Let MCP clients' remember and forget act at once (else they wait for `knowme pending approve`).",
        ),
    ] = False,
) -> None:
    """Serve the HTTP API, the MCP endpoint, the OpenAI-compatible proxy and the web page (127.0.0.1 by default).

    With --store (or KNOWME_STORE) it serves every user of the vault service, each with their own token."""

    import uvicorn

    import knowme
    from knowme.interfaces.http.app import Limits
    from knowme.interfaces.http.auth import has_token, issue_token
    from knowme.interfaces.http.full import build_app
    from knowme.interfaces.http.run import base_url, check_bind

    tls = check_bind(host, tls_cert, tls_key)
    url = base_url(host, port, tls=tls)
    service_url = store or environment().store
    if service_url:
        from knowme.interfaces.hosting import serve_service

        limits = Limits(upload=max_upload_mb << 20)
        out.print(f"Vault service: each user's token from `knowme users add`. Web page: {url}/", highlight=False)
        out.print(f"API docs: {url}/docs   MCP: {url}/mcp   OpenAI-compatible: {url}/v1", highlight=False)
        err.print("Loading the search model...")
        ssl = (str(tls_cert), str(tls_key)) if tls_cert and tls_key else None
        serve_service(service_url, home, host=host, port=port, limits=limits, ssl=ssl, max_open=open_users)
        return
    with knowme.open(home, create=False) as vault:
        if not has_token(vault.store):
            token = issue_token(vault.store)
            out.print(f"API token (shown once; `knowme token` makes a new one): {token}", highlight=False)
            out.print(f"Web page: {url}/#token={token}", highlight=False)
        else:
            out.print(f"Web page: {url}/  (paste your token; `knowme token` makes a new one)", highlight=False)
        out.print(f"API docs: {url}/docs   MCP: {url}/mcp   OpenAI-compatible: {url}/v1", highlight=False)
        err.print("Loading the search model...")
        vault.warm_up()
        app = build_app(vault, host=host, limits=Limits(upload=max_upload_mb << 20), mcp_allow_write=mcp_allow_write)
        uvicorn.run(
            app,
            host=host,
            port=port,
            ssl_certfile=str(tls_cert) if tls_cert else None,
            ssl_keyfile=str(tls_key) if tls_key else None,
            log_level="warning",
            access_log=False,
        )


def token(home: HomeOpt = None) -> None:
    """Make a new API token for `knowme serve` (the old one stops working) and print it once."""
    import knowme
    from knowme.interfaces.http.auth import issue_token

    refuse_in_service_mode("`knowme token`")  # a service user's token comes from `knowme users add`
    with knowme.open(home, create=False) as vault:
        new = issue_token(vault.store)
    print(new)
    err.print("Keep it secret: it opens your vault over HTTP. Send it as 'Authorization: Bearer <token>'.")


def mcp(
    home: HomeOpt = None,
    allow_write: Annotated[
        bool,
        typer.Option(
            "--allow-write",
            help="Let the client's remember and forget act at once (else they wait for `knowme pending approve`).",
        ),
    ] = False,
) -> None:
    """Speak the Model Context Protocol on stdin/stdout (for Claude Desktop, VS Code and other MCP clients)."""
    import knowme
    from knowme.interfaces.mcp.server import build_mcp

    with knowme.open(home, create=False) as vault:
        build_mcp(vault, allow_write=allow_write).run("stdio")


def register(app: typer.Typer) -> None:
    app.command()(serve)
    app.command()(token)
    app.command()(mcp)
