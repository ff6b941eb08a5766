"""knowme's data model: pure, frozen data with no database code.

Repositories in :mod:`knowme.store` read and write these; connectors produce :class:`Record`
and :class:`ItemProblem`; search returns :class:`Hit`; ask returns :class:`Answer`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from knowme.models.persona import Compliance, Preference

__all__ = [
    "KINDS",
    "REF_PREFIX",
    "ASSISTANT",
    "CONFIRMED",
    "WRITTEN_BY",
    "Answer",
    "Chunk",
    "Hit",
    "IngestReport",
    "ItemProblem",
    "Kind",
    "Record",
    "Section",
    "SourceEntry",
    "assistant_unconfirmed",
    "stable_hash",
]

Kind = Literal["email", "event", "contact", "note", "chat_message", "web_visit", "document", "photo", "place_visit"]
KINDS: tuple[str, ...] = (
    "email", "event", "contact", "note", "chat_message", "web_visit", "document", "photo", "place_visit",
)  # fmt: skip

#: The prefix of each kind's source-native reference (see DESIGN.md).
REF_PREFIX: Mapping[str, str] = {
    "email": "mail",
    "event": "cal",
    "contact": "vcf",
    "note": "note",
    "chat_message": "chat",
    "web_visit": "web",
    "document": "doc",
    "photo": "photo",
    "place_visit": "place",
}


def stable_hash(*parts: str, length: int = 32) -> str:
    """A short, stable hex digest of ``parts`` (joined unambiguously)."""
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogatepass")).hexdigest()
    return digest[:length]


@dataclass(frozen=True)
class Section:
    """A part of a record's text with an anchor (a heading, "new text", "quoted", ...).

    Chunks never cross sections, and a hit on a chunk names its section's anchor.
    """

    anchor: str
    text: str


@dataclass(frozen=True)
class Record:
    """One source item: an email, an event occurrence, a contact, a note, a chat message, a visit.

    ``source`` names the connector and account the item came from (``email``, ``notes:/home/a/Vault``);
    ``native_id`` is the item's own identifier inside that source (Message-ID, UID, path, ...). Together
    they give the stable :attr:`id`: ingesting the same item again is a no-op and a changed item is an
    update. ``ref`` is the source-native reference users and evaluators cite (``mail:<Message-ID>``).
    """

    source: str
    kind: str
    native_id: str
    ref: str
    text: str
    title: str = ""
    timestamp: datetime | None = None
    author: str | None = None
    participants: tuple[str, ...] = ()
    sections: tuple[Section, ...] = ()
    meta: Mapping[str, Any] = field(default_factory=dict)
    follows: str | None = None  # ref of the item this one replies to or comes after in its conversation

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown record kind {self.kind!r}; expected one of {', '.join(KINDS)}")
        if not self.native_id:
            raise ValueError("a record needs a native_id (derive one from its content if the source has none)")
        if self.timestamp is not None and self.timestamp.tzinfo is None:
            raise ValueError("record timestamps must be timezone-aware")

    @property
    def id(self) -> str:
        return stable_hash(self.source, self.native_id)

    @property
    def deleted_at_source(self) -> str | None:
        """When a sync found this item deleted at its source (it is kept, marked, under the ``mark`` policy)."""
        value = self.meta.get("deleted_at_source")
        return str(value) if value else None

    @property
    def content_hash(self) -> str:
        """A digest of everything a user could see change; equal hashes mean nothing to update."""
        payload = json.dumps(
            {
                "kind": self.kind,
                "ref": self.ref,
                "text": self.text,
                "title": self.title,
                "timestamp": self.timestamp.isoformat() if self.timestamp else None,
                "author": self.author,
                "participants": list(self.participants),
                "sections": [[s.anchor, s.text] for s in self.sections],
                "meta": self.meta,
                **({"follows": self.follows} if self.follows else {}),
            },
            sort_keys=True,
            default=str,
            ensure_ascii=False,
        )
        return stable_hash(payload, length=64)


@dataclass(frozen=True)
class ItemProblem:
    """An item a connector could not read: where it is and why. Reported, never fatal."""

    where: str
    reason: str


@dataclass(frozen=True)
class Chunk:
    """A retrievable span of a record."""

    record_id: str
    ordinal: int
    anchor: str
    text: str
    index_text: str  # what the full-text and vector indexes see: text plus a short header


@dataclass(frozen=True)
class Hit:
    """One search result. ``ref`` points at the original item (see DESIGN.md)."""

    ref: str
    text: str
    source: str
    kind: str
    timestamp: datetime | None
    score: float
    title: str = ""
    author: str | None = None
    anchor: str = ""
    record_id: str = ""
    chunk_id: int = 0


@dataclass(frozen=True)
class Answer:
    """An answer with the refs it rests on, and the evidence that was shown to the model."""

    text: str
    citations: list[str]
    evidence: list[Hit] = field(default_factory=list)
    backend: str = ""
    preferences: list[Preference] = field(default_factory=list)  # the user's rules that applied, shown to the model
    counterpoint: str = ""  # with ``challenge``: a labelled counterpoint from the user's own history, cited
    counterpoint_refs: list[str] = field(default_factory=list)
    compliance: Compliance | None = None  # how the reply fared against ``preferences`` (None: no model was asked)


@dataclass
class IngestReport:
    """What an ingest did: counts per kind and outcome, and every item that could not be read."""

    added: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)
    chunks: int = 0
    forgotten: dict[str, int] = field(default_factory=dict)  # skipped: the user forgot them (tombstones)
    problems: list[ItemProblem] = field(default_factory=list)
    skipped_paths: list[ItemProblem] = field(default_factory=list)
    seconds: float = 0.0

    def count(self, outcome: str, kind: str) -> None:
        bucket: dict[str, int] = getattr(self, outcome)
        bucket[kind] = bucket.get(kind, 0) + 1

    @property
    def total(self) -> int:
        return sum(self.added.values()) + sum(self.updated.values()) + sum(self.unchanged.values())

    def merge(self, other: IngestReport) -> None:
        for outcome in ("added", "updated", "unchanged", "forgotten"):
            mine: dict[str, int] = getattr(self, outcome)
            for kind, n in getattr(other, outcome).items():
                mine[kind] = mine.get(kind, 0) + n
        self.chunks += other.chunks
        self.problems.extend(other.problems)
        self.skipped_paths.extend(other.skipped_paths)
        self.seconds += other.seconds

    def as_dict(self) -> dict[str, Any]:
        return {
            "added": dict(self.added),
            "updated": dict(self.updated),
            "unchanged": dict(self.unchanged),
            "chunks": self.chunks,
            "forgotten": dict(self.forgotten),
            "problems": [{"where": p.where, "reason": p.reason} for p in self.problems],
            "skipped_paths": [{"where": p.where, "reason": p.reason} for p in self.skipped_paths],
            "seconds": round(self.seconds, 3),
        }


@dataclass(frozen=True)
class SourceEntry:
    """A registered source: where it lives (a path or a URI without credentials), how to log in, how it went.

    ``settings`` holds the user name and the *name* of the environment variable with the password (never a
    password); the keyring holds passwords under service ``knowme``.
    """

    name: str
    uri: str
    kind: str  # files, imap, caldav, carddav
    settings: Mapping[str, Any] = field(default_factory=dict)
    created_at: datetime | None = None
    last_sync_at: datetime | None = None
    last_error: str | None = None
    items: int = 0


#: Meta keys marking a record an assistant wrote (through MCP) and whether the owner confirmed it: such a note is not
#: the user's own word until confirmed (knowme.privacy.pending), so it stays out of the graph and of voice training.
WRITTEN_BY = "written_by"
ASSISTANT = "assistant"
CONFIRMED = "confirmed_by_owner"


def assistant_unconfirmed(record: Record) -> bool:
    """True for a record an assistant wrote that the owner has not confirmed: not the user's own words."""
    meta: Mapping[str, Any] = record.meta or {}
    return meta.get(WRITTEN_BY) == ASSISTANT and not meta.get(CONFIRMED)
