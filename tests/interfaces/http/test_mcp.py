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
import pytest
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


def check(seen: dict[str, Any], *, allowed: bool) -> None:
    """``allowed``: the owner started the server with the standing permission to write (--allow-write)."""
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
    assert seen["preview"]["forgotten"] is False and "confirm=true" in seen["preview"]["message"]
    assert [r["ref"] for r in seen["preview"]["preview"]["records"]] == ["mail:porto-7@example.org"]
    assert seen["preview"]["preview"]["dry_run"] is True
    assert seen["resources"] == {"knowme://timeline/recent{?limit}", "knowme://people/{name}"}
    assert len(seen["timeline"]) > 2 and seen["two"] == seen["timeline"][:2]
    if allowed:
        assert seen["stored"]["stored"] is True and seen["stored"]["ref"].startswith("note:remembered/")
        assert seen["again"]["hits"][0]["ref"] == seen["stored"]["ref"]
        assert seen["confirmed"]["forgotten"] is True and seen["confirmed"]["preview"]["dry_run"] is False
        assert "mail:porto-7@example.org" not in {h["ref"] for h in seen["gone"]["hits"]}
        assert seen["timeline"][0]["ref"] == seen["stored"]["ref"]  # the newest first
        return
    # without the owner's permission nothing is written: both wait for `knowme pending approve`
    assert seen["stored"]["stored"] is False and seen["stored"]["pending"] and seen["stored"]["ref"] is None
    assert "passport" not in json.dumps(seen["again"]["hits"]).lower()
    assert seen["confirmed"]["forgotten"] is False and seen["confirmed"]["pending"]
    assert "approval" in seen["confirmed"]["message"] and seen["confirmed"]["preview"]["dry_run"] is True
    assert "mail:porto-7@example.org" in {h["ref"] for h in seen["gone"]["hits"]}


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

    seen = run(session)
    check(seen, allowed=False)
    # the owner approves out of band, in the CLI
    from typer.testing import CliRunner

    from knowme.interfaces.cli import app

    runner = CliRunner(env={"KNOWME_PASSPHRASE": PASSPHRASE, "CI": "true"})
    listed = runner.invoke(app, ["pending", "--home", str(home), "--json"])
    assert listed.exit_code == 0, listed.output
    waiting = {a["action"]: a for a in json.loads(listed.output)}
    assert set(waiting) == {"remember", "forget"} and waiting["forget"]["ref"] == "mail:porto-7@example.org"
    assert waiting["remember"]["text"] == "My passport expires in May 2031." and waiting["remember"]["client"] == "mcp"
    for action in ("remember", "forget"):
        done = runner.invoke(app, ["pending", "approve", waiting[action]["id"], "--home", str(home)])
        assert done.exit_code == 0, done.output
    with knowme.open(home, PASSPHRASE, create=False) as vault:
        assert not vault.records("mail:porto-7@example.org")
        note = vault.search("passport expires", k=1)[0]
        (record,) = vault.records(note.ref)
        assert record.meta["written_by"] == "assistant" and record.meta["confirmed_by_owner"] is True
        assert [e.action for e in vault.audit() if e.action.endswith("agent_action")] == ["approve_agent_action"] * 2
    again = runner.invoke(app, ["pending", "--home", str(home)])
    assert "Nothing is waiting" in again.output


def test_streamable_http(server_vault: knowme.Vault, token: str, serve_on_socket: object) -> None:
    server_vault.prefer(CLIMBING)
    server_vault.prefer("Never book meetings before 10:00")
    running = serve_on_socket(build_app(server_vault, mcp_allow_write=True))  # type: ignore[operator]
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

    seen = run(session)
    check(seen, allowed=True)
    (record,) = server_vault.records(seen["stored"]["ref"])  # stored at once, but as the assistant's, unconfirmed
    assert record.meta["written_by"] == "assistant" and "confirmed_by_owner" not in record.meta


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


def test_tools_carry_annotations_and_a_call_without_a_request_is_refused(server_vault: knowme.Vault) -> None:
    """The MCP spec's hints let a client ask its user before a write; and a call that comes with no request (so no
    token) gets nobody's rights, not the owner's."""
    from mcp.server.mcpserver.exceptions import ToolError

    from knowme.interfaces.http.auth import VaultAuthorizer
    from knowme.interfaces.mcp.server import build_mcp

    server = build_mcp(server_vault, lambda: VaultAuthorizer(server_vault), allow_write=True)
    note = server_vault.remember("The bike lock code is in the blue notebook.")

    async def listed() -> dict[str, Any]:
        return {t.name: t.annotations for t in await server.list_tools()}

    hints = run(listed)
    assert set(hints) == TOOLS
    for name in TOOLS - {"remember", "forget"}:
        assert hints[name].read_only_hint is True and hints[name].destructive_hint is False, name
        assert hints[name].open_world_hint is False
    assert hints["forget"].read_only_hint is False and hints["forget"].destructive_hint is True
    assert hints["remember"].read_only_hint is False and hints["remember"].destructive_hint is False
    assert hints["remember"].idempotent_hint is False

    async def in_process() -> Any:  # a real MCP session, in memory: a request context, but no HTTP request
        from mcp import Client

        async with Client(server) as client:
            return await client.call_tool("forget", {"ref": note.ref, "confirm": True})

    result = run(in_process)
    assert result.is_error and "refused" in result.content[0].text

    async def direct() -> Any:  # no request context at all
        return await server.call_tool("search_memory", {"query": "bike lock code"})

    with pytest.raises(ToolError, match="refused"):
        run(direct)
    assert server_vault.records(note.ref), "nothing was forgotten, even with the standing permission"


def test_an_assistants_note_is_not_the_users_until_confirmed(server_vault: knowme.Vault, token: str,
                                                             serve_on_socket: object) -> None:  # fmt: skip
    """Stored at once with --allow-write, but out of the graph and the inferred preferences (which go into every
    prompt as standing rules) until the owner confirms it."""
    from knowme.privacy.pending import approve, pending

    running = serve_on_socket(build_app(server_vault, mcp_allow_write=True))  # type: ignore[operator]

    async def session() -> dict[str, Any]:
        async with (
            httpx2.AsyncClient(headers=auth(token), timeout=60) as http,
            streamable_http_client(f"{running.url}/mcp", http_client=http) as (read, write),
            ClientSession(read, write) as s,
        ):
            await s.initialize()
            return structured(await s.call_tool("remember", {"text": "I've gone vegetarian since the trip."}))

    stored = run(session)
    assert stored["stored"] is True and stored["pending"]
    statements = {p.statement for p in server_vault.preferences()}
    assert "Diet: vegetarian" not in statements
    assert stored["ref"] in {h.ref for h in server_vault.search("gone vegetarian since the trip", k=3)}
    item = next(a for a in pending(server_vault.store) if a.id == stored["pending"])
    assert item.action == "confirm" and item.ref == stored["ref"]
    assert "confirmed" in approve(server_vault, item.id)
    assert "Diet: vegetarian" in {p.statement for p in server_vault.preferences()}


def test_the_owner_approves_over_http_and_a_grant_cannot(server_vault: knowme.Vault, token: str,
                                                         serve_on_socket: object) -> None:  # fmt: skip
    """Without --allow-write an MCP client's forget waits; the owner's token approves it at /api/pending (the way in
    service mode and for the web page); a client's grant token cannot even list it."""
    note = server_vault.remember("The gate code for the allotment is 2468.")
    running = serve_on_socket(build_app(server_vault))  # type: ignore[operator]

    async def session() -> dict[str, Any]:
        async with (
            httpx2.AsyncClient(headers=auth(token), timeout=60) as http,
            streamable_http_client(f"{running.url}/mcp", http_client=http) as (read, write),
            ClientSession(read, write) as s,
        ):
            await s.initialize()
            return structured(await s.call_tool("forget", {"ref": note.ref, "confirm": True}))

    proposed = run(session)
    assert proposed["forgotten"] is False and server_vault.records(note.ref)
    _, grant_token = server_vault.grant("notes-app", "notes", expires="1d")
    assert httpx.get(f"{running.url}/api/pending", headers=auth(grant_token)).status_code == 403
    listed = httpx.get(f"{running.url}/api/pending", headers=auth(token)).json()["pending"]
    (item,) = [a for a in listed if a["id"] == proposed["pending"]]
    assert item["action"] == "forget" and item["ref"] == note.ref and item["client"] == "mcp-http"
    assert httpx.post(f"{running.url}/api/pending/{item['id']}/approve", headers=auth(grant_token)).status_code == 403
    done = httpx.post(f"{running.url}/api/pending/{item['id']}/approve", headers=auth(token))
    assert done.status_code == 200 and "forgot 1 record" in done.json()["done"]
    assert not server_vault.records(note.ref)
    again = httpx.post(f"{running.url}/api/pending/{item['id']}/approve", headers=auth(token))
    assert again.status_code == 404 and again.json()["error"]["code"] == "not_found"
