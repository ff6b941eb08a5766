"""The steps of a queued ingest, each safe to run again: plan, store batches (in parallel), graph batches, finish.

An in-process ingest reads each source in batches of :data:`knowme.ingest.pipeline.BATCH` records, stores a
batch (chunks, vectors) and then folds its new and changed records into the graph. Here the same batches become steps:

- **plan** reads every source once to count its records and note the items it cannot read, then queues one store
  step per batch. Running it twice queues the batches twice; that is harmless (below).
- **store** (any number at once, on any worker) reads its batch again from the file, skips forgotten and unchanged
  records, chunks and embeds the rest and writes them in one transaction. Before writing it records, once, which
  records of the batch are new or changed (a retry after the commit would find them unchanged); a second run writes
  the same rows again. The last store step to finish queues the first graph step.
- **graph** steps run one after another, in the order of the in-process ingest, because entity resolution depends
  on what earlier batches made. Each folds its batch's new and changed records into the graph and records itself as
  done (a meta key) in the same transaction, so a retry after the commit does nothing: folding the same records in
  twice would not give the same graph. Only the first message for a step runs it (a duplicate sent by a retried
  predecessor is dropped).
- **finish** recomputes the money facts when a batch brought bank transactions, sets each source's cursor and marks
  the job done.

Edge cases: sources that change while the job runs give the batches of whatever they hold when each step reads them;
a source with no records gets no batch but still its cursor.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from knowme.config import Settings
from knowme.connectors.base import Connector
from knowme.connectors.registry import detect
from knowme.errors import KnowmeError
from knowme.extract.build import update_graph
from knowme.extract.money import is_transaction, update_money
from knowme.ingest.pipeline import BATCH, changed_records, store_records
from knowme.llm.embedders import Embedder
from knowme.models import IngestReport, ItemProblem, Record
from knowme.store.base import Store

#: The store's meta key holding the last graph step that committed (``job:index``): one key, overwritten.
GRAPH_MARK = "jobs.graph_step"


@dataclass
class Context:
    """What a step works with: the user's store (opened for this step only), the embedder and settings."""

    store: Store
    embedder: Embedder
    settings: Settings


def connectors(paths: list[str], settings: Settings) -> tuple[list[Connector], list[ItemProblem]]:
    return detect([Path(p) for p in paths], settings)


def _records(connector: Connector, store: Store, problems: list[ItemProblem] | None = None) -> Iterator[Record]:
    """The connector's records in reading order; its problems go to ``problems`` (a failure ends the source)."""
    done = 0
    try:
        for item in connector.iter_records(store.get_cursor(connector.source)):
            done += 1
            if isinstance(item, ItemProblem):
                if problems is not None:
                    problems.append(item)
            else:
                yield item
    except KnowmeError as exc:
        if problems is not None:
            problems.append(ItemProblem(str(connector.path), str(exc)))
    except Exception as exc:  # a connector bug stops its own source only, as in-process
        if problems is not None:
            reason = f"reading stopped after {done} items: {type(exc).__name__}: {exc}"
            problems.append(ItemProblem(str(connector.path), reason))


def plan(ctx: Context, paths: list[str]) -> tuple[list[list[int]], list[ItemProblem], list[ItemProblem]]:
    """The batches to store as ``[connector index, batch index]``, the problems met, and the skipped paths."""
    found, skipped = connectors(paths, ctx.settings)
    batches: list[list[int]] = []
    problems: list[ItemProblem] = []
    for ci, connector in enumerate(found):
        count = sum(1 for _ in _records(connector, ctx.store, problems))
        batches.extend([ci, b] for b in range((count + BATCH - 1) // BATCH))
    return batches, problems, skipped


def batch_records(ctx: Context, paths: list[str], ci: int, b: int) -> list[Record]:
    """Batch ``b`` of connector ``ci``, de-duplicated by record id as the in-process ingest does."""
    found, _ = connectors(paths, ctx.settings)
    if ci >= len(found):
        return []
    chosen: list[Record] = []
    for n, record in enumerate(_records(found[ci], ctx.store)):
        if n >= (b + 1) * BATCH:
            break
        if n >= b * BATCH:
            chosen.append(record)
    return list({r.id: r for r in chosen}.values())


def store_batch(ctx: Context, records: list[Record], *, include_forgotten: bool, save: Any) -> dict[str, Any]:
    """Store one batch; ``save(outcome)`` keeps the first outcome (which records to graph, counts) and returns it."""
    report = IngestReport()
    todo, stored = changed_records(ctx.store, records, report, include_forgotten=include_forgotten)
    for record, chunks in todo:
        report.count("updated" if record.id in stored else "added", record.kind)
        report.chunks += len(chunks)
    outcome: dict[str, Any] = save({"graph": [r.id for r, _ in todo], "report": report.as_dict()})
    store_records(ctx.store, ctx.embedder, todo, batch_size=ctx.settings.embedder.batch_size)
    return outcome


def _graphed(value: str | None, step: str) -> bool:
    """Whether the marker ``value`` (``job:index``) says graph step ``step`` (``job:index``) has committed."""
    if not value or value.rsplit(":", 1)[0] != step.rsplit(":", 1)[0]:
        return False
    return int(value.rsplit(":", 1)[1]) >= int(step.rsplit(":", 1)[1])


def graph_batch(ctx: Context, records: list[Record], step: str = "") -> tuple[bool, list[ItemProblem]]:
    """Fold ``records`` into the graph; whether they hold bank transactions, and any problem.

    With ``step`` (``job:index``) the update and the marker :data:`GRAPH_MARK` commit in one transaction, and a step
    that already committed is not run again: folding the same records in twice does not give the same graph (the
    resolver's second look merges and re-extracts differently), so a retried step must not repeat it."""

    if not records:
        return False, []
    try:
        with ctx.store.transaction():
            if step and _graphed(ctx.store.get_meta(GRAPH_MARK), step):
                return any(is_transaction(r) for r in records), []
            update_graph(ctx.store, records, ctx.settings)
            if step:
                ctx.store.set_meta(GRAPH_MARK, step)
    except KnowmeError:
        raise
    except Exception as exc:  # the records are stored; a graph bug must not lose them or stop the ingest
        return False, [ItemProblem("knowledge graph", f"could not be updated: {type(exc).__name__}: {exc}")]
    return any(is_transaction(r) for r in records), []


def finish(ctx: Context, paths: list[str], money: bool, items: dict[int, int]) -> list[ItemProblem]:
    """Settle the money facts (when needed) and set each source's cursor (``items`` per connector index)."""

    problems: list[ItemProblem] = []
    if money and ctx.settings.graph.enabled:
        try:
            update_money(ctx.store, ctx.settings)
        except Exception as exc:  # the records are stored; a graph bug must not lose them
            problems.append(ItemProblem("money facts", f"could not be updated: {type(exc).__name__}: {exc}"))
    found, _ = connectors(paths, ctx.settings)
    for ci, connector in enumerate(found):
        ctx.store.set_cursor(connector.source, {"path": str(connector.path)}, items=items.get(ci, 0))
    return problems


def merge_reports(reports: list[dict[str, Any]]) -> dict[str, Any]:
    """One report (the shape of :meth:`IngestReport.as_dict`) from the batches' reports."""
    total: dict[str, Any] = {"added": {}, "updated": {}, "unchanged": {}, "chunks": 0, "forgotten": {}, "problems": []}
    for report in reports:
        for outcome in ("added", "updated", "unchanged", "forgotten"):
            for kind, n in report.get(outcome, {}).items():
                total[outcome][kind] = total[outcome].get(kind, 0) + n
        total["chunks"] += report.get("chunks", 0)
        total["problems"].extend(report.get("problems", []))
    return total


def report_total(report: dict[str, Any]) -> int:
    return sum(sum(report.get(o, {}).values()) for o in ("added", "updated", "unchanged"))
