"""Hybrid retrieval: BM25 over FTS5 and cosine similarity over vectors, read in conversation order.

The default preset (``hybrid``) works in these steps, each measured on the LoCoMo development split with
``knowme eval locomo`` or on the sample life with ``knowme eval refs`` (see docs/retrieval.md for the figures):

1. **Query analysis** (:func:`knowme.retrieve.query.analyse`): the chat speakers a question names. The question is
   embedded without those names (a message rarely names its own author), while BM25 keeps them.
2. **Two retrievers**, each returning its best ``depth`` chunks under the same filters (kind, source, time range,
   ``as_of``): BM25 scores and cosine similarities.
3. **Thread context**: an answer is often a reply whose words are in the message before it ("How long have you
   been painting?" / "Since I was 17"). A chunk's score in each list gains ``PREVIOUS_WEIGHT`` times the best score
   of the item it follows and ``FOLLOWING_WEIGHT`` times the best of the items that follow it (``Record.follows``
   of the ``THREAD_KINDS``: the previous chat turn). Neighbours obey the same filters, so ``as_of`` still holds.
4. **Weighted fusion** of the two lists, each divided by its best score: ``bm25 + DENSE_WEIGHT * dense``. Chat
   messages by someone other than the speakers the question names are scaled by ``OTHER_SPEAKER_FACTOR``.
5. **People's cards**: the contact card of a person the question names (or calls "my brother") scores at least
   ``CARD_WEIGHT`` times the best candidate's score: it answers what such questions ask in words they rarely use.

The presets ``bm25``, ``dense`` and ``rrf`` (reciprocal-rank fusion, ``sum(1 / (rrf_k + rank))``, the previous
default) are the plain baselines, kept for comparison.
"""

from __future__ import annotations

import contextvars
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from functools import cache, lru_cache

import numpy as np

from knowme.graph.context import relatives_named
from knowme.llm.embedders import Embedder
from knowme.models import Hit
from knowme.models.store import UNDATED, SearchFilters, StoredChunk
from knowme.retrieve.query import QueryAnalysis, analyse, query_terms
from knowme.retrieve.when import Window
from knowme.store.base import Store
from knowme.text.names import fold, name_key

PREVIOUS_WEIGHT = 0.5
FOLLOWING_WEIGHT = 0.2
DENSE_WEIGHT = 0.8
OTHER_SPEAKER_FACTOR = 0.6
TIME_WEIGHT = 0.5
CARD_WEIGHT = 0.7
MAX_CARDS = 2
QUESTION_FACTOR = 0.8
#: Kinds read with their thread neighbours: a chat turn's topic is often only in the turns around it ("Since I was
#: 17" answers "How long have you been painting?"). A mail reply repeats its subject and usually quotes the message
#: it answers, so lending it that message's score counts the same words twice (on the sample life it lost the right
#: first hit of 10 questions in 49: MRR 0.763 -> 0.637).
THREAD_KINDS = ("chat_message",)
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
TIME_MARGIN = timedelta(days=1)  # stored times are UTC or the sender's zone: a day either side covers any zone


@dataclass(frozen=True)
class SearchPreset:
    """How a search combines its retrievers."""

    name: str
    use_bm25: bool = True
    use_dense: bool = True
    depth: int = 150
    rrf_k: int = 60
    fusion: str = "weighted"  # "weighted": normalised score sum; "rrf": reciprocal-rank fusion
    thread: bool = True  # read chunks with their thread neighbours
    speakers: bool = True  # prefer what the people a question names said
    time: bool = True  # prefer what was written on the days the question names
    turns: bool = True  # a chat turn that only asks counts less
    relatives: bool = True  # "my brother" also searches for the brother's name, as the graph knows it
    cards: bool = True  # the contact card of a person the question names joins the candidates


HYBRID = SearchPreset("hybrid")
_PLAIN = SearchPreset(
    "plain",
    depth=150,
    fusion="rrf",
    thread=False,
    speakers=False,
    time=False,
    turns=False,
    relatives=False,
    cards=False,
)
RRF = replace(_PLAIN, name="rrf")
BM25_ONLY = replace(_PLAIN, name="bm25", use_dense=False)
DENSE_ONLY = replace(_PLAIN, name="dense", use_bm25=False)
PRESETS = {p.name: p for p in (HYBRID, RRF, BM25_ONLY, DENSE_ONLY)}


@dataclass(frozen=True)
class Signals:
    """Raw evidence strength of a search, before normalisation (for the "not found" estimate)."""

    best_bm25: float = 0.0
    best_cosine: float = 0.0
    term_coverage: float = 0.0  # share of the query's terms found in the best chunk


@dataclass(frozen=True)
class SearchResult:
    hits: list[Hit]
    signals: Signals
    analysis: QueryAnalysis
    found: float | None = None  # the reranker's confidence that the hits answer the query, when it read them


@cache
def _embedder_pool() -> ThreadPoolExecutor:
    # Several workers, so concurrent searches reach the embedder together: a server's BatchingEmbedder embeds
    # them in one call (knowme.llm.batching); a single search uses one worker.
    return ThreadPoolExecutor(max_workers=16, thread_name_prefix="knowme-query")


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


def _with_neighbours(
    scores: Mapping[int, float], previous: Mapping[int, set[int]], following: Mapping[int, set[int]]
) -> dict[int, float]:
    """Each chunk's score plus its neighbours' weighted best scores (chunks only a neighbour scored included)."""
    before: dict[int, float] = {}  # chunk -> best score of a chunk it follows
    after: dict[int, float] = {}  # chunk -> best score of a chunk that follows it
    for cid, value in scores.items():
        for later in following.get(cid, ()):
            if value > before.get(later, 0.0):
                before[later] = value
        for earlier in previous.get(cid, ()):
            if value > after.get(earlier, 0.0):
                after[earlier] = value
    out = dict(scores)
    for cid, value in before.items():
        out[cid] = out.get(cid, 0.0) + PREVIOUS_WEIGHT * value
    for cid, value in after.items():
        out[cid] = out.get(cid, 0.0) + FOLLOWING_WEIGHT * value
    return {cid: value for cid, value in out.items() if value > 0}


def _neighbour_maps(store: Store, chunk_ids: Sequence[int], filters: SearchFilters) -> tuple[dict, dict]:
    kinds = tuple(k for k in (filters.kinds or THREAD_KINDS) if k in THREAD_KINDS)
    if not kinds:
        return {}, {}
    links = store.thread_links(chunk_ids, replace(filters, kinds=kinds))
    previous: dict[int, set[int]] = {}
    following: dict[int, set[int]] = {}
    for cid, before in links.previous.items():
        previous.setdefault(cid, set()).update(before)
        for p in before:
            following.setdefault(p, set()).add(cid)
    for cid, after in links.following.items():
        following.setdefault(cid, set()).update(after)
        for n in after:
            previous.setdefault(n, set()).add(cid)
    return previous, following


def _normalised(scores: Mapping[int, float]) -> dict[int, float]:
    top = max(scores.values(), default=0.0)
    return {cid: value / top for cid, value in scores.items()} if top > 0 else {}


def _distinct_hits(
    ordered: Sequence[int], chunks: Mapping[int, StoredChunk], fused: Mapping[int, float], k: int
) -> list[Hit]:
    """The first ``k`` loaded chunks in ``ordered``, one per ref: the best passage of each item (a recurring event's
    other occurrences, a note's other sections and the same message stored from two mailboxes are skipped)."""
    hits: list[Hit] = []
    seen: set[str] = set()
    for cid in ordered:
        chunk = chunks.get(cid)
        if chunk is None:
            continue
        if chunk.ref in seen:
            continue
        seen.add(chunk.ref)
        hits.append(_hit(chunk, fused[cid]))
        if len(hits) == k:
            break
    return hits


def _demotion(chunk: StoredChunk, speakers: frozenset[str], preset: SearchPreset) -> float:
    """How much less a chunk counts: a chat turn by someone other than the people the question names, and a chat turn
    that only asks (it ends in a question mark: it holds no answer, though the reply after it may)."""
    if chunk.kind != "chat_message":
        return 1.0
    factor = OTHER_SPEAKER_FACTOR if speakers and chunk.author not in speakers else 1.0
    if preset.turns and chunk.text.rstrip().endswith("?"):
        factor *= QUESTION_FACTOR
    return factor


def _window_filters(filters: SearchFilters, window: Window) -> SearchFilters:
    start = datetime.combine(window.start, time.min, tzinfo=UTC) - TIME_MARGIN
    end = datetime.combine(window.end, time.min, tzinfo=UTC) + TIME_MARGIN
    since = max(start, _aware(filters.since)) if filters.since else start
    until = min(end, _aware(filters.until)) if filters.until else end
    return replace(filters, since=since, until=until)


def _aware(when: datetime) -> datetime:
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _in_windows(when: datetime, windows: Sequence[Window]) -> bool:
    day = when.date()
    return any(w.start - TIME_MARGIN <= day < w.end + TIME_MARGIN for w in windows)


def _with_window_candidates(
    store: Store,
    analysis: QueryAnalysis,
    vector: Future[np.ndarray] | None,
    windows: Sequence[Window],
    depth: int,
    filters: SearchFilters,
    preset: SearchPreset,
    bm25: list[tuple[int, float]],
    dense: list[tuple[int, float]],
) -> tuple[list[tuple[int, float]], list[tuple[int, float]]]:
    """``bm25`` and ``dense`` with the best chunks of each window added (scores are on the same scale: the window
    only narrows which rows are read). At most two windows, each read to half the depth."""
    bm25_scores, dense_scores = dict(bm25), dict(dense)
    for window in windows[:2]:
        narrowed = _window_filters(filters, window)
        if narrowed.since and narrowed.until and narrowed.since > narrowed.until:
            continue
        if preset.use_bm25:
            for cid, score in store.fts_search(analysis.terms, depth // 2, narrowed):
                bm25_scores.setdefault(cid, score)
        if vector is not None:
            for cid, score in store.vector_search(vector.result(), depth // 2, narrowed):
                dense_scores.setdefault(cid, score)
    return list(bm25_scores.items()), list(dense_scores.items())


def _with_relatives(store: Store, analysis: QueryAnalysis, today: date) -> QueryAnalysis:
    """The query's terms plus the names of the people it calls by their relation to the owner ("What does my brother
    do?" -> Pedro Almeida): a contact card or a message about him rarely says "brother"."""

    names = relatives_named(store, analysis.text, today)
    if not names:
        return analysis
    extra = [t for t in query_terms(" ".join(names)) if t not in analysis.terms]
    return replace(analysis, terms=[*analysis.terms, *extra], relatives=tuple(names))


@lru_cache(maxsize=8192)
def _card_name(title: str) -> tuple[str, ...]:
    """A card's name as the graph compares names (``name_key``: folded, "Fischer, Lena" turned round), in words."""
    return tuple(name_key(title).split())


def _passes(chunk: StoredChunk, filters: SearchFilters) -> bool:
    """``filters`` applied to one loaded chunk as the stores apply them (an undated item is before any time)."""
    if filters.kinds and chunk.kind not in filters.kinds:
        return False
    if filters.sources and not any(chunk.source.startswith(prefix) for prefix in filters.sources):
        return False
    when = chunk.timestamp.timestamp() if chunk.timestamp else float(UNDATED)
    if filters.since_epoch is not None and when < filters.since_epoch:
        return False
    return filters.until_epoch is None or when <= filters.until_epoch


def _person_cards(store: Store, analysis: QueryAnalysis, filters: SearchFilters) -> dict[int, StoredChunk]:
    """The contact cards of the people ``analysis`` names: by full name, by a capitalised first name no other card
    shares, or as the relative it calls them ("my brother" -> Pedro Almeida). A card answers what a question about
    a person most often asks (a birthday, a job, how they are known) but shares few words with it: "How long have I
    known Lena?" matches a dozen mails about Lena better than the card's "Note: Friend since the 2021 design
    sprint" among its other fields. A lower-case word is not read as a first name ("who will water the plants?")."""
    if filters.kinds and "contact" not in filters.kinds:
        return {}
    directory = store.contact_cards()
    if not directory:
        return {}
    asked = set(fold(" ".join([analysis.text, *analysis.relatives])).split())
    capitalised = {fold(w) for w in _WORD.findall(analysis.text) if w[:1].isupper()}
    named = {cid: _card_name(title) for cid, title in directory.items()}
    full = [cid for cid, words in named.items() if words and set(words) <= asked]
    first = [
        cid
        for cid, words in named.items()
        if words and cid not in full and len(words[0]) > 2 and words[0] in capitalised
    ]
    if first:  # a first name stands for someone only when no other card has it
        firsts = Counter(words[0] for words in named.values() if words)
        first = [cid for cid in first if firsts[named[cid][0]] == 1]
    chosen = (full + first)[: 2 * MAX_CARDS]
    if not chosen:
        return {}
    loaded = store.load_chunks(chosen)
    cards = {cid: loaded[cid] for cid in chosen if cid in loaded and _passes(loaded[cid], filters)}
    return dict(list(cards.items())[:MAX_CARDS])


def _fuse(
    store: Store,
    bm25: list[tuple[int, float]],
    dense: list[tuple[int, float]],
    filters: SearchFilters,
    preset: SearchPreset,
) -> dict[int, float]:
    """Each candidate's fused score: reciprocal ranks, or both lists (with thread context) divided by their best."""
    if preset.fusion == "rrf":
        return rrf([[cid for cid, _ in ranking] for ranking in (bm25, dense) if ranking], preset.rrf_k)
    bm25_scores = {cid: s for cid, s in bm25}
    dense_scores = {cid: max(s, 0.0) for cid, s in dense}
    if preset.thread:
        previous, following = _neighbour_maps(store, [*bm25_scores, *dense_scores], filters)
        bm25_scores = _with_neighbours(bm25_scores, previous, following)
        dense_scores = _with_neighbours(dense_scores, previous, following)
    b, d = _normalised(bm25_scores), _normalised(dense_scores)
    return {cid: b.get(cid, 0.0) + DENSE_WEIGHT * d.get(cid, 0.0) for cid in set(b) | set(d)}


def _boosted(
    store: Store,
    analysis: QueryAnalysis,
    fused: dict[int, float],
    windows: Sequence[Window],
    depth: int,
    filters: SearchFilters,
    preset: SearchPreset,
) -> tuple[list[int], dict[int, StoredChunk]]:
    """The candidates in fused order after the boosts (in place on ``fused``) for items of the days the question
    names and for the cards of the people it names; the chunks those boosts had to read."""
    ordered = sorted(fused, key=lambda cid: (-fused[cid], cid))
    chunks: dict[int, StoredChunk] = {}
    if windows:
        ordered = ordered[: depth * 2]
        chunks = store.load_chunks(ordered)
        top = max(fused.values(), default=0.0)
        for cid, chunk in chunks.items():
            if chunk.timestamp is not None and _in_windows(chunk.timestamp, windows):
                fused[cid] += TIME_WEIGHT * top
        ordered = sorted(ordered, key=lambda cid: (-fused[cid], cid))
    if preset.cards:  # the card of a person the question names ranks with the better half of the candidates
        cards = _person_cards(store, analysis, filters)
        if cards:
            top = max(fused.values(), default=1.0)
            for cid in cards:
                fused[cid] = max(fused.get(cid, 0.0), CARD_WEIGHT * top)
            chunks.update(cards)
            ordered = sorted(set(ordered) | set(cards), key=lambda cid: (-fused[cid], cid))
    return ordered, chunks


def _demoted_hits(
    store: Store,
    ordered: list[int],
    chunks: dict[int, StoredChunk],
    fused: dict[int, float],
    speakers: frozenset[str],
    preset: SearchPreset,
    k: int,
) -> list[Hit]:
    """The ``k`` best distinct hits after the demotions, which need each chunk's author and text.

    Chunks are read in fused order a window at a time (most searches need little more than k of them) until the k-th
    hit, demoted, still scores at least as high as the best unread chunk could: the result is the same as demoting
    every candidate first.
    """
    loaded, window = 0, 2 * k + 10
    while True:
        chunks.update(store.load_chunks([cid for cid in ordered[loaded:window] if cid not in chunks]))
        for cid in ordered[loaded:window]:
            if cid in chunks:
                fused[cid] *= _demotion(chunks[cid], speakers, preset)
        loaded = min(window, len(ordered))
        ranked = sorted(ordered[:loaded], key=lambda cid: (-fused[cid], cid))
        hits = _distinct_hits(ranked, chunks, fused, k)
        if loaded >= len(ordered) or (len(hits) == k and hits[-1].score >= fused[ordered[loaded]]):
            return hits
        window *= 2


def run_search(
    store: Store,
    embedder: Embedder,
    query: str,
    *,
    k: int = 10,
    filters: SearchFilters = SearchFilters(),  # noqa: B008 - frozen dataclass
    preset: SearchPreset = HYBRID,
) -> SearchResult:
    """The ``k`` best chunks for ``query`` under ``filters``, with the raw signals behind them."""
    today = (filters.until or datetime.now().astimezone()).date()  # relative days are the person's own
    analysis = analyse(query, store.speakers() if preset.speakers else (), today=today)
    if k <= 0 or not query.strip():
        return SearchResult([], Signals(), analysis)
    if preset.relatives:
        analysis = _with_relatives(store, analysis, today)
    depth = max(preset.depth, 3 * k)
    # The query is embedded on another thread while the full-text index is read: both release the GIL.
    dense_query = analysis.dense_text if preset.speakers else query
    # (in the caller's context: a grant's search keeps its query out of the shared cache, knowme.llm.batching)
    run = contextvars.copy_context().run
    vector = _embedder_pool().submit(run, embedder.embed_query, dense_query) if preset.use_dense else None
    bm25 = store.fts_search(analysis.terms, depth, filters) if preset.use_bm25 else []
    dense = store.vector_search(vector.result(), depth, filters) if vector is not None else []
    windows = analysis.windows if preset.time else ()
    if windows:  # what was written on the days named joins the candidates, however many other days match better
        bm25, dense = _with_window_candidates(store, analysis, vector, windows, depth, filters, preset, bm25, dense)
    signals = Signals(
        best_bm25=max((s for _, s in bm25), default=0.0), best_cosine=max((s for _, s in dense), default=0.0)
    )

    fused = _fuse(store, bm25, dense, filters, preset)
    ordered, chunks = _boosted(store, analysis, fused, windows, depth, filters, preset)
    speakers = analysis.speakers if preset.speakers else frozenset()
    if not speakers:
        ordered = ordered[: depth * 2]
    hits = _demoted_hits(store, ordered, chunks, fused, speakers, preset, k)
    if hits and analysis.terms:
        words = set(hits[0].text.lower().split())
        covered = sum(1 for term in analysis.terms if any(w.startswith(term[:5]) for w in words))
        signals = Signals(signals.best_bm25, signals.best_cosine, covered / len(analysis.terms))
    return SearchResult(hits, signals, analysis)


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
    return run_search(store, embedder, query, k=k, filters=filters, preset=preset).hits
