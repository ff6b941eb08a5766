"""The persona part of the store interface: preferences and feedback (tables of m002, extended by m006_persona).

:meth:`knowme.store.base.Store.persona` returns one, bound to the same vault and transactions. Dataclasses in,
dataclasses out.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from knowme.models.persona import Feedback, Preference


class PersonaStore(ABC):
    @abstractmethod
    def put_preference(self, preference: Preference) -> None:
        """Insert ``preference`` or replace the one with its id."""

    @abstractmethod
    def get_preference(self, preference_id: str) -> Preference | None: ...

    @abstractmethod
    def preferences(self) -> list[Preference]:
        """Every stored preference (active or not), oldest first."""

    @abstractmethod
    def delete_preference(self, preference_id: str) -> bool:
        """Remove one; False when there was none."""

    @abstractmethod
    def add_feedback(self, feedback: Feedback) -> None: ...

    @abstractmethod
    def feedback(self, *, target_type: str | None = None) -> list[Feedback]:
        """Feedback, oldest first, optionally of one target type."""

    @abstractmethod
    def clear_ratings(self) -> int:
        """Delete the ratings (feedback without a correction); return how many rows went. Corrections stay: the
        facts and rules they became point at them."""
