"""The persona's data: standing preferences and rules, and feedback. Pure frozen data.

A :class:`Preference` is something the user likes, avoids or values, or a standing instruction ("never book meetings
before 10:00"). ``origin`` says where it came from: ``stated`` (the user said it), ``inferred`` (read from their data:
a diet, likes and dislikes in the graph) or ``feedback`` (a correction). ``provenance`` says exactly what:
``{"refs": [...]}`` for inferred ones, ``{"feedback": "<id>"}`` for corrections. Ids of inferred preferences are
``fact:<fact id>``; they live in the graph, and a stored row with the same id only records the user's edits
(``active`` false hides one).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

POLARITIES = ("prefer", "avoid", "rule", "value")
ORIGINS = ("stated", "inferred", "feedback")


@dataclass(frozen=True)
class Preference:
    id: str
    statement: str
    polarity: str = "prefer"
    strength: float = 1.0
    scope: str = "general"
    origin: str = "stated"
    created_at: str = ""
    updated_at: str = ""
    active: bool = True
    provenance: Mapping[str, Any] = field(default_factory=dict)

    @property
    def refs(self) -> tuple[str, ...]:
        return tuple(self.provenance.get("refs") or ())


@dataclass(frozen=True)
class Feedback:
    """A rating (+1/-1) or a correction on an answer, hit, draft or suggestion (``target_type``/``target_id``).
    ``detail`` keeps what the re-ranker learned from (the hit's features) and what a correction became."""

    id: str
    target_type: str
    target_id: str
    rating: int | None = None
    correction: str | None = None
    created_at: str = ""
    detail: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Violation:
    """Something an answer says that a preference rules out (see :mod:`knowme.assist.comply`): the preference,
    the offending words as they appear in the answer (``span``, at ``start``:``end``) and what it does with them
    ("suggests steak", "proposes 09:00 on Friday")."""

    preference_id: str
    statement: str
    span: str
    start: int
    end: int
    reason: str
    kind: str = "avoid"  # avoid (a thing ruled out) · time (a time or day a scheduling rule rules out) · writing


@dataclass(frozen=True)
class Compliance:
    """How an answer fared against the user's applicable preferences.

    ``checked`` are the ids of the preferences the check can read (others, "I value honesty", are not checked);
    ``first`` what the model's first reply broke; ``violations`` what the answer as returned still breaks (the
    ``note`` appended to it names them); ``regenerated`` whether the model was asked once more."""

    checked: tuple[str, ...] = ()
    first: tuple[Violation, ...] = ()
    violations: tuple[Violation, ...] = ()
    regenerated: bool = False
    note: str = ""

    @property
    def respected(self) -> bool:
        return not self.violations
