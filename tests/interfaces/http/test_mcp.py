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
from knowme.interfaces.http.full import build_app
from tests.conftest import PASSPHRASE
from tests.interfaces.http.conftest import auth

ROOT = Path(__file__).resolve().parents[2]
CLIMBING = "I love climbing on weekends"
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
    gone = structured(await session.call_tool("search_memory", {"query": "Rua das Flores", "k": 3}))
    resources = {r.uri_template for r in (await session.list_resource_templates()).resource_templates}
    timeline = await session.read_resource("knowme://timeline/recent")
    two = await session.read_resource("knowme://timeline/recent?limit=2")
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
        "gone": gone,
        "resources": resources,
        "timeline": json.loads(timeline.contents[0].text),  # type: ignore[union-attr]
        "two": json.loads(two.contents[0].text),  # type: ignore[union-attr]
    }


def check(seen: dict[str, Any]) -> None:
    assert seen["tools"] == TOOLS
    assert seen["found"]["hits"][0]["ref"] == "mail:porto-7@example.org"
    assert "950" in seen["answer"]["answer"] and seen["answer"]["citations"][0] == "mail:porto-7@example.org"
    compliance = seen["answer"]["compliance"]  # null when no model was asked, else the check's result
    assert compliance is None or set(compliance) >= {"checked", "respected", "violations"}
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
    assert [p["statement"] for p in seen["prefs"]["preferences"]] == [CLIMBING]
    assert seen["stored"]["ref"].startswith("note:remembered/")
    assert seen["again"]["hits"][0]["ref"] == seen["stored"]["ref"]
    assert seen["preview"]["forgotten"] is False and "confirm=true" in seen["preview"]["message"]
    assert [r["ref"] for r in seen["preview"]["preview"]["records"]] == ["mail:porto-7@example.org"]
    assert seen["preview"]["preview"]["dry_run"] is True
    assert seen["confirmed"]["forgotten"] is True and seen["confirmed"]["preview"]["dry_run"] is False
    assert "mail:porto-7@example.org" not in {h["ref"] for h in seen["gone"]["hits"]}
    assert seen["resources"] == {"knowme://timeline/recent{?limit}", "knowme://people/{name}"}
    assert seen["timeline"] and seen["timeline"][0]["ref"] == seen["stored"]["ref"]  # the newest first
    assert len(seen["timeline"]) > 2 and seen["two"] == seen["timeline"][:2]


def run(fn: Callable[[], Awaitable[dict[str, Any]]]) -> dict[str, Any]:
    return anyio.run(fn)


def test_stdio(tmp_path: Path) -> None:
    from tests.interfaces.http.conftest import make_vault

    vault = make_vault(tmp_path)
    vault.prefer(CLIMBING)
    vault.prefer("Never book meetings before 10:00")
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
    server_vault.prefer(CLIMBING)
    server_vault.prefer("Never book meetings before 10:00")
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


def test_a_grant_over_mcp_sees_only_its_scopes(server_vault: knowme.Vault, serve_on_socket: object) -> None:
    """A client holding a notes-only grant: search and the timeline show notes only, the graph, preferences and
    forget refuse it, and what it was shown is in the audit log under its name."""
    note = server_vault.remember("The spare key is under the blue flowerpot.", title="Spare key")
    _, grant_token = server_vault.grant("notes-app", "notes", expires="1d")
    running = serve_on_socket(build_app(server_vault))  # type: ignore[operator]

    async def session() -> dict[str, Any]:
        async with (
            httpx2.AsyncClient(headers=auth(grant_token), timeout=60) as http,
            streamable_http_client(f"{running.url}/mcp", http_client=http) as (read, write),
            ClientSession(read, write) as s,
        ):
            await s.initialize()
            key = structured(await s.call_tool("search_memory", {"query": "spare key flowerpot", "k": 5}))
            flat = structured(await s.call_tool("search_memory", {"query": "Lena flat rent Porto", "k": 10}))
            profile = await s.call_tool("get_person_profile", {"name": "Lena Fischer"})
            prefs = await s.call_tool("get_preferences", {"topic": ""})
            forget = await s.call_tool("forget", {"ref": note.ref, "confirm": True})
            timeline = await s.read_resource("knowme://timeline/recent?limit=50")
            return {
                "key": key, "flat": flat, "profile": profile, "prefs": prefs, "forget": forget,
                "timeline": json.loads(timeline.contents[0].text),  # type: ignore[union-attr]
            }  # fmt: skip

    seen = run(session)
    assert seen["key"]["hits"][0]["ref"] == note.ref
    assert {h["kind"] for h in seen["key"]["hits"] + seen["flat"]["hits"]} <= {"note"}
    for refused in ("profile", "prefs", "forget"):
        assert seen[refused].is_error and "may not" in seen[refused].content[0].text
    assert server_vault.records(note.ref), "the refused forget changed nothing"
    assert seen["timeline"] and {r["kind"] for r in seen["timeline"]} == {"note"}
    shown = [e for e in server_vault.audit(actor="notes-app") if e.action == "search"]
    assert shown and note.ref in shown[0].detail["refs"]
