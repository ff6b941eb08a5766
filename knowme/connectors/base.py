"""The connector plugin role: turn one source (a file or folder) into records.

A connector implements one method, :meth:`Connector.iter_records`. It yields a :class:`~knowme.models.Record`
for every item it can read and an :class:`~knowme.models.ItemProblem` for every item it cannot, and it
never raises for a single bad item: one malformed message must not stop the rest. It may raise
:class:`~knowme.errors.IngestError` when the whole source is unreadable (a truncated SQLite file, a JSON
export that does not parse at all).

Detection is inherited: a connector lists the file suffixes or names it reads, or overrides
:meth:`Connector.sniff` to look inside a file. ``knowme ingest`` asks every registered connector and picks
the one that claims a path most confidently.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from datetime import date, datetime, time, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from knowme.models import ItemProblem, Record
from knowme.text.when import local_tz

if TYPE_CHECKING:
    from knowme.config import Settings

Cursor = Mapping[str, Any]

#: Confidence levels for :meth:`Connector.sniff`.
NO, MAYBE, LIKELY, SURE = 0, 25, 50, 90


def aware(value: datetime | date | None, *, default_tz: tzinfo | None = None) -> datetime | None:
    """A timezone-aware datetime for ``value``: dates become midnight, naive times get ``default_tz``."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        value = datetime.combine(value, time())
    if value.tzinfo is None:
        value = value.replace(tzinfo=default_tz or local_tz())
    return value


class Connector(ABC):
    """Base class of every connector. Subclasses set :attr:`name` and implement :meth:`iter_records`."""

    #: Registry name, also the prefix of :attr:`source` (``email``, ``calendar``, ``notes``, ...).
    name: ClassVar[str]
    #: Record kinds this connector produces.
    kinds: ClassVar[tuple[str, ...]] = ()
    #: Lower-case file suffixes (``.mbox``) or whole suffix chains (``.chat.jsonl``) it reads.
    suffixes: ClassVar[tuple[str, ...]] = ()
    #: Exact file names it reads (``History``, ``places.sqlite``, ``conversations.json``).
    filenames: ClassVar[tuple[str, ...]] = ()
    #: Whether a directory can be one source of this connector (a Maildir, a notes folder).
    reads_directories: ClassVar[bool] = False

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path).expanduser().resolve()
        #: The folder the user ingested, when this path was found by walking it (for refs relative to it).
        self.root: Path | None = None

    @property
    def source(self) -> str:
        """``connector:absolute path``: the account part of every record's ``source``."""
        return f"{self.name}:{self.path}"

    @classmethod
    def sniff(cls, path: Path) -> int:
        """How confidently this connector reads ``path`` (:data:`NO` .. :data:`SURE`)."""
        if path.is_dir():
            return NO
        lower = path.name.lower()
        if path.name in cls.filenames:
            return LIKELY
        if any(lower.endswith(suffix) for suffix in cls.suffixes):
            return LIKELY
        return NO

    @classmethod
    def sniff_configured(cls, path: Path, settings: Settings | None) -> int:
        """:meth:`sniff` with the vault's settings at hand (for formats the user can describe, like a bank CSV's
        columns); most connectors need none."""
        return cls.sniff(path)

    def configure(self, settings: Settings) -> None:  # noqa: B027 - optional hook
        """Take options from the vault's settings before reading; most connectors have none."""

    def estimate(self) -> int | None:
        """How many items :meth:`iter_records` will yield, if cheap to know (for progress bars)."""
        return None

    @abstractmethod
    def iter_records(self, cursor: Cursor | None = None) -> Iterator[Record | ItemProblem]:
        """Yield every item of the source as a record, or a problem saying why it could not be read.

        ``cursor`` is what the store remembered about this source after the last run; connectors that
        can skip unchanged items use it, the others ignore it (the store skips unchanged records anyway).
        """

    def problem(self, where: str, reason: str | BaseException) -> ItemProblem:
        """An :class:`ItemProblem` located inside this source."""
        if isinstance(reason, BaseException):
            reason = f"{type(reason).__name__}: {reason}" if str(reason) else type(reason).__name__
        return ItemProblem(where=f"{self.path}{'' if not where else ' ' + where}", reason=reason)
