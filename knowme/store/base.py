"""The store interface: everything knowme keeps, behind one abstract class.

The embedded vault (:class:`knowme.store.sqlcipher.SQLCipherStore`: one SQLCipher file with FTS5 and sqlite-vec)
implements it, and so does the server store (PostgreSQL + pgvector). Code outside ``knowme.store`` talks only to
this interface: no SQL dialect and no backend name leaks out. Search terms arrive already analysed; each backend
builds its own full-text query syntax from them.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np

from knowme.models import Chunk, Record, SourceEntry, stable_hash
from knowme.models.store import (
    ArtifactInfo,
    ForgetCounts,
    RecordSelector,
    RecordSummary,
    SearchFilters,
    StoredChunk,
    ThreadLinks,
)
from knowme.store.graph import GraphStore
from knowme.store.persona import PersonaStore

if TYPE_CHECKING:
    from knowme.models.governance import AuditEvent, Grant


class Store(ABC):
    """Persistent storage for records, chunks, both indexes, the graph and the audit trail."""

    #: Dimension of the stored vectors.
    dim: int

    @abstractmethod
    def close(self) -> None: ...

    @abstractmethod
    def transaction(self) -> AbstractContextManager[None]:
        """A unit of work: everything inside commits together or not at all."""

    # -- records -------------------------------------------------------------------------------------------
    @abstractmethod
    def content_hashes(self, record_ids: Sequence[str]) -> dict[str, str]:
        """The stored content hash of each of ``record_ids`` that exists."""

    @abstractmethod
    def upsert_record(self, record: Record, chunks: Sequence[Chunk], vectors: np.ndarray) -> None:
        """Insert ``record`` or replace it (and all its chunks, index entries and vectors)."""

    @abstractmethod
    def delete_records(self, record_ids: Sequence[str]) -> int:
        """Remove records with their chunks, index entries and vectors; return how many went."""

    @abstractmethod
    def get_record(self, record_id: str) -> Record | None: ...

    @abstractmethod
    def iter_records(self, *, kind: str | None = None) -> Iterator[Record]: ...

    @abstractmethod
    def records_by_ref(self, ref: str) -> list[Record]: ...

    @abstractmethod
    def recent_records(self, limit: int, *, kinds: Sequence[str] = (), until: datetime | None = None) -> list[Record]:
        """The ``limit`` newest dated records (of ``kinds`` if given, dated at or before ``until``), newest first."""

    @abstractmethod
    def counts(self) -> dict[str, int]:
        """Records per kind."""

    @abstractmethod
    def chunk_count(self) -> int: ...

    def size_bytes(self) -> int:
        """How much room this vault's data takes in the backend (the file and its WAL; the tenant's rows)."""
        return 0

    # -- retrieval -------------------------------------------------------------------------------------------
    @abstractmethod
    def fts_search(self, terms: Sequence[str], k: int, filters: SearchFilters) -> list[tuple[int, float]]:
        """Chunks matching any of ``terms``, best first, as (chunk id, BM25 score where higher is better)."""

    @abstractmethod
    def vector_search(self, vector: np.ndarray, k: int, filters: SearchFilters) -> list[tuple[int, float]]:
        """Nearest chunks to ``vector`` (unit length), best first, as (chunk id, cosine similarity)."""

    @abstractmethod
    def thread_links(self, chunk_ids: Sequence[int], filters: SearchFilters) -> ThreadLinks:
        """The thread neighbours of ``chunk_ids`` (via ``Record.follows``) that pass ``filters``."""

    @abstractmethod
    def speakers(self) -> frozenset[str]:
        """Every author name of a chat message in the vault (query analysis looks for them in questions)."""

    @abstractmethod
    def contact_cards(self) -> Mapping[int, str]:
        """Every contact card's chunk ids, each with the name the card is filed under (search looks for them in
        questions)."""

    @abstractmethod
    def load_chunks(self, chunk_ids: Sequence[int]) -> dict[int, StoredChunk]: ...

    # -- small state -----------------------------------------------------------------------------------------
    @abstractmethod
    def get_meta(self, key: str) -> str | None: ...

    @abstractmethod
    def set_meta(self, key: str, value: str) -> None: ...

    @abstractmethod
    def get_cursor(self, source: str) -> Mapping[str, Any] | None: ...

    @abstractmethod
    def set_cursor(self, source: str, cursor: Mapping[str, Any], *, items: int) -> None: ...

    @abstractmethod
    def applied_migrations(self) -> list[str]: ...

    # -- knowledge graph ---------------------------------------------------------------------------------------
    @abstractmethod
    def graph(self) -> GraphStore:
        """The entities, facts, commitments and provenance of this vault (same transactions)."""

    # -- persona -----------------------------------------------------------------------------------------------
    @abstractmethod
    def persona(self) -> PersonaStore:
        """The preferences and feedback of this vault (same transactions)."""

    # -- registered sources ------------------------------------------------------------------------------------
    @abstractmethod
    def save_source(self, entry: SourceEntry) -> None:
        """Insert or replace the registered source ``entry.name``."""

    @abstractmethod
    def list_sources(self) -> list[SourceEntry]:
        """Every registered source, by name."""

    @abstractmethod
    def delete_source(self, name: str) -> bool:
        """Forget the registration ``name`` (not its records); False if there was none."""

    @abstractmethod
    def source_record_ids(self, source: str) -> dict[str, str]:
        """The records whose ``Record.source`` is exactly ``source``, as native id → record id."""


# -- forgetting (knowme.privacy.forget) ---------------------------------------------------------------------------


def text_fingerprint(kind: str, title: str, text: str) -> str:
    """A tombstone hash of what an item says, whatever file it came from (a copy of a forgotten mailbox too)."""
    return stable_hash("tombstone-text-v1", kind, title, text, length=64)


class ForgettingStore(ABC):
    """What forgetting needs from storage; :class:`Store` backends implement it too."""

    @abstractmethod
    def select_records(self, selector: RecordSelector) -> list[RecordSummary]:
        """Summaries of the records ``selector`` matches, oldest first."""

    @abstractmethod
    def entities_named(self, names: Sequence[str]) -> dict[str, list[str]]:
        """Entities that have one of ``names`` as an alias or name (case-insensitive): entity id → all its aliases."""

    @abstractmethod
    def forget(
        self,
        record_ids: Sequence[str],
        *,
        entity_ids: Sequence[str] = (),
        cursors: Sequence[str] = (),
        tombstone: bool = True,
        dry_run: bool = False,
    ) -> ForgetCounts:
        """Delete records and everything derived from them in one transaction.

        Chunks with their full-text and vector entries go; graph items (entities, aliases, facts, preferences) whose
        provenance pointed at these records and has no other record left go too, and so do ``entity_ids`` outright.
        The saved cursors of the sources named in ``cursors`` are dropped. With ``tombstone`` the records' ids
        and content hashes are remembered so a later ingest skips them. ``dry_run`` counts without changing anything.
        """

    @abstractmethod
    def compact(self) -> bool:
        """Make deleted content unrecoverable from the files (merge indexes, checkpoint, vacuum).

        Returns False when another connection kept the write-ahead log from being emptied.
        """

    @abstractmethod
    def forgotten(self, hashes: Sequence[str]) -> set[str]:
        """Which of ``hashes`` (record ids, content hashes, text fingerprints) are tombstoned."""

    @abstractmethod
    def unforget(self, hashes: Sequence[str]) -> int:
        """Drop tombstones (the user asked for these items back); return how many went."""


# -- export and import (knowme.privacy.export) --------------------------------------------------------------------
class PortableStore(ABC):
    """What export and import need from storage besides records: the graph and governance rows, and chunk vectors."""

    @abstractmethod
    def portable_tables(self) -> tuple[str, ...]:
        """The row collections an export carries (entities, entity_aliases, facts, ...), in import order."""

    @abstractmethod
    def export_rows(self, table: str) -> Iterator[dict[str, Any]]:
        """Every row of ``table`` as a dict, in a stable order; chunk references as ``chunk_ordinal``."""

    @abstractmethod
    def import_rows(self, table: str, rows: Iterable[dict[str, Any]]) -> int:
        """Write rows exported by :meth:`export_rows` (replacing equal keys); return how many."""

    @abstractmethod
    def record_chunks(self, record_id: str) -> list[tuple[Chunk, np.ndarray]]:
        """The record's chunks in order, each with its stored vector."""


# -- grants and audit (knowme.privacy.grants) ---------------------------------------------------------------------
class GovernanceStore(ABC):
    """Grants (tokens stored hashed) and the append-only audit log."""

    @abstractmethod
    def save_grant(self, grant: Grant, token_hash: str) -> None: ...

    @abstractmethod
    def grants(self) -> list[Grant]:
        """Every grant, newest first (revoked and expired ones too)."""

    @abstractmethod
    def grant_for_token(self, token_hash: str) -> Grant | None: ...

    @abstractmethod
    def revoke_grants(self, id_or_client: str, at: datetime) -> list[Grant]:
        """Revoke the grant with this id, or every active grant of this client; return those revoked."""

    @abstractmethod
    def append_audit(self, event: AuditEvent) -> None: ...

    @abstractmethod
    def audit_events(self, *, actor: str | None = None, limit: int | None = None) -> list[AuditEvent]:
        """Audit events, oldest first (the last ``limit`` when given)."""

    @abstractmethod
    def redact_audit(self, replacements: Mapping[str, str]) -> int:
        """Replace refs (keys) by placeholders (values) in audit details, after a forget; return events changed."""


# -- learned artifacts (knowme.learn) ------------------------------------------------------------------------------


class ArtifactStore(ABC):
    """Opaque bytes kept inside the vault (so encrypted with its key); :class:`Store` backends implement it too."""

    @abstractmethod
    def save_artifact(self, name: str, kind: str, meta: Mapping[str, Any], blob: bytes) -> ArtifactInfo:
        """Insert or replace the artifact ``name``; ``meta`` is a JSON-serialisable description."""

    @abstractmethod
    def load_artifact(self, name: str) -> tuple[ArtifactInfo, bytes] | None:
        """The artifact ``name`` and its bytes, or None."""

    @abstractmethod
    def list_artifacts(self, *, prefix: str = "", kind: str | None = None) -> list[ArtifactInfo]:
        """Artifacts whose name starts with ``prefix`` (and of ``kind``), by name."""

    @abstractmethod
    def delete_artifacts(self, names: Sequence[str]) -> int:
        """Delete these artifacts (their bytes are overwritten on disk); return how many went."""
