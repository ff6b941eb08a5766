"""Batched, cached query embedding with the real bundled model: concurrent queries share model calls, vectors are
the model's own, the cache answers repeats, and a failing model reaches every waiting caller."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np
import pytest

from knowme.retrieve.batching import BatchingEmbedder
from knowme.retrieve.embedders import Embedder, MiniLMEmbedder

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
