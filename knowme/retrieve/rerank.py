"""The reranker's order fused with the search's: a cross-encoder (a :class:`knowme.llm.rerank.Reranker` plugin)
reads the top ``depth`` passages with the question, and each passage's rank by it and by the search are combined by
reciprocal rank, ``weight`` for the cross-encoder's (docs/retrieval.md has the figures)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from knowme.llm.rerank import Reranker
from knowme.models import Hit

RANK_K = 10  # reciprocal-rank constant: small, because only the top few dozen passages are fused
RERANK_WEIGHT = 0.5  # share of the cross-encoder's rank in the fused order (0.5 and 0.7 measured alike)


def passage_text(hit: Hit) -> str:
    """What the reranker reads of a passage: who wrote it (questions name people), the subject of a non-chat item."""
    text = f"{hit.author}: {hit.text}" if hit.author else hit.text
    if hit.title and hit.kind != "chat_message":
        text = f"{hit.title}\n{text}"
    return text


def rerank_hits(
    reranker: Reranker, query: str, hits: Sequence[Hit], depth: int, *, weight: float = RERANK_WEIGHT
) -> list[Hit]:
    """``hits`` with the first ``depth`` reordered by the fused ranks of the search and the reranker.

    Each of those hits gets ``weight / (RANK_K + its reranker rank) + (1 - weight) / (RANK_K + its search rank)`` as
    its score (ranks from 1); the hits beyond ``depth`` follow in their order, scored below the last reranked one.
    """
    return rerank_scored(reranker, query, hits, depth, weight=weight)[0]


def rerank_scored(
    reranker: Reranker, query: str, hits: Sequence[Hit], depth: int, *, weight: float = RERANK_WEIGHT
) -> tuple[list[Hit], float | None]:
    """:func:`rerank_hits`, and the reranker's best score over the passages it read (None when it read none)."""
    top, rest = list(hits[:depth]), list(hits[depth:])
    if not top:
        return list(hits), None
    scores = reranker.score(query, [passage_text(h) for h in top])
    if len(top) < 2:
        return [*top, *rest], float(scores[0])
    by_reranker = np.argsort(-scores, kind="stable")
    reranker_rank = np.empty(len(top), dtype=np.int64)
    reranker_rank[by_reranker] = np.arange(1, len(top) + 1)
    fused = [weight / (RANK_K + int(reranker_rank[i])) + (1 - weight) / (RANK_K + i + 1) for i in range(len(top))]
    order = sorted(range(len(top)), key=lambda i: -fused[i])
    floor = min(fused)
    tail = [replace(h, score=floor * (1 - (j + 1) / (len(rest) + 1))) for j, h in enumerate(rest)]
    return [replace(top[i], score=fused[i]) for i in order] + tail, float(scores.max())
