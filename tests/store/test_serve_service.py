"""``knowme serve`` in service mode, in process over a real PostgreSQL: each user's token reaches only that user's
data, a client's grant token reaches its user's data through the grant (filtered, revocable at once), unknown and
removed users' tokens are refused, and the cache of open vaults leases and evicts as it should."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient

from knowme.config import Settings
from knowme.interfaces.hosting import TenantVaults, build_service_app
from knowme.llm.embedders import MiniLMEmbedder
from knowme.privacy.grants import enrol, token_hash
from knowme.store.pgtokens import TokenIndex
from knowme.store.service import Service
from tests.store.conftest import KEK_HEX
from tests.store.test_service import run_cli

KEK = bytes.fromhex(KEK_HEX)
KEY = "The spare key for the Lisbon flat is taped under the third stair of the back staircase."
BIKE = "Bob keeps his folding bike locked to the green railing behind the bakery on Rua Augusta."


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def embedder() -> MiniLMEmbedder:
    return MiniLMEmbedder()


@pytest.fixture
def served(pg_url: str, tmp_path: Path, embedder: MiniLMEmbedder) -> Iterator[tuple[TestClient, Service, Any]]:
    service = Service(pg_url, KEK, dim=embedder.dim)
    settings = Settings.model_validate({"llm": {"backend": "extractive"}})
    app, vaults, index = build_service_app(service, settings, embedder, home=tmp_path, max_open=1)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client, service, vaults
    vaults.close()
    index.close()


def owner(index: TokenIndex, token: str) -> tuple[str, bool] | None:
    found = index.owner_of(token_hash(token))
    return (found.user, found.owner) if found else None


def refs(response: Any) -> list[str]:
    assert response.status_code == 200, response.text
    return [h["ref"] for h in response.json()["hits"]]


def test_each_token_reaches_only_its_users_data(served: tuple[TestClient, Service, TenantVaults]) -> None:
    client, service, vaults = served
    alice, bob = enrol(service, "alice"), enrol(service, "bob")

    assert client.get("/api/status").status_code == 401
    refused = client.get("/api/status", headers=auth("km_" + "x" * 43))
    assert refused.status_code == 401 and "knowme users add" in refused.json()["error"]["message"]

    stored = client.post("/api/remember", headers=auth(alice), json={"text": KEY, "title": "Spare key"})
    assert stored.status_code == 201 or stored.status_code == 200, stored.text
    ref = stored.json()["ref"]
    assert client.post("/api/remember", headers=auth(bob), json={"text": BIKE, "title": "Bike"}).status_code < 300

    assert refs(client.get("/api/search", params={"q": "spare key Lisbon flat stair"}, headers=auth(alice)))[0] == ref
    bobs = client.get("/api/search", params={"q": "spare key Lisbon flat stair", "k": 20}, headers=auth(bob))
    assert ref not in refs(bobs) and "taped" not in bobs.text
    assert client.get("/api/records", params={"ref": ref}, headers=auth(bob)).status_code == 404
    assert client.get("/api/records", params={"ref": ref}, headers=auth(alice)).json()["records"][0]["text"] == KEY
    assert client.get("/api/status", headers=auth(bob)).json()["records"] == {"note": 1}

    # the cache holds one vault (max_open=1) and no request keeps a lease once answered
    assert vaults.open_users() == {"bob": 0}


def test_a_grant_token_reaches_its_user_through_the_grant(
    served: tuple[TestClient, Service, TenantVaults], pg_url: str
) -> None:
    client, service, _vaults = served
    alice, bob = enrol(service, "alice"), enrol(service, "bob")
    note = client.post("/api/remember", headers=auth(alice), json={"text": KEY, "title": "Spare key"}).json()["ref"]
    client.post("/api/remember", headers=auth(bob), json={"text": BIKE, "title": "Bike"})
    made = client.post("/api/grants", headers=auth(alice), json={"client": "notes-app", "scopes": ["notes"]})
    assert made.status_code == 201, made.text
    grant = made.json()["token"]

    # the token index maps the grant to its user without reading any user's rows
    index = TokenIndex(service.app_conninfo)
    try:
        assert owner(index, grant) == ("alice", False)
        assert owner(index, bob) == ("bob", True)
        assert index.owner_of(token_hash("km_unknown")) is None
    finally:
        index.close()
    with psycopg.connect(pg_url, autocommit=True) as conn:
        assert conn.execute("SELECT tenant FROM knowme.grant_tokens").fetchall() == [("alice",)]

    assert refs(client.get("/api/search", params={"q": "spare key stair"}, headers=auth(grant)))[0] == note
    bike = client.get("/api/search", params={"q": "folding bike railing bakery", "k": 20}, headers=auth(grant))
    assert "Rua Augusta" not in bike.text
    assert client.get("/api/people", headers=auth(grant)).status_code == 403
    assert client.get("/api/grants", headers=auth(grant)).status_code == 403
    audit = client.get("/api/audit", headers=auth(alice), params={"actor": "notes-app"}).json()["events"]
    assert any(note in e["detail"].get("refs", []) for e in audit)
    assert client.get("/api/audit", headers=auth(bob), params={"actor": "notes-app"}).json()["events"] == []

    assert client.delete("/api/grants/notes-app", headers=auth(alice)).status_code == 200
    revoked = client.get("/api/search", params={"q": "spare key"}, headers=auth(grant))
    assert revoked.status_code == 401 and "revoked" in revoked.json()["error"]["message"]

    service.remove_user("alice")  # crypto-shredded: her token and her clients' tokens stop at once
    assert client.get("/api/status", headers=auth(alice)).status_code == 401
    with psycopg.connect(pg_url, autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM knowme.grant_tokens").fetchone() == (0,)
    assert client.get("/api/status", headers=auth(bob)).status_code == 200

    again = enrol(service, "alice")  # the same name, a new user: a new data key, none of the old data
    assert client.get("/api/status", headers=auth(again)).json()["records"] == {}
    assert refs(client.get("/api/search", params={"q": "spare key stair"}, headers=auth(again))) == []


def test_the_cli_in_service_mode(service_env: str, capsys: pytest.CaptureFixture[str], monkeypatch: Any) -> None:
    """A grant made with the CLI for a service user is found by the token index; `knowme token` and a
    non-loopback address without TLS are refused with one clear line."""
    service = Service(service_env, KEK)
    enrol(service, "carol")
    monkeypatch.setenv("KNOWME_USER", "carol")
    code, out, _ = run_cli(capsys, "grant", "add", "calendar-app", "--scopes", "calendar", "--json")
    assert code == 0, out
    token = json.loads(out)["token"]
    index = TokenIndex(service.app_conninfo)
    try:
        assert owner(index, token) == ("carol", False)
    finally:
        index.close()
    code, _, err = run_cli(capsys, "token")
    assert code != 0 and "knowme users add" in err
    code, _, err = run_cli(capsys, "serve", "--host", "0.0.0.0", "--store", service_env)
    assert code != 0 and "without TLS" in err
    code, _, err = run_cli(capsys, "serve", "--store", "mysql://somewhere/db", "--port", "1")
    assert code != 0 and "postgresql://" in err


def test_one_users_searches_do_not_warm_anothers_query_cache(served: tuple[TestClient, Service, TenantVaults]) -> None:
    """A cached query vector answers in about 0 ms against about 11 ms: shared across users, a hit would tell one
    user that another searched that exact text. Each user has a cache of their own."""
    client, service, vaults = served
    alice, bob = enrol(service, "alice"), enrol(service, "bob")
    assert client.post("/api/remember", headers=auth(alice), json={"text": KEY}).status_code < 300
    asked = "where is the spare key for the flat in Lisbon hidden"
    shared = vaults.embedder
    assert refs(client.get("/api/search", params={"q": asked}, headers=auth(alice)))
    calls, hits = shared.batches, shared.hits
    assert refs(client.get("/api/search", params={"q": asked}, headers=auth(alice)))
    assert shared.hits > hits and shared.batches == calls  # alice's own repeat is cached
    hits = shared.hits
    assert client.get("/api/search", params={"q": asked}, headers=auth(bob)).status_code == 200
    assert shared.hits == hits and shared.batches > calls  # bob's same text is embedded afresh
