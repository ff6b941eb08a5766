"""Exact answers to the same questions asked the ways people ask them, and no answer where the graph knows nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

import knowme
from knowme.graph.answer import graph_answer
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
