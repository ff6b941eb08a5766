"""Bring registered sources up to date: one live connector per source, its changes committed in batches.

Per source: the saved state (``source_state`` under ``source:NAME``) goes to the connector; records are batched
and stored exactly as ``knowme ingest`` stores them (unchanged content costs a hash lookup); :class:`Gone` and
:class:`Complete` remove records deleted at the source (with their chunks, vectors and what only they supported
in the graph); each :class:`Checkpoint` commits the pending batch, then the new state, so an interrupted sync
resumes from the last checkpoint. The state also remembers every ``Record.source`` the registration produced
(``_sources``), which is how ``sources remove --forget-data`` finds its data.

A source that fails (server down, wrong password, a connector bug) is reported with a one-line error and
:attr:`SourceEntry.last_error`; the other sources still sync. Error texts never contain the password.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from knowme.errors import KnowmeError
from knowme.ingest import BATCH, BatchHook, ProgressHook, _flush
from knowme.models import IngestReport, ItemProblem, Record, SourceEntry
from knowme.retrieve.embedders import Embedder
from knowme.sources.live import Checkpoint, Complete, Gone, LiveConnector
from knowme.store.base import Store


def state_key(name: str) -> str:
    return f"source:{name}"


@dataclass
class SyncReport:
    """What one source's sync did."""

    name: str
    kind: str
    ingest: IngestReport = field(default_factory=IngestReport)
    removed: int = 0
    items: int = 0
    error: str | None = None
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            **self.ingest.as_dict(),
            "removed": self.removed,
            "items": self.items,
            "error": self.error,
            "seconds": round(self.seconds, 3),
        }


def _scrub(message: str, secret: str | None) -> str:
    return message.replace(secret, "***") if secret else message


def record_sources(store: Store, name: str) -> list[str]:
    state = store.get_cursor(state_key(name)) or {}
    return list(state.get("_sources", []))


def sync_source(
    store: Store,
    embedder: Embedder,
    entry: SourceEntry,
    connector: LiveConnector,
    *,
    progress: ProgressHook | None = None,
    on_batch: BatchHook | None = None,
    batch_size: int = 64,
) -> SyncReport:
    """Sync one source; never raises for the source's own failures (they become :attr:`SyncReport.error`)."""
    report = SyncReport(entry.name, entry.kind)
    started = time.perf_counter()
    key = state_key(entry.name)
    saved = dict(store.get_cursor(key) or {})
    sources: set[str] = set(saved.get("_sources", []))
    seen: dict[str, set[str]] = {}
    batch: list[Record] = []
    done = 0
    label = f"{entry.name} ({entry.kind})"

    def flush() -> None:
        _flush(store, embedder, batch, report.ingest, batch_size=batch_size, on_batch=on_batch)

    def remove(source: str, native_ids: Iterable[str]) -> None:
        stored = store.source_record_ids(source)
        ids = [stored[n] for n in native_ids if n in stored]
        if ids:
            report.removed += store.delete_records(ids)

    try:
        for item in connector.iter_records(saved):
            if isinstance(item, Record):
                batch.append(item)
                sources.add(item.source)
                seen.setdefault(item.source, set()).add(item.native_id)
                done += 1
                if len(batch) >= BATCH:
                    flush()
            elif isinstance(item, ItemProblem):
                report.ingest.problems.append(item)
            elif isinstance(item, Gone):
                flush()
                remove(item.source, item.native_ids)
            elif isinstance(item, Complete):
                flush()
                stored = store.source_record_ids(item.source)
                mine = seen.get(item.source, set())
                remove(item.source, [n for n in stored if n not in mine])
            elif isinstance(item, Checkpoint):
                flush()
                store.set_cursor(key, {**item.state, "_sources": sorted(sources)}, items=report.ingest.total)
            if progress is not None:
                progress(label, done, None)
    except KnowmeError as exc:
        report.error = _scrub(str(exc), connector._password)
    except Exception as exc:  # a network or connector failure stops this source only
        report.error = _scrub(f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__, connector._password)
    flush()
    report.items = sum(len(store.source_record_ids(s)) for s in sources)
    report.seconds = time.perf_counter() - started
    store.save_source(replace(entry, last_sync_at=datetime.now(UTC), last_error=report.error, items=report.items))
    return report


def sync_all(
    store: Store,
    embedder: Embedder,
    entries: Iterable[SourceEntry],
    make_connector: Callable[[SourceEntry], LiveConnector],
    *,
    progress: ProgressHook | None = None,
    on_batch: BatchHook | None = None,
    batch_size: int = 64,
) -> list[SyncReport]:
    """Sync each source in turn; a source whose connector cannot even be made (no password) reports that."""
    reports = []
    for entry in entries:
        try:
            connector = make_connector(entry)
        except KnowmeError as exc:
            failed = SyncReport(entry.name, entry.kind, error=str(exc))
            store.save_source(replace(entry, last_sync_at=datetime.now(UTC), last_error=failed.error))
            reports.append(failed)
            continue
        reports.append(
            sync_source(store, embedder, entry, connector, progress=progress, on_batch=on_batch, batch_size=batch_size)
        )
    return reports
