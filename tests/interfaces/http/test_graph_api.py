"""The knowledge graph over HTTP, in process: people, a profile, the neighbourhood picture, timeline and facts."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

import knowme
from tests.graph.life import write_life
from tests.interfaces.http.conftest import make_vault
from tests.interfaces.http.test_api import assert_envelope


@pytest.fixture(scope="module")
def server_vault(tmp_path_factory: pytest.TempPathFactory) -> Iterator[knowme.Vault]:
    """The server tests' sample life plus the graph tests' life (a mother, a partner, a move, a manager)."""
    root = tmp_path_factory.mktemp("graph-api")
    vault = make_vault(root)
    life = write_life(root / "graph-life")
    vault.ingest([life / "contacts.vcf", life / "mail.mbox", life / "notes", life / "family.chat.jsonl"])
    try:
        yield vault
    finally:
        vault.close()


def test_people_lists_you_first_and_relationships(client: TestClient) -> None:
    people = client.get("/api/people").json()["people"]
    assert people[0]["id"] == "user"
    by_name = {p["name"]: p for p in people}
    assert "mother" in by_name["Rosa Ribeiro"]["relationship"]
    assert {"Lena Fischer", "Tiago Lopes", "Ines Duarte"} <= set(by_name)


def test_profile_by_any_alias_with_refs(client: TestClient) -> None:
    profile = client.get(f"/api/people/{quote('rosa ribeiro')}").json()
    assert profile["person"]["name"] == "Rosa Ribeiro"
    facts = {f["predicate"]: f for f in profile["facts"]}
    assert facts["birthday"]["value"] == "1958-09-17" and facts["birthday"]["refs"]
    assert facts["allergy"]["value"] == "shellfish"
    assert profile["interactions"] and all(i["ref"] for i in profile["interactions"])
    for ref in facts["allergy"]["refs"]:  # every ref opens the record behind it
        assert client.get("/api/records", params={"ref": ref}).status_code == 200
    assert client.get("/api/people/lena@example.org").json()["person"]["name"] == "Lena Fischer"


def test_unknown_person_is_404_and_ambiguous_is_400(client: TestClient) -> None:
    error = assert_envelope(client.get("/api/people/Nobody%20Atall"), 404, "not_found")
    assert "Nobody Atall" in error["message"]
    assert_envelope(client.get("/api/people/Nobody%20Atall/graph"), 404, "not_found")
    assert_envelope(client.get("/api/timeline", params={"person": "Nobody Atall"}), 404, "not_found")
    assert_envelope(client.get("/api/facts", params={"about": "Nobody Atall"}), 404, "not_found")
    assert_envelope(client.get("/api/people/x/graph", params={"limit": 0}), 422, "invalid_request")


def test_neighbourhood_picture(client: TestClient) -> None:
    picture = client.get("/api/people/me/graph").json()
    nodes = {n["id"]: n for n in picture["nodes"]}
    assert picture["center"] == "user" and nodes["user"]["center"] is True
    names = {n["name"] for n in picture["nodes"]}
    assert {"Rosa Ribeiro", "Tiago Lopes"} <= names
    mother = [e for e in picture["edges"] if e["label"] == "mother"]
    assert mother and nodes[mother[0]["target"]]["name"] == "Rosa Ribeiro"
    for edge in picture["edges"]:  # every edge joins drawn nodes
        assert edge["source"] in nodes and edge["target"] in nodes and edge["weight"] >= 0
    for node in picture["nodes"]:
        assert 0 <= node["x"] <= picture["width"] and 0 <= node["y"] <= picture["height"]
    positions = {(n["x"], n["y"]) for n in picture["nodes"]}
    assert len(positions) == len(picture["nodes"])  # nobody drawn on top of another
    small = client.get("/api/people/me/graph", params={"limit": 1}).json()
    assert len(small["nodes"]) == 2


def test_facts_as_of_and_timeline(client: TestClient) -> None:
    then = client.get("/api/facts", params={"as_of": "2024-03-01", "about": "me"}).json()["facts"]
    assert {f["value"] for f in then if f["predicate"] == "lives_in"} == {"Coimbra"}
    now = client.get("/api/facts", params={"about": "me"}).json()["facts"]
    braga = [f for f in now if f["predicate"] == "lives_in" and f["value"] == "Braga"]
    assert braga and braga[0]["valid_from"] == "2024-05-18" and braga[0]["valid_to"] is None
    everything = client.get("/api/facts").json()["facts"]
    assert len(everything) > len(now)
    entries = client.get("/api/timeline", params={"since": "2024-05-01", "until": "2024-05-31"}).json()["entries"]
    assert any("lives_in Braga" in e["what"] for e in entries)
    assert all("2024-05-01" <= e["day"][:10] <= "2024-05-31" for e in entries)
    days = [e["day"] for e in client.get("/api/timeline").json()["entries"]]
    assert days == sorted(days) and days
    rosa = client.get("/api/timeline", params={"person": "Rosa Ribeiro"}).json()["entries"]
    assert rosa and all("Rosa" in e["what"] or "Me" in e["what"] for e in rosa)


def test_graph_endpoints_need_the_graph_scope(client: TestClient) -> None:
    anonymous = TestClient(client.app)
    for path in ("/api/people", "/api/people/me", "/api/people/me/graph", "/api/timeline", "/api/facts"):
        assert_envelope(anonymous.get(path), 401, "unauthorized")
    assert client.get("/api/status").json()["features"]["graph"] is True
