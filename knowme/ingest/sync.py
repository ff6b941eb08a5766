"""Bring registered sources up to date: one live connector per source, its changes committed in batches.

Per source: the saved state (``source_state`` under ``source:NAME``) goes to the connector; records are batched
and stored exactly as ``knowme ingest`` stores them (unchanged content costs a hash lookup); :class:`Gone` and
:class:`Complete` report records deleted at the source, which the source's ``on_delete`` policy then keeps marked
(``mark``, the default: the record stays, viewable by ref and exported, with ``meta["deleted_at_source"]``, but its
chunks leave the search index, so search, answers and the digest no longer show it; if the item reappears its
content hash differs from the marked copy's and it is stored afresh) or forgets (``forget``: the record and what only
it supported in the graph go, as with ``knowme forget``, without a tombstone so a restored item syncs back). Each
:class:`Checkpoint` commits the pending batch, then the new state, so an interrupted sync resumes from the last
checkpoint. The state also remembers every ``Record.source`` the registration produced
(``_sources``), which is how ``sources remove --forget-data`` finds its data.

A source that fails (server down, wrong password, a connector bug) is reported with a one-line error and
:attr:`SourceEntry.last_error`; the other sources still sync. Error texts never contain the password.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import numpy as np

from knowme.connectors.live.base import Checkpoint, Complete, Gone, LiveConnector
from knowme.errors import KnowmeError
from knowme.extract.build import after_forget
from knowme.extract.resolve import prune_owner_counts
from knowme.ingest.pipeline import BATCH, BatchHook, ProgressHook, flush_batch
from knowme.learn.voice import on_forget
from knowme.llm.embedders import Embedder
from knowme.models import IngestReport, ItemProblem, Record, SourceEntry
from knowme.store.base import ForgettingStore, Store

_NO_VECTORS = np.zeros((0, 0), dtype=np.float32)


def state_key(name: str) -> str:
    return f"source:{name}"


@dataclass
class SyncReport:
    """What one source's sync did."""

    name: str
    kind: str
    ingest: IngestReport = field(default_factory=IngestReport)
    removed: int = 0  # forgotten (policy ``forget``)
    marked: int = 0  # kept, marked deleted at the source (policy ``mark``)
    items: int = 0
    error: str | None = None
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            **self.ingest.as_dict(),
            "removed": self.removed,
            "marked": self.marked,
            "items": self.items,
            "error": self.error,
            "seconds": round(self.seconds, 3),
        }


def _scrub(message: str, secret: str | None) -> str:
    return message.replace(secret, "***") if secret else message


def record_sources(store: Store, name: str) -> list[str]:
    state = store.get_cursor(state_key(name)) or {}
    return list(state.get("_sources", []))


def mark_deleted(store: Store, record_ids: Sequence[str]) -> int:
    """Keep these records, marked deleted at the source and out of the search index; return how many were newly
    marked."""
    now = datetime.now(UTC).isoformat(timespec="seconds")
    marked = 0
    with store.transaction():
        for record_id in record_ids:
            record = store.get_record(record_id)
            if record is None or record.deleted_at_source:
                continue
            store.upsert_record(replace(record, meta={**record.meta, "deleted_at_source": now}), [], _NO_VECTORS)
            marked += 1
    return marked


def forget_records(store: Store, record_ids: Sequence[str]) -> int:
    """Forget these records and what only they supported (no tombstone: a restored item may sync back)."""

    hashes = list(store.content_hashes(record_ids).values())
    if not isinstance(store, ForgettingStore):
        gone = store.delete_records(record_ids)
    else:
        gone = store.forget(record_ids, tombstone=False).records
        prune_owner_counts(store)
        after_forget(store, record_ids)
    on_forget(store, hashes)  # the voice adapter's shards that saw them wait for a retrain
    return gone


def remove_gone(
    store: Store, report: SyncReport, policy: str, marked: dict[str, set[str]], source: str, native_ids: Iterable[str]
) -> None:
    """Items deleted at ``source`` (a message's attachments with it): forgotten, or marked deleted (``policy``)."""
    stored = store.source_record_ids(source)
    wanted = set(native_ids)
    wanted |= {n for n in stored if "#att/" in n and n.split("#att/", 1)[0] in wanted}  # a message's attachments
    natives = [n for n in sorted(wanted) if n in stored and n not in marked.get(source, set())]
    if not natives:
        return
    if policy == "forget":
        report.removed += forget_records(store, [stored[n] for n in natives])
    else:
        report.marked += mark_deleted(store, [stored[n] for n in natives])
        marked.setdefault(source, set()).update(natives)


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
        flush_batch(store, embedder, batch, report.ingest, batch_size=batch_size, on_batch=on_batch)

    policy = str(entry.settings.get("on_delete", "mark"))
    marked: dict[str, set[str]] = {src: set(ids) for src, ids in dict(saved.get("_marked", {})).items()}
    was_marked = {src: set(ids) for src, ids in marked.items()}

    def remove(source: str, native_ids: Iterable[str]) -> None:
        remove_gone(store, report, policy, marked, source, native_ids)

    def state(extra: dict[str, Any]) -> dict[str, Any]:
        return {**extra, "_sources": sorted(sources), "_marked": {k: sorted(v) for k, v in marked.items() if v}}

    try:
        for item in connector.iter_records(saved):
            if isinstance(item, Record):
                batch.append(item)
                sources.add(item.source)
                seen.setdefault(item.source, set()).add(item.native_id)
                marked.get(item.source, set()).discard(item.native_id)  # back at the source: stored afresh
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
                store.set_cursor(key, state(dict(item.state)), items=report.ingest.total)
            if progress is not None:
                progress(label, done, None)
    except KnowmeError as exc:
        report.error = _scrub(str(exc), connector._password)
    except Exception as exc:  # a network or connector failure stops this source only
        report.error = _scrub(f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__, connector._password)
    flush()
    if marked != was_marked:  # what is marked must be remembered even when no checkpoint followed
        last = {k: v for k, v in (store.get_cursor(key) or {}).items() if k not in ("_sources", "_marked")}
        store.set_cursor(key, state(last), items=report.ingest.total)
    report.items = sum(len(set(store.source_record_ids(s)) - marked.get(s, set())) for s in sources)
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
