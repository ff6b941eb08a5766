"""Grants as the server's authoriser, and the owner's endpoints: preferences, feedback, digest, forget with a preview,
export, the audit log and grants; on a real vault in process."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from fastapi.testclient import TestClient

import knowme
from knowme.interfaces.http import create_app
from tests.interfaces.http.conftest import auth
from tests.interfaces.http.test_api import assert_envelope

RENT = "mail:porto-7@example.org"


@pytest.fixture(scope="module")
def notes_token(server_vault: knowme.Vault) -> str:
    _, token = server_vault.grant("notes-app", "notes", expires="1d")
    return token


@pytest.fixture(scope="module")
def lent(server_vault: knowme.Vault, notes_token: str) -> TestClient:
    return TestClient(create_app(server_vault), headers=auth(notes_token), raise_server_exceptions=False)


# -- grants as the authoriser -----------------------------------------------------------------------------------
def test_a_grant_searches_only_its_kinds_and_is_audited(lent: TestClient, server_vault: knowme.Vault) -> None:
    found = lent.get("/api/search", params={"q": "rent flat Rua das Flores", "k": 10})
    assert found.status_code == 200, found.text
    hits = found.json()["hits"]
    assert hits and {h["kind"] for h in hits} == {"note"}
    asked = lent.post("/api/ask", json={"question": "How much is the rent of the flat on Rua das Flores?"})
    assert asked.status_code == 200 and RENT not in asked.json()["citations"]
    recent = lent.get("/api/records/recent", params={"limit": 50}).json()["records"]
    assert recent and {r["kind"] for r in recent} == {"note"}
    events = server_vault.audit(actor="notes-app")
    assert {"search", "ask", "recent"} <= {e.action for e in events}
    shown = list(dict.fromkeys(h["ref"] for h in hits))
    assert [e.detail["refs"] for e in events if e.action == "search"][-1] == shown


def test_a_grant_cannot_open_what_it_does_not_cover(lent: TestClient, client: TestClient) -> None:
    assert client.get("/api/records", params={"ref": RENT}).status_code == 200
    assert_envelope(lent.get("/api/records", params={"ref": RENT}), 404, "not_found")


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/api/people", None),
        ("GET", "/api/facts", None),
        ("GET", "/api/preferences", None),
        ("POST", "/api/preferences", {"statement": "I like tea"}),
        ("POST", "/api/feedback", {"ref": RENT, "rating": 1}),
        ("GET", "/api/digest", None),
        ("POST", "/api/forget", {"ref": [RENT], "confirm": True}),
        ("POST", "/api/export", {}),
        ("GET", "/api/audit", None),
        ("POST", "/api/grants", {"client": "x", "scopes": ["mail"]}),
        ("POST", "/api/remember", {"text": "a note"}),
    ],
)
def test_the_owners_endpoints_refuse_a_grant(lent: TestClient, method: str, path: str, body: object) -> None:
    error = assert_envelope(lent.request(method, path, json=body), 403, "forbidden")
    assert "may not" in error["message"]


def test_a_revoked_grant_stops_at_once(server_vault: knowme.Vault) -> None:
    grant, token = server_vault.grant("short-lived", "notes", expires="1d")
    with TestClient(create_app(server_vault), headers=auth(token), raise_server_exceptions=False) as c:
        assert c.get("/api/search", params={"q": "moving day"}).status_code == 200
        server_vault.revoke(grant.id)
        error = assert_envelope(c.get("/api/search", params={"q": "moving day"}), 401, "unauthorized")
    assert "revoked" in error["message"]


# -- preferences, feedback, digest ------------------------------------------------------------------------------
def test_preferences_round_trip(client: TestClient) -> None:
    made = client.post("/api/preferences", json={"statement": "Never book meetings before 10:00"})
    assert made.status_code == 201, made.text
    pref = made.json()
    assert pref["scope"] == "scheduling" and pref["origin"] == "stated" and pref["active"] is True
    listed = client.get("/api/preferences").json()["preferences"]
    assert pref["id"] in {p["id"] for p in listed}
    edited = client.patch(f"/api/preferences/{pref['id']}", json={"strength": 0.4, "statement": "No meetings before 9"})
    assert edited.status_code == 200 and edited.json()["strength"] == 0.4
    assert edited.json()["statement"] == "No meetings before 9"
    assert client.delete(f"/api/preferences/{pref['id']}").status_code == 200
    assert pref["id"] not in {p["id"] for p in client.get("/api/preferences").json()["preferences"]}
    assert_envelope(client.patch("/api/preferences/nope", json={"strength": 0.5}), 404, "not_found")
    assert_envelope(client.post("/api/preferences", json={"statement": "x", "strength": 3}), 422, "invalid_request")


def test_feedback_rates_and_corrections_become_rules(client: TestClient) -> None:
    rated = client.post("/api/feedback", json={"ref": RENT, "rating": 1, "query": "rent"})
    assert rated.status_code == 201, rated.text
    assert rated.json()["rating"] == 1 and rated.json()["target_id"] == RENT
    rule = client.post(
        "/api/feedback",
        json={"ref": RENT, "correction": "Always answer money questions in euros", "target_type": "answer"},
    )
    assert rule.status_code == 201, rule.text
    pref_id = rule.json()["became"]["preference"]
    assert pref_id in {p["id"] for p in client.get("/api/preferences").json()["preferences"]}
    assert_envelope(client.post("/api/feedback", json={"ref": RENT, "rating": 3}), 422, "invalid_request")
    assert_envelope(client.post("/api/feedback", json={"ref": RENT}), 422, "invalid_request")
    assert_envelope(client.post("/api/feedback", json={"ref": "mail:nope", "rating": 1}), 404, "not_found")


def test_digest_lists_an_upcoming_birthday(client: TestClient) -> None:
    got = client.get("/api/digest", params={"as_of": "2025-06-15", "days": 10})
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["as_of"] == "2025-06-15" and body["days"] == 10
    birthdays = [i for i in body["items"] if i["kind"] == "birthday"]
    assert birthdays and birthdays[0]["date"] == "2025-06-21" and birthdays[0]["refs"] == ["vcf:lena-1"]
    assert_envelope(client.get("/api/digest", params={"days": 0}), 422, "invalid_request")


# -- forget, export, audit, grants ------------------------------------------------------------------------------
def test_forget_previews_then_forgets(client: TestClient, server_vault: knowme.Vault) -> None:
    note = server_vault.remember("The bike lock code is 4711.", title="Bike lock")
    preview = client.post("/api/forget", json={"ref": [note.ref]})
    assert preview.status_code == 200, preview.text
    assert preview.json()["dry_run"] is True and [r["ref"] for r in preview.json()["records"]] == [note.ref]
    assert server_vault.records(note.ref), "a preview changes nothing"
    done = client.post("/api/forget", json={"ref": [note.ref], "confirm": True})
    assert done.status_code == 200 and done.json()["dry_run"] is False
    assert not server_vault.records(note.ref)
    hits = client.get("/api/search", params={"q": "bike lock code"}).json()["hits"]
    assert note.ref not in {h["ref"] for h in hits}
    assert_envelope(client.post("/api/forget", json={}), 422, "invalid_request")


def test_export_downloads_the_vault(client: TestClient) -> None:
    got = client.post("/api/export", json={"format": "json"})
    assert got.status_code == 200, got.text
    assert got.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(got.content)) as archive:
        refs = {json.loads(line)["ref"] for line in archive.read("records.jsonl").decode().splitlines()}
    assert RENT in refs
    sealed = client.post("/api/export", json={"format": "turtle", "passphrase": "correct horse battery"})
    assert sealed.status_code == 200 and sealed.headers["content-type"] == "application/octet-stream"
    assert b"Rua das Flores" not in sealed.content and b"@prefix" not in sealed.content


def test_grants_and_the_audit_log(client: TestClient, server_vault: knowme.Vault) -> None:
    plain = client.post("/api/grants", json={"client": "calendar-only", "scopes": ["calendar"]}).json()["token"]
    made = client.post(
        "/api/grants", json={"client": "calendar-bot", "scopes": ["calendar", "health"], "expires": "2w"}
    )
    assert made.status_code == 201, made.text
    token = made.json()["token"]
    assert token.startswith("km_") and made.json()["status"] == "active"
    app = create_app(server_vault)
    with TestClient(app, headers=auth(plain), raise_server_exceptions=False) as only:  # the dentist is health
        assert only.get("/api/search", params={"q": "dentist appointment"}).json()["hits"] == []
    with TestClient(app, headers=auth(token), raise_server_exceptions=False) as bot:
        hits = bot.get("/api/search", params={"q": "dentist appointment"}).json()["hits"]
    assert hits and {h["kind"] for h in hits} == {"event"}
    listed = client.get("/api/grants").json()["grants"]
    assert "calendar-bot" in {g["client"] for g in listed} and all("token" not in g for g in listed)
    events = client.get("/api/audit", params={"actor": "calendar-bot"}).json()["events"]
    assert [e["action"] for e in events] == ["search"] and events[0]["detail"]["refs"] == [h["ref"] for h in hits]
    assert client.delete("/api/grants/calendar-bot").json()["grants"][0]["status"] == "revoked"
    assert_envelope(client.delete("/api/grants/calendar-bot"), 404, "not_found")
    assert_envelope(client.post("/api/grants", json={"client": "x", "scopes": ["everything"]}), 422, "invalid_request")
