"""Keeping the graph current as records come and go: each stored batch is folded into the graph, and the money
facts (computed over all bank transactions at once) are recomputed once after work that brought or removed some."""

from __future__ import annotations

from collections.abc import Sequence

from knowme.extract.build import update_graph
from knowme.extract.money import EXTRACTOR, is_transaction, update_money
from knowme.models import IngestReport, ItemProblem, Record
from knowme.parts import Parts


class GraphUpkeep:
    def __init__(self, parts: Parts) -> None:
        self.parts = parts
        self._money_stale = False  # a batch brought bank transactions: the money facts need recomputing

    def update(self, records: Sequence[Record]) -> None:
        """Fold a batch of stored records into the graph."""
        batch = list(records)
        update_graph(self.parts.store, batch, self.parts.settings)
        self._money_stale = self._money_stale or any(is_transaction(r) for r in batch)

    def settle(self, report: IngestReport | None = None, *, force: bool = False) -> None:
        """Recompute the money facts once after work that brought (or, with ``force``, may have removed) bank
        transactions; a failure is a problem in ``report`` (the records are stored), else it is raised."""
        store, settings = self.parts.store, self.parts.settings
        if not settings.graph.enabled:
            return
        if force and not self._money_stale:
            force = bool(store.graph().facts(extractor=EXTRACTOR))
        if not (self._money_stale or force):
            return
        self._money_stale = False
        try:
            update_money(store, settings)
        except Exception as exc:  # the records are stored; a graph bug must not lose them
            if report is None:
                raise
            report.problems.append(ItemProblem("money facts", f"could not be updated: {type(exc).__name__}: {exc}"))
