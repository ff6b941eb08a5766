"""The demo's ground truth describes what the writers actually wrote."""

from __future__ import annotations

from pathlib import Path

from knowme.demo.generator import generate_life
from knowme.demo.truth import ground_truth


def test_truth_matches_the_written_life(tmp_path: Path) -> None:
    generate_life(tmp_path)
    truth = ground_truth()
    cards = (tmp_path / "contacts" / "contacts.vcf").read_text(encoding="utf-8")
    for person in truth.people:
        assert any(alias in cards for alias in person.aliases), person.key
    kinds = {q.kind for q in truth.questions}
    assert kinds == {"fact", "relationship", "knowledge_update", "commitment", "unanswerable"}
    moves = [f for f in truth.facts if f.predicate == "lives_in"]
    assert [f.value for f in moves] == ["Lisbon", "Porto"] and moves[0].valid_to == moves[1].valid_from
    assert all(q.expected for q in truth.questions if q.kind != "unanswerable")
