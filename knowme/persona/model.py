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
