"""Browser history: Chromium's ``History`` file and Firefox's ``places.sqlite``, one record per visit.

Both are SQLite databases the running browser keeps open and often locked, so the connector never opens
the original: it copies the file, with its ``-wal`` and ``-journal`` siblings when present, into a private
temporary folder and reads the copy with ``mode=ro``. If that copy carries a hot journal (the browser was
in the middle of a write), SQLite must roll it back before it can be read; that is done once, read-write,
on the private copy only. The original is never written to, and no lock is taken on it.

What it reads:

- **Chromium** (Chrome, Chromium, Edge, Brave, ...): ``visits`` joined to ``urls``, and the search terms in
  ``keyword_search_terms`` when that table exists. Times are microseconds since 1601-01-01 UTC (the WebKit
  epoch); the transition is a bit mask whose low byte is the core type (``link``, ``typed``, ``reload``, ...).
- **Firefox**: ``moz_historyvisits`` joined to ``moz_places`` (``description`` when present), and the search
  terms that led to a page from ``moz_places_metadata`` / ``moz_places_metadata_search_queries`` when those
  tables exist. Times are microseconds since the Unix epoch, UTC; ``visit_type`` is a small enum.

Each visit becomes a ``web_visit`` record with native id ``<url>@<visit time ISO>`` and ref ``web:<url>``
(the URL exactly as stored). Decisions and edge cases:

- Browser-internal pages (``chrome://``, ``about:``, ``edge://``, extension pages, ``view-source:``,
  ``data:``, ``javascript:``, ...) are skipped silently: they are not places the person went. ``file://``
  URLs are kept: a local document opened in the browser is part of what the person read.
- Subframe loads the person never chose (Chromium ``auto_subframe``, Firefox ``embed``) are skipped too,
  as the browsers' own history views do.
- A visit with no URL, a URL id that points nowhere, or no usable time (NULL, zero, not a number, out of
  range) is reported as an :class:`~knowme.models.ItemProblem` (by visit id; the URL, which may carry
  tokens, stays out of the report); the other visits still ingest.
- Two visits of the same URL at the same microsecond are one visit; the second is dropped.
- A file that is not SQLite, is truncated or corrupt, or lacks the browser's tables raises
  :class:`~knowme.errors.IngestError` naming the path.
- ``meta.visit_count`` and the title are the page's current values, so re-ingesting after new browsing
  updates earlier visits of the same page.
"""

from __future__ import annotations

import shutil
import sqlite3
from abc import abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any, ClassVar
from urllib.parse import unquote, urlsplit

from knowme.connectors.base import LIKELY, NO, SURE, Connector, Cursor
from knowme.errors import IngestError
from knowme.models import ItemProblem, Record
from knowme.plugins import hookimpl

SQLITE_MAGIC = b"SQLite format 3\x00"
#: Files SQLite keeps next to a database that hold part of its current state.
SIBLING_SUFFIXES = ("-wal", "-journal")

WEBKIT_EPOCH = datetime(1601, 1, 1, tzinfo=UTC)
UNIX_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

#: URL schemes of browser-internal pages, skipped (``file`` is deliberately not here).
INTERNAL_SCHEMES = frozenset(
    {
        "about",
        "blob",
        "brave",
        "chrome",
        "chrome-error",
        "chrome-extension",
        "chrome-native",
        "chrome-search",
        "chrome-untrusted",
        "data",
        "devtools",
        "edge",
        "javascript",
        "moz-extension",
        "opera",
        "resource",
        "view-source",
        "vivaldi",
    }
)

#: Chromium's core transition types (ui/base/page_transition_types.h), indexed by value.
CHROMIUM_TRANSITIONS = (
    "link",
    "typed",
    "auto_bookmark",
    "auto_subframe",
    "manual_subframe",
    "generated",
    "auto_toplevel",
    "form_submit",
    "reload",
    "keyword",
    "keyword_generated",
)
CHROMIUM_CORE_MASK = 0xFF
CHROMIUM_AUTO_SUBFRAME = 3

#: Firefox's visit types (nsINavHistoryService TRANSITION_*).
FIREFOX_VISIT_TYPES = {
    1: "link",
    2: "typed",
    3: "bookmark",
    4: "embed",
    5: "redirect_permanent",
    6: "redirect_temporary",
    7: "download",
    8: "framed_link",
    9: "reload",
}
FIREFOX_EMBED = 4


def chromium_transition(value: int) -> str:
    """The core type of a Chromium transition bit mask (qualifiers such as chain-end are ignored)."""
    core = value & CHROMIUM_CORE_MASK
    return CHROMIUM_TRANSITIONS[core] if core < len(CHROMIUM_TRANSITIONS) else f"unknown_{core}"


def firefox_visit_type(value: int) -> str:
    return FIREFOX_VISIT_TYPES.get(value, f"unknown_{value}")


def is_internal_url(url: object) -> bool:
    """Whether ``url`` is a browser-internal page (``chrome://settings``, ``about:blank``, ...)."""
    if not isinstance(url, str) or ":" not in url:
        return False
    return url.split(":", 1)[0].strip().lower() in INTERNAL_SCHEMES


def _host(url: str) -> str:
    try:
        return urlsplit(url).hostname or ""
    except ValueError:  # e.g. an unbalanced IPv6 bracket
        return ""


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _shown(value: object, limit: int = 40) -> str:
    """A short repr of a garbage value for a problem report (never a whole URL or blob)."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _table_names(conn: sqlite3.Connection) -> set[str]:
    return {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def _column_or_null(conn: sqlite3.Connection, table: str, column: str, alias: str) -> str:
    """``alias.column`` if ``table`` has that column (older browser versions lack some), else ``NULL``."""
    columns = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
    return f"{alias}.{column}" if column in columns else "NULL"


def _connect_read_only(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except BaseException:
        conn.close()
        raise
    return conn


@dataclass(frozen=True)
class _Visit:
    """One row of a browser's visits query, in the same column order for every browser."""

    visit_id: object
    url_key: object  # urls.id (Chromium) or moz_places.id (Firefox): the key of the search terms
    url: object
    title: object
    visit_count: object
    time: object
    transition: object
    duration: object
    description: object


class BrowserHistoryConnector(Connector):
    """What Chromium and Firefox history have in common: a private copy, visits, records, problems."""

    kinds = ("web_visit",)
    #: How error messages name the file ("Chromium History").
    label: ClassVar[str]
    #: Tables whose presence identifies the browser's database.
    required_tables: ClassVar[tuple[str, ...]]
    #: Visit times count microseconds from this instant.
    epoch: ClassVar[datetime]
    #: ``FROM ... WHERE knowme_keep(url, transition)``: the visits worth a record.
    visits_from: ClassVar[str]
    visits_order: ClassVar[str]

    # -- what each browser says differently -------------------------------------------------------

    @abstractmethod
    def _columns(self, conn: sqlite3.Connection) -> str:
        """The select list, in :class:`_Visit` order."""

    @abstractmethod
    def _search_terms(self, conn: sqlite3.Connection, tables: set[str]) -> dict[int, list[str]]:
        """Search terms by ``url_key``."""

    @abstractmethod
    def _transition_name(self, value: int) -> str:
        """The readable name of a raw transition / visit type."""

    def _keeps_transition(self, value: int) -> bool:
        return True

    # -- detection and counting -------------------------------------------------------------------

    @classmethod
    def sniff(cls, path: Path) -> int:
        """SURE for a SQLite file with the browser's tables, whatever its name.

        The schema is read with ``immutable=1`` straight from the file: no lock, no journal, no write.
        A file with the browser's usual name that cannot be read that way is still LIKELY ours, so that
        ingesting it explains what is wrong with it.
        """
        if not path.is_file():
            return NO
        try:
            with path.open("rb") as handle:
                if handle.read(len(SQLITE_MAGIC)) != SQLITE_MAGIC:
                    return NO
            conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True)
            try:
                tables = _table_names(conn)
            finally:
                conn.close()
        except (OSError, sqlite3.Error, UnicodeDecodeError):
            tables = set()
        if tables.issuperset(cls.required_tables):
            return SURE
        return LIKELY if path.name in cls.filenames else NO

    def estimate(self) -> int | None:
        """The number of visits :meth:`iter_records` will look at (internal pages excluded)."""
        try:
            with self._opened() as conn:
                row = conn.execute(f"SELECT count(*) {self.visits_from}").fetchone()
        except (IngestError, sqlite3.Error):
            return None
        return int(row[0])

    # -- reading ----------------------------------------------------------------------------------

    def last_visit_id(self) -> int | None:
        """The highest visit id in the file (visit ids only grow, until the history is cleared)."""
        with self._opened() as conn:
            row = conn.execute(f"SELECT max(v.id) {self.visits_from}").fetchone()
        return _int(row[0]) if row else None

    def iter_records(self, cursor: Cursor | None = None) -> Iterator[Record | ItemProblem]:
        """Every visit worth a record; with ``cursor["after_visit"]`` only the visits with a higher id (what a
        registered browser source reads after its first sync)."""
        after = _int((cursor or {}).get("after_visit"))
        newer, args = (" AND v.id > ?", (after,)) if after is not None else ("", ())
        with self._opened() as conn:  # a database error while reading becomes an IngestError there
            terms = self._search_terms(conn, _table_names(conn))
            rows = conn.execute(f"SELECT {self._columns(conn)} {self.visits_from}{newer} {self.visits_order}", args)
            same_time: set[str] = set()  # native ids seen at the current visit time (rows come in time order)
            current_time: datetime | None = None
            for row in rows:
                item = self._item(_Visit(*row), terms)
                if isinstance(item, Record):
                    if item.timestamp != current_time:
                        current_time, same_time = item.timestamp, set()
                    if item.native_id in same_time:
                        continue
                    same_time.add(item.native_id)
                yield item

    def _item(self, visit: _Visit, terms: dict[int, list[str]]) -> Record | ItemProblem:
        where = f"visit {visit.visit_id}"
        url = visit.url
        if not isinstance(url, str) or not url.strip():
            return self.problem(where, f"has no URL (URL id {_shown(visit.url_key)})")
        raw_time = _int(visit.time)
        if raw_time is None or raw_time <= 0:
            return self.problem(where, f"has no usable visit time ({_shown(visit.time)})")
        try:
            when = self.epoch + timedelta(microseconds=raw_time)
        except OverflowError:
            return self.problem(where, f"has an impossible visit time ({raw_time})")

        page_title = visit.title.strip() if isinstance(visit.title, str) else ""
        title = page_title or url
        host = _host(url)
        key = _int(visit.url_key)
        searched = terms.get(key, []) if key is not None else []
        description = visit.description.strip() if isinstance(visit.description, str) else ""
        transition = _int(visit.transition)
        duration = _int(visit.duration)

        lines = [page_title, url] if page_title else [url]
        readable_url = unquote(url)
        if readable_url != url:
            lines.append(readable_url)
        if host:
            lines.append(f"Site: {host.removeprefix('www.')}")
        if searched:
            lines.append(f"Searched for: {'; '.join(searched)}")
        if description:
            lines.append(description)

        meta: dict[str, Any] = {
            "url": url,
            "host": host,
            "title": page_title,
            "visit_count": _int(visit.visit_count),
            "transition": self._transition_name(transition) if transition is not None else None,
            "browser": self.name,
            "search_terms": searched,
            "duration_s": duration / 1_000_000 if duration and duration > 0 else None,
            "path": str(self.path),
        }
        if description:
            meta["description"] = description
        return Record(
            source=self.source,
            kind="web_visit",
            native_id=f"{url}@{when.isoformat()}",
            ref=f"web:{url}",
            text="\n".join(lines),
            title=title,
            timestamp=when,
            author=None,
            participants=(),
            meta=meta,
        )

    # -- the private copy -------------------------------------------------------------------------

    @contextmanager
    def _opened(self) -> Iterator[sqlite3.Connection]:
        """A read-only connection to a private copy of the database, checked to be the browser's."""
        with TemporaryDirectory(prefix="knowme-browser-") as folder:
            copy = self._copy_into(Path(folder))
            conn = self._connect(copy)
            try:
                missing = [table for table in self.required_tables if table not in _table_names(conn)]
                if missing:
                    raise IngestError(self._unreadable(f"it has no {' or '.join(missing)} table"))
                conn.create_function("knowme_keep", 2, self._keep, deterministic=True)
                yield conn
            except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:
                raise IngestError(self._unreadable(exc)) from exc
            finally:
                conn.close()

    def _copy_into(self, folder: Path) -> Path:
        copy = folder / self.path.name
        try:
            shutil.copyfile(self.path, copy)
            for suffix in SIBLING_SUFFIXES:
                sibling = self.path.with_name(self.path.name + suffix)
                if sibling.is_file():
                    shutil.copyfile(sibling, folder / sibling.name)
        except FileNotFoundError as exc:
            raise IngestError(f"{self.path} does not exist") from exc
        except OSError as exc:
            raise IngestError(
                f"{self.path} could not be copied for reading ({exc}); if the browser holds it locked, "
                "close the browser and try again"
            ) from exc
        return copy

    def _connect(self, copy: Path) -> sqlite3.Connection:
        try:
            try:
                return _connect_read_only(copy)
            except sqlite3.OperationalError as exc:
                if exc.sqlite_errorcode not in (sqlite3.SQLITE_READONLY_ROLLBACK, sqlite3.SQLITE_READONLY_RECOVERY):
                    raise
            # The copy caught the browser mid-write: let SQLite roll back / recover the private copy once.
            recovery = sqlite3.connect(copy.as_uri(), uri=True)
            try:
                recovery.execute("SELECT count(*) FROM sqlite_master").fetchone()
            finally:
                recovery.close()
            return _connect_read_only(copy)
        except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:  # a damaged schema may not even be text
            raise IngestError(self._unreadable(exc)) from exc

    def _keep(self, url: object, transition: object) -> bool:
        if is_internal_url(url):
            return False
        value = _int(transition)
        return value is None or self._keeps_transition(value)

    def _unreadable(self, reason: object) -> str:
        said = " ".join(str(reason).split())[:300]  # SQLite may quote a damaged schema, line breaks and all
        return f"{self.path} is not a readable {self.label} database: {said}"


class ChromiumHistoryConnector(BrowserHistoryConnector):
    """Chrome, Chromium, Edge, Brave, ... ``History`` files."""

    name = "chromium"
    filenames = ("History",)
    label = "Chromium History"
    required_tables = ("urls", "visits")
    epoch = WEBKIT_EPOCH
    visits_from = "FROM visits AS v LEFT JOIN urls AS u ON u.id = v.url WHERE knowme_keep(u.url, v.transition)"
    visits_order = "ORDER BY v.visit_time, v.id"

    def _columns(self, conn: sqlite3.Connection) -> str:
        duration = _column_or_null(conn, "visits", "visit_duration", "v")
        return f"v.id, v.url, u.url, u.title, u.visit_count, v.visit_time, v.transition, {duration}, NULL"

    def _search_terms(self, conn: sqlite3.Connection, tables: set[str]) -> dict[int, list[str]]:
        if "keyword_search_terms" not in tables:
            return {}
        return _group_terms(conn.execute("SELECT url_id, term FROM keyword_search_terms ORDER BY rowid"))

    def _transition_name(self, value: int) -> str:
        return chromium_transition(value)

    def _keeps_transition(self, value: int) -> bool:
        return value & CHROMIUM_CORE_MASK != CHROMIUM_AUTO_SUBFRAME


class FirefoxPlacesConnector(BrowserHistoryConnector):
    """Firefox (and its forks') ``places.sqlite`` files."""

    name = "firefox"
    filenames = ("places.sqlite",)
    label = "Firefox places"
    required_tables = ("moz_places", "moz_historyvisits")
    epoch = UNIX_EPOCH
    visits_from = (
        "FROM moz_historyvisits AS v LEFT JOIN moz_places AS p ON p.id = v.place_id "
        "WHERE knowme_keep(p.url, v.visit_type)"
    )
    visits_order = "ORDER BY v.visit_date, v.id"

    def _columns(self, conn: sqlite3.Connection) -> str:
        description = _column_or_null(conn, "moz_places", "description", "p")
        return f"v.id, v.place_id, p.url, p.title, p.visit_count, v.visit_date, v.visit_type, NULL, {description}"

    def _search_terms(self, conn: sqlite3.Connection, tables: set[str]) -> dict[int, list[str]]:
        if not {"moz_places_metadata", "moz_places_metadata_search_queries"} <= tables:
            return {}
        return _group_terms(
            conn.execute(
                "SELECT m.place_id, q.terms FROM moz_places_metadata AS m "
                "JOIN moz_places_metadata_search_queries AS q ON q.id = m.search_query_id ORDER BY m.id"
            )
        )

    def _transition_name(self, value: int) -> str:
        return firefox_visit_type(value)

    def _keeps_transition(self, value: int) -> bool:
        return value != FIREFOX_EMBED


def _group_terms(rows: sqlite3.Cursor) -> dict[int, list[str]]:
    """``{key: [term, ...]}`` from ``(key, term)`` rows: distinct, in order, blanks and garbage dropped."""
    grouped: dict[int, list[str]] = {}
    for key, term in rows:
        if _int(key) is None or not isinstance(term, str) or not term.strip():
            continue
        terms = grouped.setdefault(key, [])
        if term.strip() not in terms:
            terms.append(term.strip())
    return grouped


@hookimpl
def register_connectors() -> list[type[Connector]]:
    return [ChromiumHistoryConnector, FirefoxPlacesConnector]
