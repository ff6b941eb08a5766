"""Hybrid retrieval: BM25 over FTS5 and cosine similarity over vectors, fused by reciprocal rank.

Both retrievers see the same filters (kind, source, time range, ``as_of``); each returns its best ``depth``
chunks, and a chunk's fused score is ``sum(1 / (rrf_k + rank))`` over the lists it appears in.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache

from knowme.models import Hit
from knowme.retrieve.embedders import Embedder
from knowme.retrieve.query import query_terms
from knowme.store.base import SearchFilters, Store, StoredChunk


@dataclass(frozen=True)
class SearchPreset:
    """How a search combines its retrievers."""

    name: str
    use_bm25: bool = True
    use_dense: bool = True
    depth: int = 50
    rrf_k: int = 60


HYBRID = SearchPreset("hybrid")
BM25_ONLY = SearchPreset("bm25", use_dense=False)
DENSE_ONLY = SearchPreset("dense", use_bm25=False)
PRESETS = {p.name: p for p in (HYBRID, BM25_ONLY, DENSE_ONLY)}


@cache
def _embedder_pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="knowme-query")


def rrf(rankings: Sequence[Sequence[int]], rrf_k: int) -> dict[int, float]:
    scores: dict[int, float] = {}
    for ranking in rankings:
        for rank, cid in enumerate(ranking, start=1):
            scores[cid] = scores.get(cid, 0.0) + 1.0 / (rrf_k + rank)
    return scores


def _hit(chunk: StoredChunk, score: float) -> Hit:
    return Hit(
        ref=chunk.ref,
        text=chunk.text,
        source=chunk.source,
        kind=chunk.kind,
        timestamp=chunk.timestamp,
        score=score,
        title=chunk.title,
        author=chunk.author,
        anchor=chunk.anchor,
        record_id=chunk.record_id,
        chunk_id=chunk.chunk_id,
    )


def search(
    store: Store,
    embedder: Embedder,
    query: str,
    *,
    k: int = 10,
    filters: SearchFilters = SearchFilters(),  # noqa: B008 - frozen dataclass
    preset: SearchPreset = HYBRID,
) -> list[Hit]:
    """The ``k`` best chunks for ``query`` under ``filters``."""
    if k <= 0 or not query.strip():
        return []
    depth = max(preset.depth, 3 * k)
    rankings: list[list[int]] = []
    # The query is embedded on another thread while the full-text index is read: both release the GIL.
    vector = _embedder_pool().submit(embedder.embed_query, query) if preset.use_dense else None
    if preset.use_bm25:
        rankings.append([cid for cid, _ in store.fts_search(query_terms(query), depth, filters)])
    if vector is not None:
        rankings.append([cid for cid, _ in store.vector_search(vector.result(), depth, filters)])
    fused = rrf(rankings, preset.rrf_k)
    ordered = sorted(fused, key=lambda cid: (-fused[cid], cid))
    chunks = store.load_chunks(ordered[: depth * 2])
    hits: list[Hit] = []
    seen: set[tuple[str, str]] = set()
    for cid in ordered:
        chunk = chunks.get(cid)
        if chunk is None:
            continue
        key = (chunk.ref, chunk.text)
        if key in seen:  # the same message stored from two mailboxes
            continue
        seen.add(key)
        hits.append(_hit(chunk, fused[cid]))
        if len(hits) == k:
            break
    return hits
