"""Export the whole personal knowledge graph to an open, versioned file, and import it into another vault.

The format (``knowme-export`` version 1, specified in docs/export-format.md) is a zip of JSON Lines: a manifest,
one line per record with its chunks and their vectors, and one file per graph table (entities, aliases, facts with
all their time fields, preferences, provenance, feedback, tombstones). Members are written in a fixed order with
fixed zip timestamps and sorted keys, so exporting the same vault twice gives the same bytes except the manifest's
``created_at``. ``passphrase`` wraps the zip in :mod:`knowme.privacy.envelope` (Argon2id + AES-256-GCM). RDF
(JSON-LD or Turtle) is written by :mod:`knowme.privacy.rdf` instead of the zip.

Import restores records with their chunks and vectors when the archive was embedded with the same model and
dimension as this vault, and re-chunks and re-embeds them otherwise; then the graph rows. A record whose stored id
or content hash does not match its fields is refused (the file was edited or damaged), as is a newer format version.
Grants and the audit log are not exported: they belong to the vault that issued them.
"""

from __future__ import annotations

import base64
import io
import json
import os
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from knowme.errors import ConfigError, VaultCorrupt
from knowme.extract.chunking import chunk_record
from knowme.llm.embedders import Embedder
from knowme.models import Chunk, Record, Section
from knowme.privacy import envelope
from knowme.store.base import PortableStore, Store

FORMAT = "knowme-export"
VERSION = 1
MANIFEST = "manifest.json"
RECORDS = "records.jsonl"
FORMATS = ("json", "jsonld", "turtle")
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class ExportReport:
    path: str
    format: str
    encrypted: bool
    counts: dict[str, int]

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "format": self.format, "encrypted": self.encrypted, "counts": self.counts}


@dataclass
class ImportReport:
    path: str
    kind: str  # knowme-export or the connector that read it
    records: int = 0
    reembedded: bool = False
    rows: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "kind": self.kind,
            "records": self.records,
            "reembedded": self.reembedded,
            "rows": dict(self.rows),
        }


def _line(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n"


def record_json(record: Record, chunks: list[tuple[Chunk, np.ndarray]]) -> dict[str, Any]:
    return {
        "id": record.id,
        "source": record.source,
        "kind": record.kind,
        "native_id": record.native_id,
        "ref": record.ref,
        "timestamp": record.timestamp.isoformat() if record.timestamp else None,
        "author": record.author,
        "participants": list(record.participants),
        "title": record.title,
        "text": record.text,
        "sections": [{"anchor": s.anchor, "text": s.text} for s in record.sections],
        "meta": json.loads(json.dumps(record.meta, default=str)),
        "follows": record.follows,
        "content_hash": record.content_hash,
        "chunks": [
            {
                "ordinal": chunk.ordinal,
                "anchor": chunk.anchor,
                "text": chunk.text,
                "index_text": chunk.index_text,
                "vector": base64.b64encode(np.asarray(vec, dtype="<f4").tobytes()).decode(),
            }
            for chunk, vec in chunks
        ],
    }


def record_from_json(item: dict[str, Any]) -> Record:
    try:
        record = Record(
            source=item["source"],
            kind=item["kind"],
            native_id=item["native_id"],
            ref=item["ref"],
            text=item["text"],
            title=item.get("title", ""),
            timestamp=datetime.fromisoformat(item["timestamp"]) if item.get("timestamp") else None,
            author=item.get("author"),
            participants=tuple(item.get("participants", ())),
            sections=tuple(Section(s["anchor"], s["text"]) for s in item.get("sections", ())),
            meta=item.get("meta", {}),
            follows=item.get("follows"),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise VaultCorrupt(f"a record in the export cannot be read: {exc}") from exc
    if item.get("id", record.id) != record.id or item.get("content_hash", record.content_hash) != record.content_hash:
        raise VaultCorrupt(f"record {record.ref}: its id or content hash does not match its fields (edited or damaged)")
    return record


def _portable(store: Store) -> PortableStore:
    if not isinstance(store, PortableStore):
        raise ConfigError(f"the {type(store).__name__} store cannot export or import")
    return store


def build_archive(store: Store, *, embedder: str, created_at: datetime | None = None) -> tuple[bytes, dict[str, int]]:
    """The export zip of ``store`` and the count of each member's lines."""
    portable = _portable(store)
    buffer = io.BytesIO()
    counts: dict[str, int] = {}
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:

        def member(name: str, lines: Iterator[str]) -> None:
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            n = 0
            with archive.open(info, "w") as fh:
                for text in lines:
                    fh.write(text.encode("utf-8"))
                    n += 1
            counts[name.removesuffix(".jsonl")] = n

        def records() -> Iterator[str]:
            for record in store.iter_records():
                yield _line(record_json(record, portable.record_chunks(record.id)))

        member(RECORDS, records())
        for table in portable.portable_tables():
            member(f"{table}.jsonl", (_line(row) for row in portable.export_rows(table)))
        manifest = {
            "format": FORMAT,
            "version": VERSION,
            "created_at": (created_at or datetime.now(UTC)).isoformat(timespec="seconds"),
            "embedding": {"model": embedder, "dim": store.dim},
            "counts": dict(counts),
            "files": [RECORDS, *(f"{t}.jsonl" for t in portable.portable_tables())],
        }
        info = zipfile.ZipInfo(MANIFEST, date_time=_ZIP_TIME)
        info.external_attr = 0o600 << 16
        archive.writestr(info, json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return buffer.getvalue(), counts


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` atomically to ``path``, readable by the owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".partial")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def export_vault(
    store: Store, path: Path, *, embedder: str, fmt: str = "json", passphrase: str | None = None
) -> ExportReport:
    if fmt not in FORMATS:
        raise ConfigError(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}")
    if fmt == "json":
        data, counts = build_archive(store, embedder=embedder)
    else:
        from knowme.privacy.rdf import build_graph

        graph, counts = build_graph(store)
        data = graph.serialize(format="json-ld" if fmt == "jsonld" else "turtle", encoding="utf-8")
    if passphrase is not None:
        data = envelope.encrypt(data, passphrase)
    write_private(path, data)
    return ExportReport(str(path), fmt, passphrase is not None, counts)


def is_knowme_export(data: bytes) -> bool:
    if envelope.is_encrypted(data[:64]):
        return True
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return MANIFEST in archive.namelist() and json.loads(archive.read(MANIFEST)).get("format") == FORMAT
    except (zipfile.BadZipFile, ValueError, KeyError):
        return False


def _jsonl(archive: zipfile.ZipFile, name: str) -> Iterator[dict[str, Any]]:
    if name not in archive.namelist():
        return
    with archive.open(name) as fh:
        for number, raw in enumerate(io.TextIOWrapper(fh, encoding="utf-8"), 1):
            if raw.strip():
                try:
                    yield json.loads(raw)
                except ValueError as exc:
                    raise VaultCorrupt(f"{name} line {number} is not JSON: {exc}") from exc


def import_archive(store: Store, embedder: Embedder, data: bytes, *, path: str = "", batch: int = 128) -> ImportReport:
    """Restore an export zip (already decrypted) into ``store``."""
    portable = _portable(store)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        manifest = json.loads(archive.read(MANIFEST))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise VaultCorrupt(f"{path or 'the file'} is not a knowme export ({exc})") from exc
    if manifest.get("format") != FORMAT:
        raise VaultCorrupt(f"{path or 'the file'} is not a knowme export")
    if int(manifest.get("version", 0)) > VERSION:
        raise VaultCorrupt(f"this export is format version {manifest['version']}; upgrade knowme to import it")
    embedding = manifest.get("embedding", {})
    reuse = embedding.get("model") == embedder.name and int(embedding.get("dim", 0)) == store.dim
    report = ImportReport(path=path, kind=FORMAT, reembedded=not reuse)
    pending: list[tuple[Record, list[Chunk], np.ndarray | None]] = []

    def flush() -> None:
        todo = [(r, c) for r, c, v in pending if v is None]
        if todo:
            fresh = embedder.embed([ch.index_text for _, chunks in todo for ch in chunks])
        offset = 0
        with store.transaction():
            for record, chunks, vectors in pending:
                if vectors is None:
                    vectors = fresh[offset : offset + len(chunks)]
                    offset += len(chunks)
                store.upsert_record(record, chunks, vectors)
                report.records += 1
        pending.clear()

    with archive:
        for item in _jsonl(archive, RECORDS):
            record = record_from_json(item)
            if reuse:
                chunks = [
                    Chunk(record.id, int(c["ordinal"]), c["anchor"], c["text"], c["index_text"])
                    for c in item.get("chunks", ())
                ]
                vectors = np.array(
                    [np.frombuffer(base64.b64decode(c["vector"]), dtype="<f4") for c in item.get("chunks", ())],
                    dtype=np.float32,
                ).reshape(len(chunks), store.dim)
                pending.append((record, chunks, vectors))
            else:
                pending.append((record, chunk_record(record), None))
            if len(pending) >= batch:
                flush()
        flush()
        for table in portable.portable_tables():
            report.rows[table] = portable.import_rows(table, _jsonl(archive, f"{table}.jsonl"))
    return report
