"""Questions naming someone in the graph get that person's current facts, cited, ahead of retrieved passages."""

from __future__ import annotations

from pathlib import Path

import knowme
from knowme.graph.context import entity_passages, people_named
from tests.graph.test_graph import _by_name, _ingest


def test_named_people_bring_their_facts_into_the_context(vault: knowme.Vault, tmp_path: Path) -> None:
    _ingest(vault, tmp_path)
    names = _by_name(vault)
    assert people_named(vault.store, "Is Rosa allergic to anything?") == [names["Rosa Ribeiro"]]
    assert people_named(vault.store, "What should I cook for rosa ribeiro on Sunday?") == [names["Rosa Ribeiro"]]
    assert people_named(vault.store, "What is the weather like?") == []

    pack = vault.context("What should I cook when Rosa visits?", as_of="2024-06-01")
    facts = [p for p in pack.passages if p.kind == "fact"]
    assert any("allergy shellfish" in p.text for p in facts)
    assert all(p.ref and p.ref.split(":")[0] in ("vcf", "note", "mail", "chat") for p in facts)
    assert pack.passages[0].kind == "fact"  # settled facts first, then what search found
    assert any(p.kind != "fact" for p in pack.passages)


def test_facts_follow_the_question_date(vault: knowme.Vault, tmp_path: Path) -> None:
    _ingest(vault, tmp_path)
    from datetime import date

    early = [p.text for p in entity_passages(vault.store, "What do I know about Rosa?", date(2024, 1, 15))]
    later = [p.text for p in entity_passages(vault.store, "What do I know about Rosa?", date(2024, 3, 1))]
    assert any("birthday 1958-09-17" in t for t in early) and not any("shellfish" in t for t in early)
    assert any("shellfish" in t for t in later)
    partner = [p.text for p in entity_passages(vault.store, "How is Tiago?", date(2024, 3, 1))]
    assert not any("partner" in t for t in partner)
    assert any("partner" in p.text for p in entity_passages(vault.store, "How is Tiago?", date(2024, 5, 1)))
    # the owner is never matched by name: every question is about them
    assert people_named(vault.store, "Where did Marta Ribeiro live in March?") == []


def test_remembered_notes_reach_the_graph(vault: knowme.Vault) -> None:
    vault.remember("Note to self: I've gone vegetarian since the new year.")
    diet = [f for f in vault.facts() if f.predicate == "diet"]
    assert [f.value for f in diet] == ["vegetarian"] and diet[0].refs[0].startswith("note:remembered/")
