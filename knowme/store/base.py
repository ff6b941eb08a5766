"""The store interface: everything knowme keeps, behind one abstract class.

The embedded vault (:class:`knowme.store.sqlcipher.SQLCipherStore`: one SQLCipher file with FTS5 and sqlite-vec)
implements it, and so does the server store (PostgreSQL + pgvector). Code outside ``knowme.store`` talks only to
this interface: no SQL dialect and no backend name leaks out. Search terms arrive already analysed; each backend
builds its own full-text query syntax from them.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np

from knowme.models import Chunk, Record, SourceEntry
from knowme.store.graph import GraphStore

UNDATED = -1  # the timestamp stored for records without one: they pass "until"/as-of filters, not "since"


@dataclass(frozen=True)
class SearchFilters:
    """Restrictions every retriever applies the same way."""

    kinds: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()  # prefixes of Record.source ("email:", "notes:/home/me/Vault")
    since: datetime | None = None
    until: datetime | None = None  # inclusive; ``as_of`` becomes this

    @property
    def since_epoch(self) -> float | None:
        return self.since.timestamp() if self.since else None

    @property
    def until_epoch(self) -> float | None:
        return self.until.timestamp() if self.until else None


@dataclass(frozen=True)
class StoredChunk:
    """A chunk joined with the record it belongs to: what a search hit is made from."""

    chunk_id: int
    record_id: str
    ref: str
    source: str
    kind: str
    timestamp: datetime | None
    title: str
    author: str | None
    anchor: str
    text: str


@dataclass(frozen=True)
class ThreadLinks:
    """Neighbours in conversation order: for a chunk, the chunks of the item it follows and of the items that
    follow it (replies, next turns). Chunk ids absent from a mapping have no such neighbour."""

    previous: Mapping[int, tuple[int, ...]]
    following: Mapping[int, tuple[int, ...]]


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
