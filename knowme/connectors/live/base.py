"""Live connectors: sources that change under us and are synchronised incrementally.

A live connector is a :class:`~knowme.connectors.base.Connector` whose :meth:`iter_records` takes the sync state
it returned last time and yields, besides records and problems:

* :class:`Gone` - items that no longer exist at the source (a deleted message, a deleted event);
* :class:`Complete` - "every item of ``source`` that still exists has been yielded in this run": the sync
  removes the stored records of that source it did not see (how a re-read file reports its deletions);
* :class:`Checkpoint` - a new state to remember once everything yielded so far is committed, so an interrupted
  sync resumes from there instead of from the start.

Edge cases: a connector that raises half-way keeps what it committed and its last checkpoint; ``Complete`` after a
failure is never yielded (a partial read must not delete anything).
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from knowme.connectors.base import NO, Connector, Cursor
from knowme.models import ItemProblem, Record


@dataclass(frozen=True)
class Gone:
    """Items of ``source`` (by native id) deleted at the source."""

    source: str
    native_ids: tuple[str, ...]


@dataclass(frozen=True)
class Complete:
    """Everything of ``source`` that exists was yielded in this run; stored records not seen are gone."""

    source: str


@dataclass(frozen=True)
class Checkpoint:
    """The sync state to save once everything yielded before it is committed."""

    state: Mapping[str, Any] = field(default_factory=dict)


LiveItem = Record | ItemProblem | Gone | Complete | Checkpoint


class LiveConnector(Connector):
    """A connector for a registered source identified by a URI (or a path) rather than detected from a file."""

    name: ClassVar[str] = "live"
    #: Whether the source is polled on a schedule (network) rather than watched through file events.
    polled: ClassVar[bool] = True

    def __init__(self, uri: str, *, user: str | None = None, password: str | None = None) -> None:
        self.uri = uri
        self.user = user
        self._password = password
        self.path = Path(uri)  # only used to locate problems; live sources override :attr:`source`

    def __repr__(self) -> str:  # never the password
        return f"{type(self).__name__}({self.uri!r}, user={self.user!r})"

    @classmethod
    def sniff(cls, path: Path) -> int:
        return NO  # registered explicitly, never detected by ``knowme ingest``

    def problem(self, where: str, reason: str | BaseException) -> ItemProblem:
        if isinstance(reason, BaseException):
            reason = f"{type(reason).__name__}: {reason}" if str(reason) else type(reason).__name__
        return ItemProblem(where=f"{self.uri}{'' if not where else ' ' + where}", reason=reason)

    @abstractmethod
    def iter_records(self, cursor: Cursor | None = None) -> Iterator[LiveItem]:  # type: ignore[override]
        """Yield what changed since ``cursor`` (the last :class:`Checkpoint` state), then a final checkpoint."""
