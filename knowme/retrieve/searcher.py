"""Search as the vault offers it: a preset, filters from the API's dates, the reranker on request, and the user's
own re-ranker (learned from their ratings, handed in by the persona) last.

:class:`Searcher` works over an open vault's parts (:class:`knowme.parts.Parts`) and reads the settings at each call.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from knowme.errors import ConfigError
from knowme.llm.rerank import make_reranker
from knowme.models import Hit
from knowme.models.store import SearchFilters
from knowme.parts import Parts
from knowme.retrieve.rerank import rerank_scored
from knowme.retrieve.search import HYBRID, PRESETS, SearchPreset, SearchResult, run_search
from knowme.text.when import DateLike, parse_when

#: Reorders hits by what the user rated (None while nothing is learned).
Personal = Callable[[], Callable[[list[Hit]], list[Hit]] | None]


def preset_named(preset: str | SearchPreset) -> SearchPreset:
    if isinstance(preset, SearchPreset):
        return preset
    if preset not in PRESETS:
        raise ConfigError(f"unknown search preset {preset!r}; known: {', '.join(PRESETS)}")
    return PRESETS[preset]


def filters_for(
    kinds: Sequence[str] = (),
    sources: Sequence[str] = (),
    as_of: DateLike | None = None,
    since: DateLike | None = None,
    until: DateLike | None = None,
) -> SearchFilters:
    """The store's filters for the API's arguments: ``as_of`` and ``until`` both bound the time, the earlier wins."""
    upper = [d for d in (parse_when(as_of), parse_when(until)) if d is not None]
    return SearchFilters(
        kinds=tuple(kinds),
        sources=tuple(sources),
        since=parse_when(since, end_of_day=False),
        until=min(upper) if upper else None,
    )


class Searcher:
    def __init__(self, parts: Parts, *, personal: Personal = lambda: None) -> None:
        self.parts = parts
        self.personal = personal

    def result(
        self,
        query: str,
        k: int = 10,
        as_of: DateLike | None = None,
        *,
        kinds: Sequence[str] = (),
        sources: Sequence[str] = (),
        since: DateLike | None = None,
        until: DateLike | None = None,
        preset: str | SearchPreset = HYBRID,
        personalize: bool = True,
        rerank: bool = False,
    ) -> SearchResult:
        """The ``k`` best passages with the query analysis and the raw signals behind them (the owner's view)."""
        settings = self.parts.settings
        chosen = replace(preset_named(preset), rrf_k=settings.search.rrf_k)
        depth = settings.search.rerank_depth if rerank else 0
        reorder = self.personal() if personalize else None
        fetch = max(k, depth, 2 * k if reorder is not None else k)
        filters = filters_for(kinds, sources, as_of, since, until)
        result = run_search(self.parts.store, self.parts.embedder, query, k=fetch, filters=filters, preset=chosen)
        hits, found_by_reranker = result.hits, None
        if depth:
            reranker = make_reranker(settings.search.reranker)
            people = result.analysis.relatives  # "my brother" reads as "my brother (Pedro Almeida)" to the reranker
            asked = f"{query} ({', '.join(people)})" if people else query
            hits, best = rerank_scored(reranker, asked, hits, depth)
            found_by_reranker = reranker.found(best) if best is not None else None
        if reorder is not None:
            hits = reorder(hits)
        return replace(result, hits=hits[:k], found=found_by_reranker)

    def warm_up(self) -> None:
        """Load the embedding model, the vector index and the reranker, so later searches are fast."""
        self.parts.embedder.warm_up()
        self.result("warm up", k=1, personalize=False)
        if self.parts.settings.search.rerank_depth:
            make_reranker(self.parts.settings.search.reranker).warm_up()

    def hits(self, query: str, k: int = 10, as_of: DateLike | None = None, **options: object) -> list[Hit]:
        """:meth:`result`'s hits alone."""
        return self.result(query, k, as_of, **options).hits  # type: ignore[arg-type]
