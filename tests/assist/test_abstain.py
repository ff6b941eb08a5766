"""``ask`` says it found nothing when retrieval's "found" estimate is low, instead of letting a model guess."""

from __future__ import annotations

from pathlib import Path

import knowme
from knowme.assist.ask import NOT_FOUND
from knowme.retrieve.abstain import NOT_FOUND_BELOW, found
from knowme.retrieve.search import Signals
from tests.retrieve.test_thread_search import write_chat


def test_found_grows_with_similarity_and_coverage() -> None:
    assert found(Signals(best_cosine=0.05, term_coverage=0.0)) < NOT_FOUND_BELOW
    assert found(Signals(best_cosine=0.7, term_coverage=1.0)) > 0.9
    assert found(Signals(best_cosine=0.4, term_coverage=0.2)) < found(Signals(best_cosine=0.4, term_coverage=0.8))


def test_ask_abstains_on_unrelated_questions_and_answers_related_ones(vault: knowme.Vault, tmp_path: Path) -> None:
    vault.ingest(write_chat(tmp_path / "ana-ben.chat.jsonl"))
    vault.choose_backend("extractive")
    unrelated = vault.ask("Which stock exchange index tracks Mongolian mining companies?")
    assert unrelated.text == NOT_FOUND and unrelated.citations == [] and unrelated.backend == "none"
    assert vault.context("Which stock exchange index tracks Mongolian mining companies?").found < NOT_FOUND_BELOW
    related = vault.ask("What colour does Ben's daughter want her bookshelf painted?")
    assert related.text != NOT_FOUND and "chat:m7" in related.citations
