"""What callers hand the store and get back: search filters, stored chunks, thread links, forget selectors and
counts, artifact descriptions. Pure data; the interfaces that take them are in :mod:`knowme.store.base`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

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


@dataclass(frozen=True)
class RecordSelector:
    """Which records to forget; every given criterion must hold (they are ANDed). Empty selects nothing."""

    refs: tuple[str, ...] = ()
    source_prefixes: tuple[str, ...] = ()
    people: tuple[str, ...] = ()  # names or emails, matched as whole words against author and participants
    before: datetime | None = None  # dated strictly before this (undated records never match)
    text: str | None = None  # case-insensitive substring of the title or text

    @property
    def empty(self) -> bool:
        return not (self.refs or self.source_prefixes or self.people or self.before or self.text)


@dataclass(frozen=True)
class RecordSummary:
    """What a preview shows of a record: never its text."""

    id: str
    ref: str
    source: str
    kind: str
    timestamp: datetime | None
    title: str
    content_hash: str


@dataclass(frozen=True)
class ForgetCounts:
    """How many of each thing a forget removed (or, for a dry run, would remove)."""

    records: int = 0
    chunks: int = 0
    entities: int = 0
    aliases: int = 0
    facts: int = 0
    preferences: int = 0
    cursors: int = 0
    tombstones: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class ArtifactInfo:
    """A named blob the vault keeps for a learner (an adapter, a checkpoint, a manifest): never its bytes."""

    name: str
    kind: str
    meta: Mapping[str, Any]
    size: int
    updated_at: datetime
