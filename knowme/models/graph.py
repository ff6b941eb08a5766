"""The knowledge graph's data: entities, aliases, facts with time, commitments, merges. Pure frozen data.

Conventions:

- A relationship fact reads "``object`` is ``subject``'s ``predicate``": ``(user, mother, Helena)`` says Helena is the
  user's mother. Attribute facts carry a literal ``object_value`` (``(Lena, birthday, "--04-23")``).
- Dates are ISO strings: ``YYYY-MM-DD`` for days, ``--MM-DD`` for a birthday without a year, full ISO 8601 for
  instants (``recorded_at``). ``valid_to`` is exclusive; ``None`` means open-ended.
- The vault owner is always the entity with id :data:`USER_ID`, whatever names and addresses are learned for them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

USER_ID = "user"

ENTITY_TYPES = ("person", "organisation", "place", "project", "topic", "thing")

#: Predicates where one value holds at a time: a newer claim closes the older one's validity.
SINGLE_VALUED = frozenset({"lives_in", "works_at", "manager", "partner", "birthday", "anniversary", "job_title"})

#: Relationships that hold both ways: (A, partner, B) also says B is A's partner.
SYMMETRIC = frozenset({"partner", "colleague", "friend", "sibling", "cousin", "neighbour"})

#: Relationship predicates (object is an entity, usually a person).
RELATIONS = frozenset(
    {
        "mother",
        "father",
        "parent",
        "child",
        "son",
        "daughter",
        "brother",
        "sister",
        "sibling",
        "partner",
        "spouse",
        "manager",
        "report",
        "colleague",
        "friend",
        "assistant",
        "grandmother",
        "grandfather",
        "aunt",
        "uncle",
        "cousin",
        "neighbour",
        "doctor",
        "landlord",
    }
)


@dataclass(frozen=True)
class Entity:
    id: str
    type: str
    name: str
    attributes: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Alias:
    """A name, address, nickname or phone number an entity is known by, and why it was attached."""

    entity_id: str
    alias: str  # the normalised key (see knowme.text.names.alias_key)
    kind: str  # email, name, first_name, nickname, phone
    reason: str = ""


@dataclass(frozen=True)
class Fact:
    id: str
    subject_id: str
    predicate: str
    object_id: str | None = None
    object_value: str | None = None
    valid_from: str | None = None
    valid_to: str | None = None
    recorded_at: str = ""
    invalidated_at: str | None = None
    confidence: float = 1.0
    extractor: str = ""
    extractor_version: str = ""
    attributes: Mapping[str, Any] = field(default_factory=dict)  # evidence, stated_to, reliability, ...


@dataclass(frozen=True)
class Commitment:
    id: str
    direction: str  # made | received
    counterparty_id: str | None
    what: str
    due: str | None
    status: str  # open | done
    made_at: str | None
    record_id: str
    done_at: str | None = None
    done_record_id: str | None = None
    thread: str | None = None
    extractor: str = ""
    extractor_version: str = ""
    recorded_at: str = ""


@dataclass(frozen=True)
class Merge:
    kept_id: str
    merged_id: str
    merged_name: str
    reason: str
    aliases: tuple[str, ...]
    at: str


@dataclass(frozen=True)
class Source:
    """A record that supports a graph item: its id, citeable ref, kind and date."""

    record_id: str
    ref: str
    kind: str
    timestamp: str | None
