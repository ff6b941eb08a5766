"""The personal constitution: stated rules with guessed scope, preferences inferred from the user's own words with
their sources, editing and removing, and the applicable ones shown to the model and returned with every answer."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

import knowme
from knowme.assist.ask import ContextPack, build_messages
from knowme.errors import ConfigError
from knowme.interfaces.cli import main
from knowme.models import Hit
from knowme.persona.prefs import applicable, guess_scope, make_preference
from tests.conftest import PASSPHRASE


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    code = exit_info.value.code
    return (code if isinstance(code, int) else 0), capsys.readouterr().out


def test_scope_and_polarity_are_guessed_from_the_words() -> None:
    rule = make_preference("never book meetings before 10:00")
    assert (rule.scope, rule.polarity, rule.origin) == ("scheduling", "rule", "stated")
    meat = make_preference("red meat", avoid=True)
    assert (meat.statement, meat.scope, meat.polarity) == ("Avoid red meat", "food", "avoid")
    assert guess_scope("keep my emails short and friendly") == "writing"
    assert guess_scope("the colour blue") == "general"
    assert make_preference("blue", scope="Design").scope == "design"
    with pytest.raises(ConfigError):
        make_preference("   ")
    with pytest.raises(ConfigError):
        make_preference("x", strength=2)


def test_applicable_preferences_match_scope_or_words() -> None:
    rules = [
        make_preference("never book meetings before 10:00"),
        make_preference("red meat", avoid=True),
        make_preference("keep emails short"),
    ]
    chosen = applicable(rules, "Can you find a slot for a meeting with Ivo on Tuesday?")
    assert [p.statement for p in chosen] == ["never book meetings before 10:00"]
    chosen = applicable(rules, "Which restaurant should we pick for dinner?")
    assert [p.statement for p in chosen] == ["Avoid red meat"]
    assert applicable(rules, "Who is Ivo?") == []


def test_stated_preferences_persist_edit_and_remove(home: Path) -> None:
    with knowme.open(home, PASSPHRASE) as vault:
        assert "m006_persona" in vault.store.applied_migrations()
        rule = vault.prefer("never book meetings before 10:00", strength=0.9)
        vault.prefer("red meat", avoid=True)
    with knowme.open(home, PASSPHRASE) as vault:
        found = {p.id: p for p in vault.preferences()}
        assert found[rule.id].strength == 0.9 and found[rule.id].scope == "scheduling"
        edited = vault.edit_preference(rule.id, scope="work", strength=0.5)
        assert (edited.scope, edited.strength) == ("work", 0.5)
        assert vault.store.persona().get_preference(rule.id).scope == "work"  # type: ignore[union-attr]
        vault.remove_preference(rule.id)
        assert rule.id not in {p.id for p in vault.preferences(include_inactive=True)}
        with pytest.raises(ConfigError):
            vault.remove_preference(rule.id)


def test_preferences_inferred_from_own_words_cite_sources_and_go_with_them(vault: knowme.Vault, tmp_path: Path) -> None:
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "2024-06-02.md").write_text("# Food\n\nI've gone vegetarian since the trip.\n", encoding="utf-8")
    (notes / "2024-06-05.md").write_text("# Mornings\n\nI hate early meetings.\n", encoding="utf-8")
    vault.ingest(notes)
    inferred = {p.statement: p for p in vault.preferences() if p.origin == "inferred"}
    assert set(inferred) == {"Diet: vegetarian", "Avoid early meetings"}
    diet = inferred["Diet: vegetarian"]
    assert diet.refs == ("note:2024-06-02.md",) and diet.scope == "food" and diet.id.startswith("fact:")
    assert inferred["Avoid early meetings"].scope == "scheduling"
    # hiding an inferred preference keeps its fact; it comes back with --enable
    vault.remove_preference(diet.id)
    assert diet.id not in {p.id for p in vault.preferences()}
    assert vault.facts(about="me")
    vault.edit_preference(diet.id, active=True)
    assert diet.id in {p.id for p in vault.preferences()}
    # forgetting the note forgets the preference
    record = vault.records("note:2024-06-02.md")[0]
    with vault.store.transaction():
        vault.store.delete_records([record.id])
    assert "Diet: vegetarian" not in {p.statement for p in vault.preferences()}


def test_ask_shows_applicable_rules_to_the_model_and_returns_them(vault: knowme.Vault, tmp_path: Path) -> None:
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "week.md").write_text("# Week\n\nMeeting with Ivo about the budget, any morning works for him.\n")
    vault.ingest(notes)
    rule = vault.prefer("never book meetings before 10:00")
    vault.prefer("red meat", avoid=True)
    vault.choose_backend("extractive")
    answer = vault.ask("When should I book the meeting with Ivo?")
    assert [p.id for p in answer.preferences] == [rule.id]
    assert [p.id for p in vault.context("When should I book the meeting with Ivo?").preferences] == [rule.id]
    hit = Hit("note:week.md", "Meeting with Ivo.", "notes", "note", None, 1.0)
    pack = ContextPack((hit,), "[1] Meeting with Ivo.", 5, preferences=(rule,))
    cited = build_messages("When?", pack, today=datetime(2024, 3, 1), style="cited")[1].content
    assert "[P1] never book meetings before 10:00" in cited
    compact = build_messages("When?", pack, today=None, style="compact")[1].content
    assert "The user's rules: never book meetings before 10:00." in compact


def test_prefer_and_prefs_cli(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "init")[0] == 0
    code, out = run(capsys, "prefer", "never book meetings before 10:00", "--strength", "0.8", "--json")
    assert code == 0
    made = json.loads(out)
    assert made["scope"] == "scheduling" and made["strength"] == 0.8 and made["origin"] == "stated"
    code, out = run(capsys, "prefer", "red meat", "--avoid", "--scope", "diet")
    assert code == 0 and "Avoid red meat" in out
    code, out = run(capsys, "prefs", "--json")
    listed = json.loads(out)
    assert {p["statement"] for p in listed} == {"never book meetings before 10:00", "Avoid red meat"}
    code, out = run(capsys, "prefs", "edit", made["id"], "--disable", "--json")
    assert json.loads(out)["active"] is False
    code, out = run(capsys, "prefs", "--all")
    assert "(hidden)" in out
    code, out = run(capsys, "prefs", "remove", made["id"])
    assert code == 0 and "Removed" in out
    code, _ = run(capsys, "prefs", "remove", made["id"])
    assert code == 2
