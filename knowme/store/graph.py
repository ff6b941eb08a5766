"""The graph part of the store interface: entities, aliases, facts, commitments, merges and provenance.

:meth:`knowme.store.base.Store.graph` returns one of these, bound to the same vault and transactions. Every
derived item points at the records it came from through provenance rows (``target_type`` is ``entity``, ``alias``,
``fact`` or ``commitment``); deleting a record drops its rows, and :meth:`prune` removes what nothing supports any
more. Dataclasses in, dataclasses out; no backend detail leaks.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence

from knowme.models.graph import Alias, Commitment, Entity, Fact, Merge, Source


class GraphStore(ABC):
    # -- entities and aliases ----------------------------------------------------------------------------------
    @abstractmethod
    def put_entity(self, entity: Entity) -> None:
        """Insert ``entity`` or replace its type, name and attributes."""

    @abstractmethod
    def get_entity(self, entity_id: str) -> Entity | None: ...

    @abstractmethod
    def entities(self, *, type: str | None = None) -> list[Entity]:  # noqa: A002 - the entity's field name
        ...

    @abstractmethod
    def add_alias(self, alias: Alias) -> None:
        """Attach an alias (a no-op when the entity already has it)."""

    @abstractmethod
    def remove_alias(self, entity_id: str, alias: str) -> None: ...

    @abstractmethod
    def aliases(self, entity_id: str | None = None) -> list[Alias]:
        """The aliases of one entity, or of every entity."""

    @abstractmethod
    def reassign_entity(self, old_id: str, new_id: str) -> None:
        """Move everything of ``old_id`` (aliases, facts, commitments, provenance) to ``new_id``; drop ``old_id``."""

    @abstractmethod
    def add_merge(self, merge: Merge) -> None: ...

    @abstractmethod
    def merges(self, entity_id: str | None = None) -> list[Merge]: ...

    @abstractmethod
    def pin_alias(self, alias: str, entity_id: str, reason: str) -> None:
        """Remember a user's decision that ``alias`` belongs to ``entity_id`` (survives later ingests)."""

    @abstractmethod
    def pins(self) -> dict[str, str]: ...

    # -- provenance --------------------------------------------------------------------------------------------
    @abstractmethod
    def add_provenance(self, target_type: str, target_id: str, record_ids: Iterable[str]) -> None: ...

    @abstractmethod
    def sources(self, target_type: str, target_id: str) -> list[Source]:
        """The records behind one item, oldest first."""

    @abstractmethod
    def supported_by(self, target_type: str, record_ids: Sequence[str]) -> dict[str, set[str]]:
        """For each target of ``target_type`` supported by any of ``record_ids``: which of them support it."""

    @abstractmethod
    def move_provenance(self, target_type: str, old_id: str, new_id: str, record_ids: Sequence[str]) -> None: ...

    @abstractmethod
    def clear_provenance(self, record_ids: Sequence[str], target_types: Sequence[str]) -> None: ...

    @abstractmethod
    def prune(self, *, keep: Sequence[str] = ()) -> int:
        """Delete facts, commitments, aliases and entities (except ``keep``) no record supports; return how many."""

    # -- facts and commitments ---------------------------------------------------------------------------------
    @abstractmethod
    def put_fact(self, fact: Fact) -> None:
        """Insert ``fact`` or replace it (same id)."""

    @abstractmethod
    def facts(
        self,
        *,
        subject_id: str | None = None,
        predicate: str | None = None,
        object_id: str | None = None,
        extractor: str | None = None,
    ) -> list[Fact]: ...

    @abstractmethod
    def delete_facts(self, fact_ids: Sequence[str]) -> None: ...

    @abstractmethod
    def put_commitment(self, commitment: Commitment) -> None: ...

    @abstractmethod
    def commitments(self, *, counterparty_id: str | None = None) -> list[Commitment]: ...

    @abstractmethod
    def delete_commitments(self, ids: Sequence[str]) -> None: ...
