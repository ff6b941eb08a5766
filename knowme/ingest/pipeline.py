"""The ingest loop: connectors → records → chunks → vectors → store, in batches, each batch one transaction.

Records whose content hash is already stored are counted as unchanged and cost nothing more; changed records
replace their old chunks. Records the user forgot (tombstoned id or content hash) are skipped and counted as
``forgotten`` unless the caller asks for them back (``include_forgotten``, which also drops their tombstones).
A bad item becomes a problem in the report and the rest go on; a connector that fails
outright stops only its own source.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from pathlib import Path

from knowme.config import Settings
from knowme.connectors.base import Connector
from knowme.connectors.registry import detect
from knowme.errors import KnowmeError
from knowme.extract.chunking import chunk_record
from knowme.llm.embedders import Embedder
from knowme.models import Chunk, IngestReport, ItemProblem, Record
from knowme.store.base import ForgettingStore, Store, text_fingerprint

#: ``progress(label, done, total)``: called as items are read; ``total`` is None when unknown.
ProgressHook = Callable[[str, int, "int | None"], None]
#: ``on_batch(records)``: called after each committed batch with its new and changed records (the graph update).
BatchHook = Callable[[list[Record]], None]

BATCH = 128


def _skip_forgotten(store: Store, records: list[Record], report: IngestReport, *, include: bool) -> list[Record]:
    """Drop records the user forgot (their id or content hash is tombstoned), unless ``include`` asks them back."""
    if not isinstance(store, ForgettingStore):
        return records
    prints = {r.id: text_fingerprint(r.kind, r.title, r.text) for r in records}
    stones = store.forgotten([h for r in records for h in (r.id, r.content_hash, prints[r.id])])
    if not stones:
        return records
    if include:
        store.unforget(sorted(stones))
        return records
    kept = []
    for record in records:
        if stones & {record.id, record.content_hash, prints[record.id]}:
            report.count("forgotten", record.kind)
        else:
            kept.append(record)
    return kept


def changed_records(
    store: Store, records: list[Record], report: IngestReport, *, include_forgotten: bool = False
) -> tuple[list[tuple[Record, list[Chunk]]], dict[str, str]]:
    """The records of a batch that need storing (new or changed, not forgotten unless asked) with their chunks, and
    the stored content hashes looked up; unchanged records and chunking failures are counted in ``report``."""
    unique = _skip_forgotten(store, list({r.id: r for r in records}.values()), report, include=include_forgotten)
    stored = store.content_hashes([r.id for r in unique])
    todo: list[tuple[Record, list[Chunk]]] = []
    for record in unique:
        if stored.get(record.id) == record.content_hash:
            report.count("unchanged", record.kind)
            continue
        try:
            todo.append((record, chunk_record(record)))
        except Exception as exc:  # a record our own code cannot chunk must not stop the others
            report.problems.append(ItemProblem(record.ref, f"could not be indexed: {exc}"))
    return todo, stored


def store_records(store: Store, embedder: Embedder, todo: list[tuple[Record, list[Chunk]]], *, batch_size: int) -> None:
    """Embed every chunk of ``todo`` in one call and store the records in one transaction."""
    if not todo:
        return
    vectors = embedder.embed([c.index_text for _, chunks in todo for c in chunks], batch_size=batch_size)
    offset = 0
    with store.transaction():
        for record, chunks in todo:
            store.upsert_record(record, chunks, vectors[offset : offset + len(chunks)])
            offset += len(chunks)


def flush_batch(
    store: Store,
    embedder: Embedder,
    batch: list[Record],
    report: IngestReport,
    *,
    batch_size: int,
    on_batch: BatchHook | None = None,
    include_forgotten: bool = False,
) -> None:
    todo, stored = changed_records(store, batch, report, include_forgotten=include_forgotten)
    batch.clear()
    if not todo:
        return
    store_records(store, embedder, todo, batch_size=batch_size)
    for record, chunks in todo:
        report.count("updated" if record.id in stored else "added", record.kind)
        report.chunks += len(chunks)
    if on_batch is not None:
        try:
            on_batch([record for record, _ in todo])
        except KnowmeError:
            raise
        except Exception as exc:  # the records are stored; a graph bug must not lose them or stop the ingest
            report.problems.append(ItemProblem("knowledge graph", f"could not be updated: {type(exc).__name__}: {exc}"))


def ingest_connector(
    store: Store,
    embedder: Embedder,
    connector: Connector,
    *,
    progress: ProgressHook | None = None,
    batch_size: int = 64,
    on_batch: BatchHook | None = None,
    include_forgotten: bool = False,
) -> IngestReport:
    report = IngestReport()
    started = time.perf_counter()
    label = f"{connector.name} {connector.path.name}"
    total = connector.estimate()
    batch: list[Record] = []
    done = 0
    try:
        for item in connector.iter_records(store.get_cursor(connector.source)):
            done += 1
            if isinstance(item, ItemProblem):
                report.problems.append(item)
            else:
                batch.append(item)
                if len(batch) >= BATCH:
                    flush_batch(
                        store,
                        embedder,
                        batch,
                        report,
                        batch_size=batch_size,
                        on_batch=on_batch,
                        include_forgotten=include_forgotten,
                    )
            if progress is not None:
                progress(label, done, total)
    except KnowmeError as exc:
        report.problems.append(ItemProblem(str(connector.path), str(exc)))
    except Exception as exc:  # a connector bug stops its own source only; what it read so far is kept
        reason = f"reading stopped after {done} items: {type(exc).__name__}: {exc}"
        report.problems.append(ItemProblem(str(connector.path), reason))
    flush_batch(
        store, embedder, batch, report, batch_size=batch_size, on_batch=on_batch, include_forgotten=include_forgotten
    )
    store.set_cursor(connector.source, {"path": str(connector.path)}, items=report.total)
    report.seconds = time.perf_counter() - started
    return report


def ingest_paths(
    store: Store,
    embedder: Embedder,
    paths: Iterable[Path | str],
    *,
    progress: ProgressHook | None = None,
    batch_size: int = 64,
    on_batch: BatchHook | None = None,
    include_forgotten: bool = False,
    settings: Settings | None = None,
) -> IngestReport:
    connectors, skipped = detect([Path(p) for p in paths], settings)
    report = IngestReport(skipped_paths=list(skipped))
    for connector in connectors:
        report.merge(
            ingest_connector(
                store,
                embedder,
                connector,
                progress=progress,
                batch_size=batch_size,
                include_forgotten=include_forgotten,
                on_batch=on_batch,
            )
        )
    return report
