"""Healthy dissonance: a labelled, cited counterpoint from the user's own lessons, only for advice questions."""

from __future__ import annotations

from pathlib import Path

import knowme
from knowme.assist.challenge import is_advice


def test_advice_questions_are_recognised() -> None:
    assert is_advice("Should I buy a new car this year?")
    assert is_advice("Is it a good idea to move to Berlin?")
    assert not is_advice("When is Ivo's birthday?")


def test_counterpoint_from_own_lessons_or_values(vault: knowme.Vault, tmp_path: Path) -> None:
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "2023-05-01.md").write_text(
        "# Car\n\nBought the red car on credit. In hindsight the car loan was a mistake: it ate my savings.\n",
        encoding="utf-8",
    )
    (notes / "garden.md").write_text("# Garden\n\nPlanted tomatoes.\n", encoding="utf-8")
    vault.ingest(notes)
    vault.choose_backend("extractive")
    answer = vault.ask("Should I buy a new car on credit?", challenge=True)
    assert answer.counterpoint.startswith("Counterpoint (from your own history)")
    assert "car loan was a mistake" in answer.counterpoint and answer.counterpoint_refs == ["note:2023-05-01.md"]
    assert vault.ask("Should I buy a new car on credit?").counterpoint == ""  # opt-in
    assert vault.ask("What did I plant in the garden?", challenge=True).counterpoint == ""  # not advice
    vault.prefer("I value time with family over overtime", polarity="value")
    other = vault.ask("Should I plant more tomatoes?", challenge=True)  # the car lesson is about something else
    expected = "Counterpoint (your values): you said \u201cI value time with family over overtime\u201d; does this fit?"
    assert other.counterpoint == expected
