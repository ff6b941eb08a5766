"""The energy pattern: learned from journal notes and deep-work events, and used to place meetings and focus time."""

from __future__ import annotations

from datetime import time
from pathlib import Path

import pytest

import knowme
from knowme.assist.slots import busy_times, parse_rules, violations
from knowme.errors import ConfigError
from knowme.persona.energy import learn_energy, sentence_evidence
from tests.persona.life import write_life


@pytest.mark.parametrize(
    ("sentence", "polarity", "hours"),
    [
        ("I'm sharpest in the mornings.", 1, range(8, 12)),
        ("After lunch I always crash.", -1, range(12, 14)),
        ("Great deep work session from 8 to 11 today.", 1, range(8, 11)),
        ("Felt drained all afternoon.", -1, range(13, 17)),
        ("I'm not a morning person.", -1, range(8, 12)),
        ("Evenings are when I'm most creative.", 1, range(17, 21)),
        ("Wiped out at 3pm again.", -1, range(15, 16)),
    ],
)
def test_sentences_about_energy(sentence: str, polarity: int, hours: range) -> None:
    [found] = sentence_evidence("note:j.md", sentence)
    assert found.polarity == polarity and found.hours == tuple(hours)


@pytest.mark.parametrize(
    "sentence", ["Am I more focused in the morning?", "The meeting is in the morning.", "I was tired.", ""]
)
def test_sentences_that_say_nothing_about_energy(sentence: str) -> None:
    assert sentence_evidence("note:j.md", sentence) == []


def energetic_mornings(vault: knowme.Vault, root: Path) -> None:
    journal = root / "journal"
    journal.mkdir(parents=True)
    (journal / "2024-02-20.md").write_text(
        "# Tuesday\n\nI'm sharpest in the mornings, got the whole proposal drafted before lunch.\n"
        "After lunch I crash, as usual; the afternoon went to email.\n",
        encoding="utf-8",
    )
    (journal / "2024-02-27.md").write_text(
        "# Tuesday again\n\nAnother great deep work session from 9 to 11. Felt drained all afternoon.\n",
        encoding="utf-8",
    )
    vault.ingest([journal, write_life(root / "life") / "cal.ics"])


def test_the_profile_learned_from_notes(vault: knowme.Vault, tmp_path: Path) -> None:
    energetic_mornings(vault, tmp_path)
    profile = learn_energy(vault.store)
    assert profile.by_hour[9] == 1.0 and profile.by_hour[10] > 0.5
    assert profile.by_hour[14] < 0 and profile.by_hour[15] < 0
    assert {e.ref for e in profile.evidence} == {"note:2024-02-20.md", "note:2024-02-27.md"}


def test_meetings_keep_the_best_hours_free_and_focus_takes_them(vault: knowme.Vault, tmp_path: Path) -> None:
    energetic_mornings(vault, tmp_path)
    vault.prefer("no meetings on Fridays")
    meetings = vault.suggest_slots("45m", "5d", start="2024-03-11", limit=8)
    assert meetings and all(s.start.time() >= time(12) for s in meetings), [str(s.start) for s in meetings]
    assert "when your energy is highest, free for focused work" in meetings[0].reason
    assert any(r.startswith("note:2024-02-") for r in meetings[0].refs)
    focus = vault.suggest_slots("90m", "5d", start="2024-03-11", limit=8, purpose="focus")
    assert focus and all(s.start.time() < time(12) for s in focus), [str(s.start) for s in focus]
    assert "you are usually at your best then" in focus[0].reason and "\u201c" in focus[0].reason
    rules = parse_rules(vault.preferences())
    start = meetings[0].start.replace(hour=0, minute=0)
    busy = busy_times(vault.store, start, start.replace(day=start.day + 6))
    assert violations(meetings, rules, busy) == 0 and violations(focus, rules, busy) == 0  # energy never beats a rule
    with pytest.raises(ConfigError, match="--purpose"):
        vault.suggest_slots("45m", "5d", start="2024-03-11", purpose="nap")


def test_without_a_pattern_the_earliest_fit_comes_first(vault: knowme.Vault, tmp_path: Path) -> None:
    vault.ingest(write_life(tmp_path / "life") / "cal.ics")
    [first, *_] = vault.suggest_slots("45m", "5d", start="2024-03-11", limit=3)
    assert first.start.time() == time(9) and "energy" not in first.reason
