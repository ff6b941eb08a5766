"""Exact answers to the same questions asked the ways people ask them, and no answer where the graph knows nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

import knowme
from knowme.assist.exact import graph_answer
from tests.graph.life import write_life

ASKED = {
    "Does my mum have allergies?": "shellfish",
    "What allergies does Rosa have?": "shellfish",
    "Who is Rosa Ribeiro to me?": "mother",
    "How is Rosa related to me?": "mother",
    "Which city do I live in?": "Braga",
    "Where was I living in March 2024?": "Coimbra",
    "What did I promise to do for Jota?": "comments on the forecast",
    "What have I promised?": "photo album",
    "Am I vegetarian?": "Yes",
    "What is my diet?": "vegetarian",
    "What am I saving for?": "a new bike",
    "When is my manager's birthday?": "14 August",
    "Where does Jota work?": "Acme Robotics",
}
UNKNOWN = ("Who is my father?", "What is my father allergic to?", "What does Jota owe me?", "When is Tiago's birthday?")


@pytest.fixture(scope="module")
def marta(tmp_path_factory: pytest.TempPathFactory) -> Iterator[knowme.Vault]:
    tmp = tmp_path_factory.mktemp("marta")
    root = write_life(tmp / "life")
    vault = knowme.open(tmp / "home", "correct horse battery staple")
    vault.ingest([root / name for name in ("contacts.vcf", "mail.mbox", "notes", "family.chat.jsonl")])
    yield vault
    vault.close()


@pytest.mark.parametrize("question", sorted(ASKED))
def test_phrasings_get_the_exact_answer(marta: knowme.Vault, question: str) -> None:
    answer = graph_answer(marta.store, question, today=date(2024, 9, 1))
    assert answer is not None, question
    assert ASKED[question] in answer.text and answer.citations


@pytest.mark.parametrize("question", UNKNOWN)
def test_what_the_graph_does_not_hold_stays_unknown(marta: knowme.Vault, question: str) -> None:
    assert graph_answer(marta.store, question, today=date(2024, 9, 1)) is None


def test_a_diet_asked_about_is_answered_no_when_another_holds(marta: knowme.Vault) -> None:
    answer = graph_answer(marta.store, "Am I vegan?", today=date(2024, 9, 1))
    assert answer is not None and answer.text.startswith("No: you are vegetarian")
    assert graph_answer(marta.store, "Am I vegetarian?", today=date(2024, 3, 1)) is None  # not stated yet then


def test_promises_and_health_as_they_stood_on_the_day_asked(marta: knowme.Vault) -> None:
    graph = marta.store.graph()
    done = next(c for c in graph.commitments() if c.status == "done" and c.direction == "made" and c.made_at)
    assert done.made_at is not None and done.done_at is not None and done.done_at[:10] > done.made_at[:10]
    who = graph.get_entity(done.counterparty_id or "")
    assert who is not None
    made_day = date.fromisoformat(done.made_at[:10])
    then = graph_answer(marta.store, f"What did I promise {who.name}?", today=made_day)
    assert then is not None and done.what in then.text
    assert "[open]" in then.text.split(done.what, 1)[1].split(";")[0]  # delivered only later
    later = graph_answer(marta.store, f"What did I promise {who.name}?", today=date(2024, 9, 1))
    assert later is not None and "[done]" in later.text.split(done.what, 1)[1].split(";")[0]
    before = graph_answer(marta.store, f"What did I promise {who.name}?", today=date(2023, 1, 1))
    assert before is None or done.what not in before.text
    # the shellfish allergy was written down on 3 February 2024: as of January it was not known yet
    assert graph_answer(marta.store, "Is Rosa allergic to anything?", today=date(2024, 1, 15)) is None
    assert graph_answer(marta.store, "Is Rosa allergic to anything?", today=date(2024, 2, 10)) is not None
