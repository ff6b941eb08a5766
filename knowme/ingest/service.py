"""Getting data into an open vault: ``vault.ingest`` (files and folders, format detected), ``vault.remember`` (a
note the user states), ``vault.import_file`` (a knowme export or another assistant's), and the registered sources
kept in sync (``vault.sources``: calling it lists them). Every stored batch is folded into the graph."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path

from knowme.connectors.base import LIKELY
from knowme.connectors.chats import ChatGPTConnector
from knowme.errors import ConfigError, IngestError, PassphraseMissing, SourceError
from knowme.extract.chunking import chunk_record
from knowme.extract.upkeep import GraphUpkeep
from knowme.ingest.pipeline import ProgressHook, ingest_paths
from knowme.ingest.sources import connector_for, make_entry
from knowme.ingest.sync import SyncReport, record_sources, sync_all
from knowme.models import IngestReport, Record, SourceEntry, stable_hash
from knowme.parts import Parts
from knowme.privacy import envelope
from knowme.privacy.assistants import chatgpt_memories
from knowme.privacy.export import ImportReport, import_archive, is_knowme_export
from knowme.store.base import PortableStore
from knowme.text.when import local_tz

PathLike = str | os.PathLike[str]


class Ingestor:
    def __init__(self, parts: Parts, upkeep: GraphUpkeep) -> None:
        self.parts = parts
        self.upkeep = upkeep

    def ingest(
        self, path: PathLike | Sequence[PathLike], *, progress: ProgressHook | None = None,
        include_forgotten: bool = False,
    ) -> IngestReport:  # fmt: skip
        """Read files or folders (format detected) into the vault; re-ingesting is a no-op, changes update.

        Items removed with ``forget`` stay out unless ``include_forgotten`` asks for them back.
        """
        paths = [path] if isinstance(path, str | os.PathLike) else list(path)
        settings = self.parts.settings
        report = ingest_paths(
            self.parts.store,
            self.parts.embedder,
            [Path(p) for p in paths],
            progress=progress,
            batch_size=settings.embedder.batch_size,
            on_batch=self.upkeep.update,
            include_forgotten=include_forgotten,
            settings=settings,
        )
        self.upkeep.settle(report)
        return report

    def remember(
        self, text: str, *, title: str = "", source: str = "remembered", meta: Mapping[str, object] | None = None
    ) -> Record:
        """Store ``text`` the user stated as a note (``note:remembered/<time>-<hash>``), indexed for search; ``meta``
        adds to the record's meta (feedback notes name the feedback)."""
        body = text.strip()
        if not body:
            raise ConfigError("nothing to remember: the text is empty")
        now = datetime.now(local_tz())  # full precision: newer than a file written earlier in the same second
        digest = stable_hash(source, now.replace(microsecond=0).isoformat(), body, length=12)
        record = Record(
            source=source,
            kind="note",
            native_id=digest,
            ref=f"note:remembered/{now.strftime('%Y%m%dT%H%M%S')}-{digest[:8]}",
            text=body,
            title=title.strip() or body.splitlines()[0][:80],
            timestamp=now,
            meta={"origin": source, **(meta or {})},
        )
        chunks = chunk_record(record)
        vectors = self.parts.embedder.embed(
            [c.index_text for c in chunks], batch_size=self.parts.settings.embedder.batch_size
        )
        with self.parts.store.transaction():
            self.parts.store.upsert_record(record, chunks, vectors)
        self.upkeep.update([record])  # a remembered fact ("my sister moved to Porto") reaches the graph too
        return record

    def import_file(self, path: PathLike, *, passphrase: str | None = None) -> ImportReport:
        """Restore a knowme export (``passphrase`` for an encrypted one), or bring in another assistant's export
        (ChatGPT: conversations and what it remembered) or any file ``ingest`` reads."""
        source = Path(path).expanduser()
        if not source.exists():
            raise IngestError(f"{source}: no such file or folder")
        store = self.parts.store
        data = source.read_bytes() if source.is_file() else b""
        if data and is_knowme_export(data):
            if envelope.is_encrypted(data[:64]):
                if passphrase is None:
                    raise PassphraseMissing(f"{source} is encrypted: give the export passphrase")
                data = envelope.decrypt(data, passphrase)
            return import_archive(store, self.parts.embedder, data, path=str(source))
        ingested = self.ingest(source)
        report = ImportReport(path=str(source), kind="ingest", records=ingested.total)
        if source.is_file() and ChatGPTConnector.sniff(source) >= LIKELY and isinstance(store, PortableStore):
            report.kind = "chatgpt"
            report.rows["preferences"] = store.import_rows("preferences", chatgpt_memories(source))
        if ingested.total == 0 and (ingested.problems or ingested.skipped_paths):
            reasons = "; ".join(p.reason for p in [*ingested.skipped_paths, *ingested.problems][:3])
            raise IngestError(f"{source}: nothing could be imported ({reasons})")
        return report


class Sources:
    """The registered sources: ``sources()`` lists them with their last sync, item count and last error."""

    def __init__(self, parts: Parts, upkeep: GraphUpkeep) -> None:
        self.parts = parts
        self.upkeep = upkeep

    def __call__(self) -> list[SourceEntry]:
        return self.parts.store.list_sources()

    def add(
        self, target: PathLike, *, name: str | None = None, user: str | None = None, password_env: str | None = None,
        on_delete: str = "mark", insecure: bool = False,
    ) -> SourceEntry:  # fmt: skip
        """Register a folder, file or ``imap://``, ``caldav+http(s)://``, ``carddav+http(s)://`` URI to keep in sync.

        ``on_delete`` says what a sync does with items deleted at the source: ``mark`` keeps them (viewable by ref and
        exported, marked ``deleted_at_source``, out of search, answers and the digest; back if they reappear),
        ``forget`` forgets them and everything derived from them. ``insecure`` allows a cleartext connection (no TLS)
        to a loopback or test host only."""
        store = self.parts.store
        taken = {e.name for e in store.list_sources()}
        entry = make_entry(
            os.fspath(target), name=name, user=user, password_env=password_env, on_delete=on_delete, taken=taken,
            insecure=insecure,
        )  # fmt: skip
        store.save_source(entry)
        return entry

    def remove(self, name: str, *, forget_data: bool = False) -> int:
        """Unregister ``name``; with ``forget_data`` also delete every record it brought. Returns records deleted."""
        store = self.parts.store
        if name not in {e.name for e in store.list_sources()}:
            raise SourceError(f"no source named {name!r}; see `knowme sources list`")
        deleted = 0
        if forget_data:
            for source in record_sources(store, name):
                deleted += store.delete_records(list(store.source_record_ids(source).values()))
        store.delete_source(name)
        return deleted

    def sync(self, names: Sequence[str] = (), *, progress: ProgressHook | None = None) -> list[SyncReport]:
        """Bring the registered sources (all, or those named) up to date; one failing source never stops the rest."""
        entries = self.parts.store.list_sources()
        if names:
            known = {e.name for e in entries}
            unknown = [n for n in names if n not in known]
            if unknown:
                raise SourceError(f"no source named {', '.join(map(repr, unknown))}; see `knowme sources list`")
            entries = [e for e in entries if e.name in names]
        reports = sync_all(
            self.parts.store,
            self.parts.embedder,
            entries,
            connector_for,
            progress=progress,
            on_batch=self.upkeep.update,
            batch_size=self.parts.settings.embedder.batch_size,
        )
        self.upkeep.settle(force=any(r.removed for r in reports))
        return reports
