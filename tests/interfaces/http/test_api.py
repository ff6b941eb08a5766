"""The HTTP API in process: auth, the error envelope for every status, limits, and each endpoint on a real vault."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

import knowme
from knowme.interfaces.http import Limits, create_app
from knowme.interfaces.http.auth import TOKEN_META_KEY, issue_token
from knowme.llm.batching import TRAFFIC
from tests.interfaces.http.conftest import auth


def assert_envelope(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) == {"status", "code", "message", "details"}
    assert error["status"] == status and error["code"] == code and error["message"]
    return error


# -- auth ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer km_wrong"}, {"Authorization": "Basic dXNlcjpwYXNz"}, {"Authorization": "Bearer"}],
)
def test_no_data_without_a_valid_token(client: TestClient, headers: dict[str, str]) -> None:
    anonymous = TestClient(client.app, headers=headers)
    for method, path in (("GET", "/api/search?q=Porto"), ("GET", "/api/status"), ("POST", "/api/ask")):
        response = anonymous.request(method, path, json={"question": "rent?"} if method == "POST" else None)
        error = assert_envelope(response, 401, "unauthorized")
        assert response.headers["www-authenticate"] == "Bearer"
        assert "Porto" not in response.text and "knowme token" in error["message"]


def test_health_needs_no_token(client: TestClient) -> None:
    response = TestClient(client.app).get("/healthz")
    assert response.status_code == 200 and response.json() == {"ok": True}


def test_a_new_token_replaces_the_old_one(server_vault: knowme.Vault) -> None:
    app = create_app(server_vault)
    shared = server_vault.store.get_meta(TOKEN_META_KEY) or ""
    try:
        first = issue_token(server_vault.store)
        second = issue_token(server_vault.store)
        assert first != second and first.startswith("km_")
        assert TestClient(app, headers=auth(second)).get("/api/status").status_code == 200
        assert_envelope(TestClient(app, headers=auth(first)).get("/api/status"), 401, "unauthorized")
        assert second not in (server_vault.store.get_meta(TOKEN_META_KEY) or "")
    finally:
        server_vault.store.set_meta(TOKEN_META_KEY, shared)  # the module's token works again


# -- the envelope for every error ---------------------------------------------------------------------------------


def test_unknown_route_and_method(client: TestClient) -> None:
    error = assert_envelope(client.get("/api/nothing-here"), 404, "not_found")
    assert "/api/nothing-here" in error["message"]
    assert_envelope(client.delete("/api/search"), 405, "method_not_allowed")


def test_unknown_ref_is_404(client: TestClient) -> None:
    error = assert_envelope(client.get("/api/records", params={"ref": "mail:nobody@example.org"}), 404, "not_found")
    assert "mail:nobody@example.org" in error["message"]


def test_validation_errors_name_the_field(client: TestClient) -> None:
    error = assert_envelope(client.get("/api/search"), 422, "invalid_request")
    assert error["details"][0]["loc"] == "query.q"
    error = assert_envelope(client.get("/api/search", params={"q": "x", "k": 0}), 422, "invalid_request")
    assert "k" in error["details"][0]["loc"]
    assert_envelope(client.post("/api/ask", json={"question": "x", "surprise": 1}), 422, "invalid_request")
    assert_envelope(
        client.post("/api/ask", content=b"{not json", headers={"content-type": "application/json"}),
        422,
        "invalid_request",
    )


def test_bad_date_is_422(client: TestClient) -> None:
    error = assert_envelope(
        client.get("/api/search", params={"q": "dentist", "as_of": "someday"}), 422, "invalid_request"
    )
    assert error["details"][0]["loc"].startswith("query.as_of")


def test_server_errors_hide_their_text(server_vault: knowme.Vault, token: str) -> None:
    app = create_app(server_vault)

    def explode() -> None:
        raise RuntimeError("secret detail: Rua das Flores")

    app.add_api_route("/api/explode", explode)
    response = TestClient(app, headers=auth(token), raise_server_exceptions=False).get("/api/explode")
    error = assert_envelope(response, 500, "internal_error")
    assert "Rua das Flores" not in response.text and "secret" not in error["message"]


def test_body_limits(server_vault: knowme.Vault, token: str) -> None:
    app = create_app(server_vault, limits=Limits(body=2000, upload=5000))
    c = TestClient(app, headers=auth(token))
    error = assert_envelope(c.post("/api/ask", json={"question": "x" * 3000}), 413, "payload_too_large")
    assert "2000" in error["message"]

    def chunked() -> Any:
        for _ in range(10):
            yield b'{"question": "' + b"y" * 500

    assert_envelope(
        c.post("/api/ask", content=chunked(), headers={"content-type": "application/json"}), 413, "payload_too_large"
    )
    big = {"files": ("big.md", b"# big\n" + b"word " * 2000, "text/markdown")}
    assert_envelope(c.post("/api/ingest", files=big), 413, "payload_too_large")
    small = {"files": ("small.md", b"# Small note\nThe spare key is under the blue flowerpot.\n", "text/markdown")}
    assert c.post("/api/ingest", files=small).status_code == 200


# -- endpoints ----------------------------------------------------------------------------------------------------


def test_search_returns_refs(client: TestClient) -> None:
    response = client.get("/api/search", params={"q": "Rua das Flores", "k": 2})
    assert response.status_code == 200
    body = response.json()
    assert body["query"] == "Rua das Flores" and len(body["hits"]) == 2
    top = body["hits"][0]
    assert top["ref"] == "mail:porto-7@example.org" and top["kind"] == "email" and "950" in top["text"]
    only_events = client.get("/api/search", params={"q": "dentist", "kind": "event"}).json()["hits"]
    assert only_events and {h["kind"] for h in only_events} == {"event"}
    assert (
        client.get("/api/search", params={"q": "dentist", "kind": "event", "as_of": "2025-03-01"}).json()["hits"] == []
    )


def test_requests_are_counted_while_they_are_served(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    # the query embedder holds a batch open only while other requests are in flight: the count must be right
    embedder = client.app.state.vault.embedder  # type: ignore[attr-defined]
    seen: list[int] = []
    original = embedder.embed_query
    monkeypatch.setattr(embedder, "embed_query", lambda text: (seen.append(TRAFFIC.in_flight), original(text))[1])
    before = TRAFFIC.in_flight
    assert client.get("/api/search", params={"q": "a question never asked before"}).status_code == 200
    assert seen == [before + 1] and TRAFFIC.in_flight == before
    assert client.get("/api/search", params={"q": ""}).status_code == 422 and TRAFFIC.in_flight == before


def test_record_by_ref(client: TestClient) -> None:
    body = client.get("/api/records", params={"ref": "mail:porto-7@example.org"}).json()
    assert body["ref"] == "mail:porto-7@example.org"
    record = body["records"][0]
    assert record["kind"] == "email" and record["title"] == "Porto flat" and "950 euros" in record["text"]
    assert record["timestamp"].startswith("2025-02-10")


def test_recent_records_newest_first(client: TestClient) -> None:
    records = client.get("/api/records/recent", params={"limit": 5}).json()["records"]
    stamps = [r["timestamp"] for r in records]
    assert len(records) >= 3 and all(stamps)
    from datetime import datetime

    parsed = [datetime.fromisoformat(s) for s in stamps]
    assert parsed == sorted(parsed, reverse=True)
    emails = client.get("/api/records/recent", params={"kind": "email"}).json()["records"]
    assert emails and {r["kind"] for r in emails} == {"email"}


def test_remember_then_find(client: TestClient) -> None:
    response = client.post("/api/remember", json={"text": "My locker code at the climbing gym is 4711."})
    assert response.status_code == 201
    record = response.json()
    assert record["ref"].startswith("note:remembered/") and record["source"] == "api"
    hits = client.get("/api/search", params={"q": "locker code climbing gym"}).json()["hits"]
    assert hits[0]["ref"] == record["ref"]
    assert client.get("/api/records", params={"ref": record["ref"]}).json()["records"][0]["text"].endswith("4711.")
    assert_envelope(client.post("/api/remember", json={"text": "   "}), 400, "bad_request")


def test_upload_ingest(client: TestClient) -> None:
    note = b"---\ntitle: Bike\n---\n# Bike\nThe bike lock combination is 9-3-1.\n"
    response = client.post("/api/ingest", files=[("files", ("bike.md", note, "text/markdown"))])
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["files"] == ["bike.md"] and report["added"] == {"note": 1}
    again = client.post("/api/ingest", files=[("files", ("bike.md", note, "text/markdown"))]).json()
    # the same note again is not a copy (a note without a date takes the upload's time, so it may be "updated")
    assert again["added"] == {} and again["unchanged"].get("note", 0) + again["updated"].get("note", 0) == 1
    hits = client.get("/api/search", params={"q": "bike lock combination"}).json()["hits"]
    assert hits[0]["ref"] == "note:bike.md"
    sneaky = [("files", ("../../etc/evil.md", b"# x\nhello\n", "text/markdown"))]
    assert client.post("/api/ingest", files=sneaky).json()["files"] == ["evil.md"]
    twins = [("files", (".a.md", b"# A\none\n", "text/markdown")), ("files", ("a.md", b"# A\ntwo\n", "text/markdown"))]
    assert client.post("/api/ingest", files=twins).json()["files"] == ["a.md", "a (2).md"]
    assert_envelope(client.post("/api/ingest"), 422, "invalid_request")


def test_ask(client: TestClient) -> None:
    response = client.post("/api/ask", json={"question": "What is the rent of the Porto flat?"})
    assert response.status_code == 200
    answer = response.json()
    assert "950" in answer["text"] and answer["citations"][0] == "mail:porto-7@example.org"
    assert answer["evidence"][0]["ref"] == "mail:porto-7@example.org" and answer["backend"].startswith("extractive")


def parse_sse(text: str) -> list[tuple[str, Any]]:
    events = []
    for block in text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines())
        events.append((lines["event"], json.loads(lines["data"])))
    return events


def test_ask_stream(client: TestClient) -> None:
    with client.stream("POST", "/api/ask/stream", json={"question": "What is the rent of the Porto flat?"}) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        events = parse_sse(r.read().decode())
    names = [e for e, _ in events]
    assert names[0] == "evidence" and names[-1] == "done" and "delta" in names
    assert events[0][1][0]["ref"] == "mail:porto-7@example.org"
    done = events[-1][1]
    assert "950" in done["text"] and done["citations"][0] == "mail:porto-7@example.org"
    assert "".join(d["text"] for e, d in events if e == "delta").strip() == done["text"]
    assert_envelope(client.post("/api/ask/stream", json={"question": "x", "as_of": "never"}), 422, "invalid_request")


def test_status(client: TestClient) -> None:
    status = client.get("/api/status").json()
    assert status["records"]["email"] == 2 and status["chunks"] > 0 and status["vault_bytes"] > 0
    assert status["backend"].startswith("extractive") and status["features"]["graph"] is True
    assert status["features"]["privacy"] is True


def test_openapi_documents_auth_and_errors(client: TestClient) -> None:
    spec = TestClient(client.app).get("/openapi.json").json()
    assert {"/api/search", "/api/ask", "/api/ask/stream", "/api/records", "/api/ingest", "/api/status"} <= set(
        spec["paths"]
    )
    assert {"/api/people", "/api/people/{name}", "/api/people/{name}/graph", "/api/timeline", "/api/facts"} <= set(
        spec["paths"]
    )
    assert spec["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    search = spec["paths"]["/api/search"]["get"]
    assert search["security"] == [{"HTTPBearer": []}]
    assert search["responses"]["401"]["content"]["application/json"]["schema"]["$ref"].endswith("ErrorEnvelope")


def test_uploads_leave_nothing_in_the_data_folder_and_nothing_after_a_crash(
    server_vault: knowme.Vault, token: str
) -> None:
    from starlette.formparsers import MultiPartParser

    from knowme.connectors.archive import RAM
    from knowme.interfaces.http.routes.ingest import INCOMING, incoming_folder

    home = server_vault.home
    fast = incoming_folder(home)
    for left in {home / INCOMING, fast}:  # what a server killed in the middle of an upload left
        left.mkdir(mode=0o700, exist_ok=True)
        (left / "half.md").write_text("# Half\nThe safe code is 0451.\n", encoding="utf-8")
    limits = Limits(upload=8 << 20)
    with TestClient(create_app(server_vault, limits=limits), headers=auth(token)) as c:
        assert not (home / INCOMING).exists() and not fast.exists()  # removed when the server starts
        assert MultiPartParser.spool_max_size >= limits.upload  # uploads are not spooled to the temporary folder
        note = b"# Ferry\nThe ferry to the island leaves at 07:40 from pier 3.\n"
        assert c.post("/api/ingest", files=[("files", ("ferry.md", note, "text/markdown"))]).status_code == 200
        hit = c.get("/api/search", params={"q": "ferry to the island pier"}).json()["hits"][0]
    assert hit["ref"] == "note:ferry.md"
    if RAM.is_dir():  # the upload sat in memory, not in the data folder, and is gone
        assert str(home) not in hit["source"] and str(RAM) in hit["source"]
    assert not fast.exists() and not (home / INCOMING).exists()
