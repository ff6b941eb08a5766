"""Slot suggestions: free times around real calendar events, never against a stated rule, explained."""

from __future__ import annotations

import json
from datetime import time, timedelta
from pathlib import Path

import pytest

import knowme
from knowme.assist.slots import busy_times, parse_rules, parse_span, violations
from knowme.errors import ConfigError
from knowme.interfaces.cli import main
from knowme.persona.prefs import make_preference
from tests.persona.life import write_life


def test_rules_and_spans_are_read() -> None:
    rules = parse_rules([
        make_preference("never book meetings before 10:00"),
        make_preference("no meetings after 5pm"),
        make_preference("keep Wednesday mornings free"),
        make_preference("red meat", avoid=True),
        make_preference("I like short meetings"),
    ])  # fmt: skip
    assert rules.earliest == time(10) and rules.latest == time(17)
    assert (2, time(0), time(12)) in rules.blocked
    assert [p.statement for p in rules.not_applied] == ["I like short meetings"]
    assert parse_span("1h30m") == timedelta(minutes=90) and parse_span("2w") == timedelta(days=14)
    with pytest.raises(ConfigError):
        parse_span("soon")


def test_slots_respect_calendar_and_rules(vault: knowme.Vault, tmp_path: Path) -> None:
    life = write_life(tmp_path / "life")
    vault.ingest([life / "cal.ics", life / "people.vcf"])
    vault.prefer("never book meetings before 10:00")
    vault.prefer("no meetings on Fridays")
    slots = vault.suggest_slots("45m", "5d", start="2024-03-11", with_person="Ivo Marques", limit=10)
    assert slots and len(slots) <= 10
    rules = parse_rules(vault.preferences())
    start = slots[0].start.replace(hour=0, minute=0)
    busy = busy_times(vault.store, start, start + timedelta(days=6))
    assert {b.ref for b in busy} >= {"cal:dentist-1", "cal:lunch-1"}
    assert violations(slots, rules, busy) == 0
    assert all(s.start.weekday() < 4 and s.start.time() >= time(10) for s in slots)  # no Friday, nothing before 10
    assert all(s.end - s.start == timedelta(minutes=45) for s in slots)
    monday = [s for s in slots if s.start.day == 11]
    assert monday and "Lunch with Ivo" in monday[0].reason + monday[-1].reason
    assert "never book meetings before 10:00" in slots[0].reason and slots[0].people == ("Ivo Marques",)


def test_suggest_slots_cli(vault: knowme.Vault, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    life = write_life(tmp_path / "life")
    vault.ingest(life / "cal.ics")
    vault.close()
    with pytest.raises(SystemExit) as info:
        main(["suggest-slots", "--duration", "30m", "--within", "3d", "--from", "2024-03-11", "--json"])
    assert info.value.code in (0, None)
    slots = json.loads(capsys.readouterr().out)
    assert slots and {"start", "end", "reason"} <= set(slots[0])
