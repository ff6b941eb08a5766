"""Feedback: ratings train the re-ranker that reorders search (opt-out, resettable), corrections become rules or
facts with the feedback as provenance; the CLI form."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import knowme
from knowme.errors import ConfigError
from knowme.interfaces.cli import main
from knowme.models import Hit
from knowme.persona.rerank import Reranker, list_features


def _notes(tmp_path: Path) -> Path:
    folder = tmp_path / "notes"
    folder.mkdir()
    for n in range(4):
        (folder / f"garden-{n}.md").write_text(f"# Garden {n}\n\nTomatoes and basil in the garden, bed {n}.\n")
    (tmp_path / "garden.chat.jsonl").write_text(
        "\n".join(
            json.dumps({"conversation": "g", "id": f"c{n}", "time": f"2024-05-0{n + 1}T10:00:00+00:00",
                        "speaker": "Ana", "text": f"The garden tomatoes and basil look great, bed {n}!"})
            for n in range(4)
        ) + "\n", encoding="utf-8",
    )  # fmt: skip
    return folder


def test_reranker_learns_a_taste_and_leaves_order_alone_untrained() -> None:
    now = datetime(2024, 5, 1, tzinfo=UTC)
    hits = [
        Hit(f"chat:{n}", "x", "chat:g", "chat_message", now - timedelta(days=n), 1.0 - n / 10, author="Ana")
        for n in range(3)
    ] + [Hit(f"note:{n}.md", "x", "notes:/n", "note", None, 0.6 - n / 10) for n in range(3)]
    model = Reranker()
    assert model.rerank(hits) == hits  # no ratings: the search's own order
    features = list_features(hits)
    for _ in range(10):
        for hit, x in zip(hits, features, strict=True):
            model.update(x, +1 if hit.kind == "note" else -1)
    ranked = model.rerank(hits)
    assert [h.kind for h in ranked[:3]] == ["note"] * 3
    assert model.weights["kind:note"] > 0 > model.weights["kind:chat_message"]
    again = Reranker.from_json(model.to_json())
    assert [h.ref for h in again.rerank(hits)] == [h.ref for h in ranked]


def test_ratings_rerank_search_and_reset(vault: knowme.Vault, tmp_path: Path) -> None:
    vault.ingest([_notes(tmp_path), tmp_path / "garden.chat.jsonl"])
    query = "garden tomatoes basil"
    before = vault.search(query, k=8)
    assert {h.kind for h in before} == {"note", "chat_message"}
    for hit in before:
        vault.feedback(hit.ref, rating=1 if hit.kind == "chat_message" else -1, query=query)
    after = vault.search(query, k=8)
    assert [h.kind for h in after[:4]] == ["chat_message"] * 4
    plain = vault.search(query, k=8, personalize=False)
    assert [h.ref for h in plain] == [h.ref for h in before]
    rows = vault.store.persona().feedback(target_type="hit")
    assert len(rows) == len(before) and "kind:chat_message" in rows[0].detail["features"]
    assert vault.reset_feedback() == len(before)
    assert [h.ref for h in vault.search(query, k=8)] == [h.ref for h in before]
    with pytest.raises(ConfigError):
        vault.feedback("note:nowhere.md", rating=1)
    with pytest.raises(ConfigError):
        vault.feedback(before[0].ref, rating=3)
    with pytest.raises(ConfigError):
        vault.feedback(before[0].ref)


def test_corrections_become_rules_or_facts_with_feedback_provenance(vault: knowme.Vault, tmp_path: Path) -> None:
    vault.ingest(_notes(tmp_path))
    rule = vault.feedback("answer-1", target_type="answer", correction="Never book meetings before 10:00")
    pref = next(p for p in vault.preferences() if p.id == rule.detail["preference"])
    assert pref.origin == "feedback" and pref.provenance["feedback"] == rule.id and pref.scope == "scheduling"
    fact = vault.feedback("note:garden-0.md", correction="Ana's birthday is 3 May.")
    record = vault.records(str(fact.detail["record"]))[0]
    assert record.meta["feedback"] == fact.id and record.meta["corrects"] == "note:garden-0.md"
    assert fact.detail["facts"]
    births = [f for f in vault.facts() if f.predicate == "birthday" and f.subject == "Ana"]
    assert births and births[0].refs == (record.ref,)
    assert vault.reset_feedback() == 0  # corrections are kept
    assert len(vault.store.persona().feedback()) == 2


def test_feedback_cli(vault: knowme.Vault, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    vault.ingest(_notes(tmp_path))
    vault.close()

    def run(*args: str) -> tuple[int, str]:
        with pytest.raises(SystemExit) as info:
            main(list(args))
        code = info.value.code
        return (code if isinstance(code, int) else 0), capsys.readouterr().out

    code, out = run("feedback", "--ref", "note:garden-1.md", "--rating", "+1", "--query", "garden", "--json")
    assert code == 0 and json.loads(out)["rating"] == 1
    code, out = run("feedback", "--ref", "note:garden-1.md", "--rating", "-1")
    assert code == 0 and "recorded" in out
    code, out = run("feedback", "--ref", "note:garden-1.md", "--correction", "I prefer short answers")
    assert "became the rule" in out
    code, out = run("feedback", "--reset", "--json")
    assert json.loads(out) == {"reset": True, "ratings_removed": 2}
    code, _ = run("feedback", "--rating", "1")
    assert code == 2
