"""Forget, completely: pick records by ref, source, person, date or text, and remove them with all they led to.

:func:`forget` first works out exactly what would go (the records, their chunks and index entries, the graph items
that only they support, the person's entity with its aliases and facts) inside a transaction that it rolls back,
so the preview counts are the real ones. Applied, it deletes all of it in one transaction, leaves tombstones (hashes,
no content) so the next ingest skips those items, deletes the encrypted backup copies made before migrations (they
still hold the forgotten data), replaces the forgotten refs in the audit log by their tombstone, and compacts the
vault so no page of the file or its write-ahead log holds the
deleted bytes.

Edge cases: criteria combine with AND; a selector matching nothing is a no-op (no tombstones, no compaction);
``person`` matches whole words of the author and participants (``Tom`` matches ``Tom Baker <tom@x.org>`` but not
``Tomás``), widened to every alias of the graph entities that carry that name; records that merely mention the
person in their text stay and are counted in ``mentions`` so the preview can say so (forget those with ``query``).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from knowme.connectors.attachments import attachment_refs
from knowme.errors import ConfigError
from knowme.extract.build import after_forget
from knowme.extract.resolve import prune_owner_counts
from knowme.models.store import ForgetCounts, RecordSelector, RecordSummary
from knowme.plugins import connectors
from knowme.store.base import ForgettingStore, GovernanceStore, Store
from knowme.store.sqlcipher import BACKUP_DIR


@dataclass(frozen=True)
class ForgetResult:
    """What a forget removed (or, with ``dry_run``, would remove). Holds refs and titles, never record text."""

    dry_run: bool
    records: tuple[RecordSummary, ...]
    counts: ForgetCounts
    entities: dict[str, list[str]] = field(default_factory=dict)  # entity id -> its aliases
    backups: tuple[str, ...] = ()  # backup copies deleted (or to be deleted)
    mentions: int = 0  # other records whose text names the person; they stay
    compacted: bool = False  # the write-ahead log was emptied and the file rebuilt

    @property
    def empty(self) -> bool:
        return not self.records and not self.entities

    def as_dict(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "records": [
                {
                    "ref": r.ref,
                    "kind": r.kind,
                    "source": r.source,
                    "timestamp": r.timestamp.isoformat() if r.timestamp else None,
                    "title": r.title,
                }
                for r in self.records
            ],
            "counts": self.counts.as_dict(),
            "entities": self.entities,
            "backups": list(self.backups),
            "mentions": self.mentions,
            "compacted": self.compacted,
        }


def _sources_for(path: str) -> tuple[list[str], str]:
    """Source prefixes for ``--source``: ``connector:/abs/path`` as given, or a path for every connector."""

    names = connectors()
    head, sep, rest = path.partition(":")
    if sep and head in names:
        return [path], rest
    absolute = str(Path(path).expanduser().resolve())
    return [f"{name}:{absolute}" for name in sorted(names)], absolute


def _in_source(source: str, prefixes: Sequence[str]) -> bool:
    return any(source == p or source.startswith(p.rstrip("/") + "/") for p in prefixes)


def plan_selector(
    store: ForgettingStore,
    *,
    ref: str | Sequence[str] | None = None,
    source: str | os.PathLike[str] | None = None,
    person: str | None = None,
    before: datetime | None = None,
    query: str | None = None,
) -> tuple[RecordSelector, list[str], dict[str, list[str]]]:
    """The selector, the source prefixes (for cursors) and the person's entities for these criteria."""
    refs = (ref,) if isinstance(ref, str) else tuple(ref or ())
    prefixes: list[str] = []
    if source is not None:
        prefixes, _ = _sources_for(os.fspath(source))
    entities: dict[str, list[str]] = {}
    people: tuple[str, ...] = ()
    if person is not None:
        if not person.strip():
            raise ConfigError("--person needs a name or an email address")
        entities = store.entities_named([person.strip()])
        # one person may still be two entities (a nickname on one, an address on another): the names and addresses
        # of what matched find the rest
        known = {a for aliases in entities.values() for a in aliases if a.strip()}
        if known:
            entities = {**store.entities_named(sorted(known)), **entities}
        people = tuple(sorted({person.strip(), *(a for aliases in entities.values() for a in aliases)}))
    if query is not None and not query.strip():
        raise ConfigError("--query needs some text")
    selector = RecordSelector(
        refs=refs,
        source_prefixes=tuple(prefixes),
        people=people,
        before=before,
        text=query.strip() if query else None,
    )
    if selector.empty:
        raise ConfigError("say what to forget: --ref, --source, --person, --before or --query")
    return selector, prefixes, entities


def _with_attachments(store: ForgettingStore, records: list[RecordSummary]) -> list[RecordSummary]:
    """``records`` and the attachment records of the messages among them (a message is forgotten whole)."""
    if not isinstance(store, Store):
        return records
    wanted: set[tuple[str, str]] = set()  # (source, ref): a copy of the message in another mailbox keeps its own
    for summary in records:
        if summary.kind == "email" and (message := store.get_record(summary.id)) is not None:
            wanted.update((summary.source, ref) for ref in attachment_refs(message))
    if not wanted:
        return records
    chosen = {r.id for r in records}
    found = store.select_records(RecordSelector(refs=tuple(sorted({ref for _, ref in wanted}))))
    return records + [r for r in found if r.id not in chosen and (r.source, r.ref) in wanted]


def forget(
    store: ForgettingStore,
    home: Path,
    *,
    ref: str | Sequence[str] | None = None,
    source: str | os.PathLike[str] | None = None,
    person: str | None = None,
    before: datetime | None = None,
    query: str | None = None,
    dry_run: bool = False,
    tombstone: bool = True,
) -> ForgetResult:
    selector, prefixes, entities = plan_selector(
        store, ref=ref, source=source, person=person, before=before, query=query
    )
    records = store.select_records(selector)
    if prefixes:
        records = [r for r in records if _in_source(r.source, prefixes)]
    records = _with_attachments(store, records)
    mentions = 0
    if person is not None:
        chosen = {r.id for r in records}
        names = [person.strip(), *(a for aliases in entities.values() for a in aliases)]
        mentioned: set[str] = set()
        for name in dict.fromkeys(names):
            mentioned.update(r.id for r in store.select_records(RecordSelector(text=name)))
        mentions = len(mentioned - chosen)
    cursors = sorted({r.source for r in records if _in_source(r.source, prefixes)} | set(prefixes)) if prefixes else []
    ids = [r.id for r in records]
    backups = sorted(str(p) for p in (home / BACKUP_DIR).glob("*") if p.is_file()) if ids or entities else []
    if not ids and not entities:
        return ForgetResult(dry_run=dry_run, records=(), counts=ForgetCounts(), mentions=mentions)
    counts = store.forget(ids, entity_ids=list(entities), cursors=cursors, tombstone=tombstone, dry_run=dry_run)
    compacted = False
    if not dry_run:
        if isinstance(store, GovernanceStore):  # the audit log keeps that something was shown, not what
            store.redact_audit({r.ref: f"forgotten:{r.id}" for r in records})
        for backup in backups:
            Path(backup).unlink(missing_ok=True)

        if isinstance(store, Store):
            prune_owner_counts(store)  # the owner detector's tally must not keep the forgotten people's addresses
            after_forget(store, ids)  # nor the commitment tracker the words of forgotten messages; validity redone
        compacted = store.compact()
    return ForgetResult(
        dry_run=dry_run,
        records=tuple(records),
        counts=counts,
        entities=entities,
        backups=tuple(backups),
        mentions=mentions,
        compacted=compacted,
    )
