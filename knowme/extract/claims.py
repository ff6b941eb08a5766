"""What extractors produce and the role they play: a claim (a fact as stated), a commitment claim, the context an
extractor gets with a record, and the :class:`Extractor` plugin role; the relation words shared by the extractors
and the graph's lookups."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from knowme.models import Record

RELATION_WORDS: dict[str, str] = {
    "mother": "mother",
    "mom": "mother",
    "mum": "mother",
    "mommy": "mother",
    "mama": "mother",
    "mãe": "mother",
    "father": "father",
    "dad": "father",
    "daddy": "father",
    "pai": "father",
    "parent": "parent",
    "partner": "partner",
    "spouse": "partner",
    "wife": "partner",
    "husband": "partner",
    "girlfriend": "partner",
    "boyfriend": "partner",
    "fiancé": "partner",
    "fiancée": "partner",
    "fiance": "partner",
    "fiancee": "partner",
    "sweetheart": "partner",
    "significant other": "partner",
    "brother": "brother",
    "younger brother": "brother",
    "older brother": "brother",
    "little brother": "brother",
    "big brother": "brother",
    "sister": "sister",
    "younger sister": "sister",
    "older sister": "sister",
    "little sister": "sister",
    "big sister": "sister",
    "sibling": "sibling",
    "son": "son",
    "daughter": "daughter",
    "child": "child",
    "kid": "child",
    "manager": "manager",
    "boss": "manager",
    "line manager": "manager",
    "team lead": "manager",
    "colleague": "colleague",
    "co-worker": "colleague",
    "coworker": "colleague",
    "teammate": "colleague",
    "friend": "friend",
    "best friend": "friend",
    "close friend": "friend",
    "assistant": "assistant",
    "grandmother": "grandmother",
    "grandma": "grandmother",
    "granny": "grandmother",
    "grandfather": "grandfather",
    "grandpa": "grandfather",
    "aunt": "aunt",
    "uncle": "uncle",
    "cousin": "cousin",
    "neighbour": "neighbour",
    "neighbor": "neighbour",
    "doctor": "doctor",
    "gp": "doctor",
    "dentist": "doctor",
    "landlord": "landlord",
    "landlady": "landlord",
    "report": "report",
    "direct report": "report",
}


@dataclass(frozen=True)
class Claim:
    """A fact as an extractor states it, before it is stored."""

    subject: str
    predicate: str
    object_id: str | None = None
    object_value: str | None = None
    valid_from: str | None = None
    valid_to: str | None = None
    confidence: float = 0.8
    evidence: str = ""
    kind: str = "stated"  # stated (true at the record date), change (starts at valid_from), structure (a field)
    via: str | None = None  # the subject is the ``subject``'s relation of this kind ("my mother"), found later


@dataclass(frozen=True)
class CommitmentClaim:
    direction: str  # made | received
    counterparty: str | None
    what: str
    due: str | None
    evidence: str = ""


@dataclass
class Extraction:
    facts: list[Claim] = field(default_factory=list)
    commitments: list[CommitmentClaim] = field(default_factory=list)


@dataclass
class ExtractContext:
    """What an extractor knows besides the record: who wrote it, who else it names, and how to name entities."""

    record: Record
    author_id: str | None  # whose words the text is (the user for notes and sent mail)
    subject_id: str | None  # the entity a contact card or person note is about
    recipients: tuple[str, ...]  # entity ids the record is addressed to (not the author)
    entity: Callable[[str, str], str | None]  # (name, type) -> entity id (found or created)
    known: Callable[[str], str | None] = lambda name: None  # a person's name -> their id, only if already known

    @property
    def day(self) -> date | None:
        return self.record.timestamp.date() if self.record.timestamp else None


class Extractor:
    """Base class for extractor plugins: ``name``, ``version`` and one method."""

    name = "extractor"
    version = "0"

    def extract(self, record: Record, ctx: ExtractContext) -> Extraction:  # pragma: no cover - interface
        raise NotImplementedError


def sentences(text: str) -> list[str]:
    text = re.sub(r"(?m)^>.*$", " ", text)  # quoted replies are someone's earlier words
    parts = re.split(r"(?<=[.!?])\s+|\n{1,}", text)
    return [p.strip() for p in parts if p.strip()]


def relation_of(word: str) -> str | None:
    return RELATION_WORDS.get(" ".join(word.lower().split()))
