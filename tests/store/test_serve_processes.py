"""Two real ``knowme serve --store`` processes on two 127.0.0.1 ports over one real PostgreSQL: the API processes
keep no state but caches, so what user A stores through one is found through the other, and user B finds nothing
of A's through either, on every interface (HTTP search, records and ask, MCP ``search_memory`` through the MCP
SDK's client, the OpenAI-compatible proxy through the ``openai`` client)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import httpx2
import openai
import pytest
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client

from knowme.privacy.grants import enrol
from knowme.store.service import Service
from tests.interfaces.http.conftest import free_port
from tests.store.conftest import KEK_HEX

ROOT = Path(__file__).resolve().parents[2]
KEY = "The spare key for the Lisbon flat is taped under the third stair of the back staircase."
PLAN = "Alice moves the piano to Coimbra on the ninth of March with two friends from the choir."
WORDS = ("taped under the third stair", "piano to Coimbra", "friends from the choir")


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def two_servers(pg_url: str, tmp_path: Path) -> Iterator[tuple[list[str], str, dict[str, str]]]:
    home = tmp_path / "home"
    home.mkdir()
    (home / "config.toml").write_text('[llm]\nbackend = "extractive"\n', encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("KNOWME_")}
    env.update(KNOWME_KEK=KEK_HEX, PYTHONPATH=str(ROOT), CI="true")
    service = Service(pg_url, bytes.fromhex(KEK_HEX))
    tokens = {"alice": enrol(service, "alice"), "bob": enrol(service, "bob")}
    procs: list[tuple[subprocess.Popen[bytes], Path]] = []
    urls: list[str] = []
    for n in (1, 2):
        port = free_port()
        log = tmp_path / f"serve-{n}.log"
        argv = [sys.executable, "-m", "knowme.interfaces.cli", "serve", "--port", str(port), "--store", pg_url]
        with log.open("wb") as out:
            proc = subprocess.Popen([*argv, "--home", str(home)], env=env, stdout=out, stderr=subprocess.STDOUT)
        procs.append((proc, log))
        urls.append(f"http://127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + 600  # a loaded 2-core machine can take minutes to load the model
        for url, (proc, log) in zip(urls, procs, strict=True):
            while True:
                assert proc.poll() is None, log.read_text(errors="replace")
                try:
                    if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, "knowme serve did not start"
                time.sleep(0.3)
        yield urls, str(home), tokens
    finally:
        for proc, _log in procs:
            proc.terminate()
        for proc, _log in procs:
            proc.wait(timeout=30)
    for _proc, log in procs:  # service mode prints no owner token: tokens come from `knowme users add`
        printed = log.read_text(errors="replace")
        assert "km_" not in printed and "#token=" not in printed
        assert "knowme users add" in printed


def mcp_search(url: str, token: str, query: str) -> dict[str, Any]:
    async def session() -> dict[str, Any]:
        async with (
            httpx2.AsyncClient(headers=auth(token), timeout=60) as http,
            streamable_http_client(f"{url}/mcp", http_client=http) as (read, write),
            ClientSession(read, write) as s,
        ):
            await s.initialize()
            result = await s.call_tool("search_memory", {"query": query, "k": 10})
            assert not result.is_error, result
            if result.structured_content is not None:
                return dict(result.structured_content)
            return dict(json.loads(result.content[0].text))

    return anyio.run(session)


def proxy(url: str, token: str, question: str) -> tuple[str, list[str]]:
    client = openai.OpenAI(base_url=f"{url}/v1", api_key=token, max_retries=0, timeout=120)
    try:
        reply = client.chat.completions.create(model="knowme", messages=[{"role": "user", "content": question}])
    finally:
        client.close()
    extra = reply.model_extra or {}
    return reply.choices[0].message.content or "", list(extra["knowme"]["refs"])


def test_two_processes_share_one_database_and_keep_users_apart(
    two_servers: tuple[list[str], str, dict[str, str]], tmp_path: Path
) -> None:
    (first, second), _home, tokens = two_servers
    alice, bob = tokens["alice"], tokens["bob"]
    with httpx.Client(timeout=120) as http:
        stored = http.post(f"{first}/api/remember", headers=auth(alice), json={"text": KEY, "title": "Spare key"})
        assert stored.status_code < 300, stored.text
        key_ref = stored.json()["ref"]
        note = tmp_path / "move.md"
        note.write_text(f"---\ntitle: The piano\ndate: 2026-02-01\n---\n{PLAN}\n", encoding="utf-8")
        with note.open("rb") as fh:
            ingested = http.post(f"{first}/api/ingest", headers=auth(alice), files={"files": ("move.md", fh)})
        assert ingested.status_code == 200, ingested.text
        http.post(f"{first}/api/remember", headers=auth(bob), json={"text": "Bob waters the ferns on Sundays."})

        # user A finds through the second process what the first one stored
        found = http.get(f"{second}/api/search", headers=auth(alice), params={"q": "spare key Lisbon flat"}).json()
        assert found["hits"][0]["ref"] == key_ref
        piano = http.get(f"{second}/api/search", headers=auth(alice), params={"q": "piano Coimbra choir"}).json()
        assert PLAN in piano["hits"][0]["text"]
        opened = http.get(f"{second}/api/records", headers=auth(alice), params={"ref": key_ref}).json()
        assert opened["records"][0]["text"] == KEY
        answer = http.post(f"{second}/api/ask", headers=auth(alice), json={"question": "Where is the spare key?"})
        assert key_ref in answer.json()["citations"]
        assert key_ref in {h["ref"] for h in mcp_search(second, alice, "spare key Lisbon flat")["hits"]}
        assert key_ref in proxy(second, alice, "Where is the spare key for the Lisbon flat?")[1]

        # user B finds nothing of A's through either process, on any interface
        for url in (first, second):
            for query in ("spare key Lisbon flat stair", "piano Coimbra choir March"):
                seen = http.get(f"{url}/api/search", headers=auth(bob), params={"q": query, "k": 50})
                assert seen.status_code == 200 and not any(w in seen.text for w in WORDS)
                assert key_ref not in seen.text
                mcp = json.dumps(mcp_search(url, bob, query))
                assert key_ref not in mcp and not any(w in mcp for w in WORDS)
            missing = http.get(f"{url}/api/records", headers=auth(bob), params={"ref": key_ref})
            assert missing.status_code == 404
            asked = http.post(f"{url}/api/ask", headers=auth(bob), json={"question": "Where is the spare key?"})
            assert asked.status_code == 200 and key_ref not in asked.text and not any(w in asked.text for w in WORDS)
            text, refs = proxy(url, bob, "Where is the spare key for the Lisbon flat, and where does the piano go?")
            assert key_ref not in refs and not any(w in text for w in WORDS)
            status = http.get(f"{url}/api/status", headers=auth(bob)).json()
            assert status["records"] == {"note": 1}
