"""The MCP server through the SDK's own client: over stdio (``knowme mcp`` as a subprocess) and over streamable
HTTP (mounted in the real server on a socket, behind the token)."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio
import httpx
import httpx2
from mcp import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client

import knowme
from knowme.server.full import build_app
from tests.conftest import PASSPHRASE
from tests.server.conftest import auth

ROOT = Path(__file__).resolve().parents[2]
TOOLS = {
    "search_memory",
    "ask",
    "get_person_profile",
    "get_timeline",
    "get_facts",
    "get_preferences",
    "remember",
    "forget",
}


def structured(result: Any) -> dict[str, Any]:
    assert not result.is_error, result
    if result.structured_content is not None:
        return dict(result.structured_content)
    return dict(json.loads(result.content[0].text))


async def exercise(session: ClientSession) -> dict[str, Any]:
    """Use every tool and the resource once; return what the assertions need."""
    await session.initialize()
    tools = {t.name for t in (await session.list_tools()).tools}
    found = structured(await session.call_tool("search_memory", {"query": "Rua das Flores", "k": 3}))
    answer = structured(await session.call_tool("ask", {"question": "What is the rent of the Porto flat?"}))
    person = structured(await session.call_tool("get_person_profile", {"name": "Lena Fischer"}))
    stranger = structured(await session.call_tool("get_person_profile", {"name": "Rua das Flores"}))
    facts = structured(await session.call_tool("get_facts", {"about": "lena"}))
    timeline_tool = structured(await session.call_tool("get_timeline", {"person": "Nobody Atall"}))
    profile = await session.read_resource("knowme://people/Lena%20Fischer")
    prefs = structured(await session.call_tool("get_preferences", {"topic": "climbing"}))
    stored = structured(await session.call_tool("remember", {"text": "My passport expires in May 2031."}))
    again = structured(await session.call_tool("search_memory", {"query": "passport expires"}))
    preview = structured(await session.call_tool("forget", {"ref": "mail:porto-7@example.org"}))
    confirmed = structured(await session.call_tool("forget", {"ref": "mail:porto-7@example.org", "confirm": True}))
    resources = {str(r.uri) for r in (await session.list_resources()).resources}
    timeline = await session.read_resource("knowme://timeline/recent")
    return {
        "tools": tools,
        "found": found,
        "answer": answer,
        "person": person,
        "stranger": stranger,
        "facts": facts,
        "timeline_tool": timeline_tool,
        "profile": json.loads(profile.contents[0].text),  # type: ignore[union-attr]
        "prefs": prefs,
        "stored": stored,
        "again": again,
        "preview": preview,
        "confirmed": confirmed,
        "resources": resources,
        "timeline": json.loads(timeline.contents[0].text),  # type: ignore[union-attr]
    }


def check(seen: dict[str, Any]) -> None:
    assert seen["tools"] == TOOLS
    assert seen["found"]["hits"][0]["ref"] == "mail:porto-7@example.org"
    assert "950" in seen["answer"]["answer"] and seen["answer"]["citations"][0] == "mail:porto-7@example.org"
    person = seen["person"]
    assert person["found"] is True and person["name"] == "Lena Fischer"
    assert "lena@example.org" in person["summary"]["aliases"]
    birthday = [f for f in person["facts"] if f["predicate"] == "birthday"]
    assert birthday[0]["value"] == "1990-06-21" and birthday[0]["refs"] == ["vcf:lena-1"]
    assert seen["profile"] == person  # the resource and the tool agree
    assert seen["stranger"]["found"] is False and "nobody called" in seen["stranger"]["message"]
    assert seen["stranger"]["mentions"][0]["ref"] == "mail:porto-7@example.org"
    assert [f["value"] for f in seen["facts"]["facts"]] == ["1990-06-21"]
    assert seen["timeline_tool"] == {"found": False, "message": seen["timeline_tool"]["message"], "entries": []}
    assert seen["prefs"]["available"] is False
    assert seen["stored"]["ref"].startswith("note:remembered/")
    assert seen["again"]["hits"][0]["ref"] == seen["stored"]["ref"]
    assert seen["preview"]["forgotten"] is False and "confirm=true" in seen["preview"]["message"]
    assert seen["preview"]["preview"][0]["ref"] == "mail:porto-7@example.org"
    assert seen["confirmed"]["forgotten"] is False and "not available" in seen["confirmed"]["message"]
    assert "knowme://timeline/recent" in seen["resources"]
    assert seen["timeline"] and seen["timeline"][0]["ref"] == seen["stored"]["ref"]  # the newest first


def run(fn: Callable[[], Awaitable[dict[str, Any]]]) -> dict[str, Any]:
    return anyio.run(fn)


def test_stdio(tmp_path: Path) -> None:
    from tests.server.conftest import make_vault

    vault = make_vault(tmp_path)
    home = vault.home
    vault.close()
    env = {**os.environ, "KNOWME_PASSPHRASE": PASSPHRASE, "PYTHONPATH": str(ROOT), "CI": "true"}
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "knowme.interfaces.cli", "mcp", "--home", str(home)], env=env
    )

    async def session() -> dict[str, Any]:
        with (tmp_path / "mcp-stderr.log").open("w") as errlog:
            async with stdio_client(params, errlog=errlog) as (read, write), ClientSession(read, write) as s:
                return await exercise(s)

    check(run(session))


def test_streamable_http(server_vault: knowme.Vault, token: str, serve_on_socket: object) -> None:
    running = serve_on_socket(build_app(server_vault))  # type: ignore[operator]
    url = f"{running.url}/mcp"
    refused = httpx.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "unauthorized"

    async def session() -> dict[str, Any]:
        async with (
            httpx2.AsyncClient(headers=auth(token), timeout=60) as http,
            streamable_http_client(url, http_client=http) as (read, write),
            ClientSession(read, write) as s,
        ):
            return await exercise(s)

    check(run(session))
