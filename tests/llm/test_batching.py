"""Batched, cached query embedding with the real bundled model: concurrent queries share model calls, vectors are
the model's own, the cache answers repeats, and a failing model reaches every waiting caller."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

import numpy as np
import pytest

from knowme.llm.batching import TRAFFIC, BatchingEmbedder
from knowme.llm.embedders import Embedder, MiniLMEmbedder

QUERIES = [f"question number {i} about the {w} budget" for i, w in enumerate(["rent", "trip", "team", "car"] * 4)]


def test_concurrent_queries_share_model_calls_and_match_the_model() -> None:
    model = MiniLMEmbedder()
    batching = BatchingEmbedder(model)
    start = threading.Barrier(len(QUERIES))
    got: dict[str, np.ndarray] = {}

    def ask(q: str) -> None:
        start.wait()
        got[q] = batching.embed_query(q)

    threads = [threading.Thread(target=ask, args=(q,)) for q in QUERIES]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert set(got) == set(QUERIES)
        assert batching.batches < len(QUERIES)  # at least two queries went to the model together
        for q in QUERIES:
            alone = model.embed_query(q)
            assert got[q].shape == (model.dim,)
            assert float(np.dot(got[q], alone)) > 0.9999  # the same vector, up to float rounding
        before = batching.batches
        again = batching.embed_query(QUERIES[0])
        assert batching.batches == before and batching.hits == 1 and np.array_equal(again, got[QUERIES[0]])
        assert batching.embed(["a document"]).shape == (1, model.dim)  # documents go straight through
    finally:
        batching.close()


class Broken(Embedder):
    name = "broken"
    dim = 3

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        if any("boom" in t for t in texts):
            raise RuntimeError("model failed")
        return np.ones((len(texts), self.dim), dtype=np.float32)


def test_a_failure_reaches_the_caller_and_the_worker_lives_on() -> None:
    batching = BatchingEmbedder(Broken(), cache_size=2)
    try:
        with pytest.raises(RuntimeError, match="model failed"):
            batching.embed_query("boom")
        assert batching.embed_query("fine").tolist() == [1.0, 1.0, 1.0]
        for text in ("a", "b", "c"):
            batching.embed_query(text)
        assert len(batching._cache) == 2  # bounded
    finally:
        batching.close()


class Counting(Embedder):
    """Records the batches it is given."""

    name = "counting"
    dim = 2

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        self.calls.append(list(texts))
        return np.ones((len(texts), self.dim), dtype=np.float32)


def test_a_lone_request_is_embedded_at_once_even_with_a_long_linger() -> None:
    model = Counting()
    batching = BatchingEmbedder(model, linger=30.0)
    try:
        with TRAFFIC.request():
            done = threading.Event()
            threading.Thread(target=lambda: (batching.embed_query("alone"), done.set()), daemon=True).start()
            assert done.wait(10), "a lone request waited for company that could not come"
        assert model.calls == [["alone"]]
    finally:
        batching.close()


def test_under_load_a_batch_waits_for_the_requests_in_flight_and_no_longer() -> None:
    model = Counting()
    batching = BatchingEmbedder(model, linger=30.0)
    got: list[str] = []

    def ask(text: str) -> None:
        with TRAFFIC.request():
            batching.embed_query(text)
            got.append(text)

    try:
        with TRAFFIC.request():  # this test's own request is on its way while "first" reaches the worker
            first = threading.Thread(target=ask, args=("first",))
            first.start()
            time.sleep(0.3)
            assert got == [] and model.calls == []  # held open: another request is in flight
            batching.embed_query("second")  # the batch now holds every request in flight: it closes at once
            first.join(10)
            assert not first.is_alive(), "the batch waited for the 30 s deadline"
        assert got == ["first"]
        assert model.calls == [["first", "second"]]  # one model call for both
    finally:
        batching.close()
