"""Questions that name a day: the windows they point at, and search preferring what was written then."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

import knowme
from knowme.retrieve.when import Window, time_windows

TODAY = date(2026, 11, 26)  # a Thursday


def days(start: str, end: str) -> Window:
    return Window(date.fromisoformat(start), date.fromisoformat(end))


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("What dish did Nate make on 9 November, 2022?", [days("2022-11-09", "2022-11-10")]),
        ("what did she say on the 9th of November 2022", [days("2022-11-09", "2022-11-10")]),
        ("What happened on July 31, 2023?", [days("2023-07-31", "2023-08-01")]),
        ("notes from 2024-03-05", [days("2024-03-05", "2024-03-06")]),
        ("Where was Tim in the week before 16 November 2023?", [days("2023-11-09", "2023-11-17")]),
        ("the weekend before 13 May 2024", [days("2024-05-09", "2024-05-14")]),
        ("the week after 1 March 2024", [days("2024-03-01", "2024-03-09")]),
        ("Where was John between August 11 and August 15 2023?", [days("2023-08-11", "2023-08-16")]),
        ("from March 30 to April 2, 2024", [days("2024-03-30", "2024-04-03")]),
        ("what did I buy in June 2023", [days("2023-06-01", "2023-07-01")]),
        ("in December 2023", [days("2023-12-01", "2024-01-01")]),
        ("Which tournament did Nate win in the beginning of November 2022?", [days("2022-11-01", "2022-11-11")]),
        ("in late February 2024", [days("2024-02-20", "2024-03-01")]),
        ("in mid-July 2023", [days("2023-07-10", "2023-07-21")]),
        ("what did I do yesterday", [days("2026-11-25", "2026-11-26")]),
        ("anything today?", [days("2026-11-26", "2026-11-27")]),
        ("emails from last week", [days("2026-11-16", "2026-11-23")]),
        ("this week", [days("2026-11-23", "2026-11-27")]),
        ("last weekend", [days("2026-11-21", "2026-11-23")]),
        ("what did Tom say last month", [days("2026-10-01", "2026-11-01")]),
        ("three days ago", [days("2026-11-23", "2026-11-24")]),
        ("two weeks ago", [days("2026-11-09", "2026-11-16")]),
        ("what did we decide in March", [days("2026-03-01", "2026-04-01")]),
        ("the party in December", [days("2025-12-01", "2026-01-01")]),  # the latest December that has begun
        ("the call last Monday", [days("2026-11-23", "2026-11-24")]),
        ("on Thursday", [days("2026-11-19", "2026-11-20")]),  # the latest Thursday before today
        ("what did Tom say on March 3?", [days("2026-03-03", "2026-03-04")]),
        ("the 30th of November", [days("2025-11-30", "2025-12-01")]),  # not yet this year: last year's
        ("Nov 26", [days("2026-11-26", "2026-11-27")]),
    ],
)
def test_windows(question: str, expected: list[Window]) -> None:
    assert list(time_windows(question, TODAY)) == expected


@pytest.mark.parametrize(
    "question",
    ["What does Nate like to cook?", "the 31st of February, 2023", "what happened in 2023", "May I ask about Tom?"],
)
def test_no_window(question: str) -> None:
    assert time_windows(question, TODAY) == ()


def test_absolute_dates_win_over_relative_words() -> None:
    assert time_windows("what did I say last week about 3 March 2024", TODAY) == (days("2024-03-03", "2024-03-04"),)


def write_days(path: Path) -> Path:
    # the same kind of message on many days: only the date tells which one a question means
    lines = []
    for i, (day, dish) in enumerate([("2024-03-02", "lasagne"), ("2024-03-09", "risotto"), ("2024-03-16", "curry"),
                                     ("2024-03-23", "paella"), ("2024-03-30", "ramen")]):  # fmt: skip
        text = f"Cooked dinner for everyone tonight, it was {dish}. Everyone loved the dinner I made."
        lines.append({"conversation": "kitchen", "id": f"m{i}", "time": f"{day}T19:00:00+00:00", "speaker": "Ana",
                      "text": text})  # fmt: skip
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n", encoding="utf-8")
    return path


def test_a_question_naming_a_day_finds_that_days_message(vault: knowme.Vault, tmp_path: Path) -> None:
    vault.ingest(write_days(tmp_path / "kitchen.chat.jsonl"))
    assert vault.search("What dinner did Ana cook on 16 March 2024?", k=1)[0].ref == "chat:m2"
    assert vault.search("What did Ana make for dinner on March 23, 2024?", k=1)[0].ref == "chat:m3"
    # relative days are read against as_of: "last week" seen from 5 April 2024 is 25-31 March
    as_of = datetime(2024, 4, 5, tzinfo=UTC)
    assert vault.search("what dinner did Ana cook last week", k=1, as_of=as_of)[0].ref == "chat:m4"
    # without a date the plain ranking stands (and the baselines never use time)
    assert {h.ref for h in vault.search("What dinner did Ana cook on 16 March 2024?", k=5, preset="bm25")} == {
        f"chat:m{i}" for i in range(5)
    }


def test_days_named_never_widen_the_filters(vault: knowme.Vault, tmp_path: Path) -> None:
    from knowme.models.store import SearchFilters
    from knowme.retrieve.search import run_search

    vault.ingest(write_days(tmp_path / "kitchen.chat.jsonl"))
    naive = SearchFilters(since=datetime(2024, 3, 10), until=datetime(2024, 3, 20))  # naive times are read as UTC
    inside = run_search(vault.store, vault.embedder, "What did Ana cook on 16 March 2024?", k=5, filters=naive)
    assert [h.ref for h in inside.hits] == ["chat:m2"]
    # a day outside the filters adds nothing from outside them
    outside = run_search(vault.store, vault.embedder, "What did Ana cook on 2 March 2024?", k=5, filters=naive)
    assert [h.ref for h in outside.hits] == ["chat:m2"]
    assert outside.analysis.windows == (days("2024-03-02", "2024-03-03"),)
