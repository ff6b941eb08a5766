"""The knowledge graph built while ingesting a small life: resolution, the owner, facts with time, commitments."""

from __future__ import annotations

from pathlib import Path

import knowme
from knowme.models.graph import USER_ID
from tests.graph.life import write_life


def _by_name(vault: knowme.Vault) -> dict[str, str]:
    graph = vault.store.graph()
    return {e.name: e.id for e in graph.entities()}


def _ingest(vault: knowme.Vault, tmp_path: Path) -> Path:
    root = write_life(tmp_path / "life")
    report = vault.ingest([root / "contacts.vcf", root / "mail.mbox", root / "notes", root / "family.chat.jsonl"])
    assert not [p for p in report.problems if p.where == "knowledge graph"]
    return root


def test_one_person_seen_many_ways_is_one_entity(vault: knowme.Vault, tmp_path: Path) -> None:
    _ingest(vault, tmp_path)
    graph = vault.store.graph()
    names = _by_name(vault)
    joao = names["João Gonçalves"]
    aliases = {a.alias for a in graph.aliases(joao)}
    assert {"joao.goncalves@acme.example", "Jota", "João Gonçalves"} <= aliases
    people = [e for e in graph.entities(type="person")]
    assert sum(1 for e in people if "Gon" in e.name or e.name in ("Joao", "Jota")) == 1
    # the owner: the address in most mail, merged with her own card; her mother comes from the card
    user = graph.get_entity(USER_ID)
    assert user is not None and user.name == "Marta Ribeiro"
    assert "marta.ribeiro@home.example" in {a.alias for a in graph.aliases(USER_ID)}
    merges = graph.merges(USER_ID)
    assert any("mailbox owner" in m.reason or "same" in m.reason or "shared" in m.reason for m in merges)


def test_facts_relationships_health_and_time(vault: knowme.Vault, tmp_path: Path) -> None:
    _ingest(vault, tmp_path)
    graph = vault.store.graph()
    names = _by_name(vault)
    rosa = names["Rosa Ribeiro"]
    mother = graph.facts(subject_id=USER_ID, predicate="mother")
    assert {f.object_id for f in mother} == {rosa}
    assert [f.object_value for f in graph.facts(subject_id=rosa, predicate="allergy")] == ["shellfish"]
    assert [f.object_value for f in graph.facts(subject_id=rosa, predicate="birthday")] == ["1958-09-17"]
    partner = graph.facts(subject_id=USER_ID, predicate="partner")
    assert [graph.get_entity(f.object_id).name for f in partner if f.object_id] == ["Tiago Lopes"]  # type: ignore[union-attr]
    manager = graph.facts(subject_id=USER_ID, predicate="manager")
    assert {f.object_id for f in manager} == {names["Ines Duarte"]}
    lives = {graph.get_entity(f.object_id).name: f for f in graph.facts(subject_id=USER_ID, predicate="lives_in")}  # type: ignore[union-attr]
    assert lives["Braga"].valid_from == "2024-05-18"
    assert lives["Coimbra"].valid_to == "2024-05-18"  # closed by the move, not erased
    assert [f.object_value for f in graph.facts(subject_id=USER_ID, predicate="diet")] == ["vegetarian"]
    assert [f.object_value for f in graph.facts(subject_id=USER_ID, predicate="saving_for")] == ["a new bike"]
    for fact in graph.facts():
        assert graph.sources("fact", fact.id), f"{fact.predicate} has no source"
        assert fact.extractor == "patterns" and fact.extractor_version


def test_commitments_due_dates_and_delivery(vault: knowme.Vault, tmp_path: Path) -> None:
    _ingest(vault, tmp_path)
    graph = vault.store.graph()
    names = _by_name(vault)
    found = {(c.direction, c.what): c for c in graph.commitments()}
    asked = next(c for (d, _), c in found.items() if d == "asked")
    assert asked.counterparty_id == names["João Gonçalves"] and asked.due == "2024-03-12"
    made = next(c for (d, w), c in found.items() if d == "made" and "comments" in w)
    assert made.due == "2024-03-08" and made.status == "done"  # the Friday after 4 March; delivered on the 7th
    album = next(c for (d, w), c in found.items() if "album" in w)
    assert album.status == "open" and album.due == "2024-04-07" and album.counterparty_id == names["Rosa Ribeiro"]


def test_forgetting_a_record_removes_what_only_it_supported(vault: knowme.Vault, tmp_path: Path) -> None:
    _ingest(vault, tmp_path)
    graph = vault.store.graph()
    rosa = _by_name(vault)["Rosa Ribeiro"]
    note = vault.store.records_by_ref("note:Journal/2024-02-03.md")[0]
    vault.store.delete_records([note.id])
    assert graph.facts(subject_id=rosa, predicate="allergy") == []
    assert graph.facts(subject_id=rosa, predicate="birthday")  # the card still says so


def test_exact_answers_cite_their_sources_and_unknown_stays_unknown(vault: knowme.Vault, tmp_path: Path) -> None:
    _ingest(vault, tmp_path)
    cases = {
        "When is my mum's birthday?": ("17 September", "vcf:rosa-card"),
        "what's Rosa's birthday": ("17 September", "vcf:rosa-card"),
        "Who is my boss now?": ("Ines Duarte", "note:People/Ines Duarte.md"),
        "Is Rosa allergic to anything?": ("shellfish", "note:Journal/2024-02-03.md"),
        "What did João ask me to do?": ("review the quarterly forecast", "mail:q1@acme.example"),
        "What did I promise Rosa?": ("photo album", "mail:s1@home.example"),
    }
    for question, (needle, ref) in cases.items():
        answer = vault.ask(question, as_of="2024-12-31")
        assert answer.backend == "graph", question
        assert needle in answer.text, (question, answer.text)
        assert ref in answer.citations, (question, answer.citations)
    lived = vault.graph_answer("Where did I live in February?", as_of="2024-12-31")
    assert lived is not None and "Coimbra" in lived.text
    now = vault.graph_answer("where do I live", as_of="2024-12-31")
    assert now is not None and "Braga" in now.text
    assert vault.graph_answer("Is Tiago allergic to anything?", as_of="2024-12-31") is None
    assert vault.graph_answer("When is Zeca's birthday?") is None
    assert vault.graph_answer("What is the capital of France?") is None


def test_people_cli_views_merge_and_split(vault: knowme.Vault, tmp_path: Path, home: Path) -> None:
    import json

    from typer.testing import CliRunner

    from knowme.interfaces.cli import app

    _ingest(vault, tmp_path)
    profile = vault.person("jota")
    assert profile.summary.name == "João Gonçalves"
    assert any(f.predicate == "works_at" and f.value == "Acme Robotics" for f in profile.facts)
    as_of = {f.value for f in vault.facts(as_of="2024-03-01", about="me") if f.predicate == "lives_in"}
    assert as_of == {"Coimbra"}
    moves = [e for e in vault.timeline(since="2024-05-01", until="2024-05-31") if "lives_in" in e.what]
    assert moves and moves[0].day == "2024-05-18" and "note:Journal/2024-05-20.md" in moves[0].refs
    new = vault.split_person("João Gonçalves", "Jota")
    assert new == "Jota" and "Jota" not in vault.person("João Gonçalves").summary.aliases
    assert vault.merge_people("João Gonçalves", "Jota") == "João Gonçalves"
    assert "Jota" in vault.person("joão").summary.aliases
    vault.close()
    runner = CliRunner()
    result = runner.invoke(app, ["people", "--json"])
    assert result.exit_code == 0, result.output
    listed = json.loads(result.output)
    assert listed[0]["id"] == "user" and any(
        p["name"] == "Rosa Ribeiro" and "mother" in p["relationship"] for p in listed
    )
    result = runner.invoke(app, ["facts", "--about", "Rosa", "--json"])
    assert result.exit_code == 0 and any(f["predicate"] == "allergy" for f in json.loads(result.output))
    result = runner.invoke(app, ["person", "Nobody Here"])
    assert result.exit_code != 0
