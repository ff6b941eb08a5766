"""The calendar connector: iCalendar files (``.ics``, ``.ical``, ``.ifb``), one record per event occurrence.

Parsing is icalendar's; recurrence expansion is recurring-ical-events' (with x-wr-timezone, its own dependency, for
``X-WR-TIMEZONE``). What is ours is the shape of the records and the handling of damaged files.

- Every VEVENT occurrence is a record of kind ``event``. All occurrences of a series share ``ref`` ``cal:<UID>``;
  ``native_id`` is the UID for a single event and ``UID@<instance>`` for an occurrence of a recurring series, where
  ``<instance>`` is the occurrence's RECURRENCE-ID (its original start) in ISO form: a date (``2024-03-05``), a UTC
  time (``2024-03-05T15:00:00Z``) or a floating time (``2024-03-05T10:00:00``). Using the original start keeps the
  id stable when one instance is moved (the moved instance is an update, not a new record).
- Time zones: TZID with or without a VTIMEZONE (Olson names, Windows names, custom VTIMEZONEs), UTC, floating
  times (read in the local time zone via :func:`~knowme.connectors.base.aware`) and calendars that name their zone
  with ``X-WR-TIMEZONE`` (Google exports) are all read. All-day events (DATE values) have ``meta["all_day"]`` and a
  timestamp at local midnight; ``meta["end"]`` is iCalendar's exclusive end date.
- RRULE/RDATE series are expanded from their first start (or ``now - past_days``) to ``now + future_days``,
  respecting EXDATE and applying RECURRENCE-ID overrides; at most ``max_occurrences`` per series are kept, the
  latest ones in the window (so a daily meeting running for years keeps its recent and coming instances). A series
  with no occurrence in the window still yields its first occurrence, so it is never lost. Single events are always
  read, whatever their date.
- A component without a UID gets a stable one, ``knowme-<stable_hash(summary, dtstart, location)>``. Two copies of
  the same instance (same UID and RECURRENCE-ID) keep the one with the highest SEQUENCE.
- VTODOs are read as simple (non-recurring) records of kind ``event`` with ``meta["component"] == "VTODO"``.
- Damage: a component whose DTSTART cannot be read is one :class:`~knowme.models.ItemProblem` (with its line
  number and UID); an unreadable DTEND, DURATION, DUE, EXDATE or RDATE is dropped and the component still read. A
  series whose rule cannot be computed, or is too dense to walk (``MAX_RULE_STEPS``: dateutil steps through every
  instance from DTSTART, so a MINUTELY rule running for years would stall the ingest), is a problem and yields only
  its first occurrence. A file whose BEGIN/END
  structure is broken (truncated, a missing END:VEVENT) is not trusted to icalendar as a whole (icalendar silently
  returns nothing for it): it is split into its VEVENT/VTODO blocks, each parsed on its own with the file's
  VTIMEZONEs, and each unterminated or unparsable block is a problem. A file with no readable component at all is
  one problem; a file that is not iCalendar at all raises :class:`~knowme.errors.IngestError`.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any, ClassVar

import icalendar
import recurring_ical_events
import x_wr_timezone

from knowme.connectors._text import decode_folded
from knowme.connectors.base import LIKELY, MAYBE, NO, SURE, Connector, Cursor, aware
from knowme.errors import IngestError
from knowme.models import ItemProblem, Record, stable_hash
from knowme.plugins import hookimpl

#: Components read from a calendar.
COMPONENTS = ("VEVENT", "VTODO")
#: A recurrence rule needing more iteration steps than this from its start to the window's end is not expanded
#: (dateutil walks every step from DTSTART: a MINUTELY rule running for years would take minutes).
MAX_RULE_STEPS = 300_000
#: How many bytes :meth:`CalendarConnector.sniff` reads.
SNIFF_BYTES = 4096

_LINE_BREAK = re.compile(r"\r\n|\n|\r")
_BEGIN_END = re.compile(r"^(BEGIN|END):([A-Za-z0-9-]+)[ \t]*$", re.IGNORECASE)
_TZID = re.compile(r";TZID=\"?([^\";:]+)\"?", re.IGNORECASE)
# fmt: off
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_FREQ_WORDS = {"SECONDLY": "every second", "MINUTELY": "every minute", "HOURLY": "hourly", "DAILY": "daily",
               "WEEKLY": "weekly", "MONTHLY": "monthly", "YEARLY": "yearly"}
_FREQ_SECONDS = {"SECONDLY": 1, "MINUTELY": 60, "HOURLY": 3600, "DAILY": 86400, "WEEKLY": 7 * 86400,
                 "MONTHLY": 28 * 86400, "YEARLY": 365 * 86400}
# fmt: on
_UTC_NAMES = {"UTC", "Etc/UTC", "Etc/GMT", "GMT", "Z", "Etc/Universal", "Universal", "Zulu"}


class _BadItem(Exception):
    """One component cannot be read; becomes an ItemProblem."""


@dataclass
class _Block:
    """A top-level VEVENT/VTODO/VTIMEZONE found by the line scanner: its name, first line and text."""

    name: str
    line: int
    depth: int
    lines: list[str] = field(default_factory=list)
    complete: bool = False

    @property
    def text(self) -> str:
        return "\r\n".join(self.lines)


@dataclass
class _Scan:
    """What the line scanner found: the structure's health, the items, the time zones and the calendar's own lines."""

    well_formed: bool
    items: list[_Block]
    timezones: list[_Block]
    header: list[str]
    calendars: int


@dataclass
class _Item:
    """One parsed component with where it came from."""

    component: icalendar.cal.Component
    line: int | None
    calendar_name: str | None

    @property
    def where(self) -> str:
        uid = self.component.get("UID")
        parts = [f"line {self.line}" if self.line else "", f"(UID {uid})" if uid else ""]
        return " ".join(p for p in parts if p)


def _scan(text: str) -> _Scan:
    """Find the top-level components by their BEGIN/END lines, and whether the nesting is sound."""
    stack: list[str] = []
    items: list[_Block] = []
    timezones: list[_Block] = []
    header: list[str] = []
    current: _Block | None = None
    well_formed = True
    calendars = 0
    for number, line in enumerate(_LINE_BREAK.split(text), start=1):
        match = _BEGIN_END.match(line)
        if match is None:
            if current is not None:
                current.lines.append(line)
            elif stack == ["VCALENDAR"] and line.strip():
                if line[:1] in (" ", "\t") and header:
                    header[-1] += line[1:]
                else:
                    header.append(line)
            continue
        verb, name = match.group(1).upper(), match.group(2).upper()
        if verb == "BEGIN" and name == "VCALENDAR":
            calendars += 1
            if stack or current is not None:
                well_formed, stack, current = False, [], None
        elif verb == "BEGIN" and name in (*COMPONENTS, "VTIMEZONE"):
            if current is not None:  # a new component while the last is still open: that one was cut off
                well_formed = False
                del stack[current.depth :]
                current = None
            if stack != ["VCALENDAR"]:
                well_formed = False
            current = _Block(name, number, len(stack))
            (timezones if name == "VTIMEZONE" else items).append(current)
        if verb == "BEGIN":
            if current is not None:
                current.lines.append(line)
            stack.append(name)
            continue
        if current is not None:
            current.lines.append(line)
        if stack and stack[-1] == name:
            stack.pop()
            if current is not None and name == current.name and len(stack) == current.depth:
                current.complete = True
                current = None
        else:
            well_formed = False
            if name in stack:
                del stack[len(stack) - 1 - stack[::-1].index(name) :]
            if current is not None and len(stack) <= current.depth:
                current = None
    if stack or current is not None:
        well_formed = False
    return _Scan(well_formed, items, timezones, header, calendars)


class CalendarConnector(Connector):
    """Reads an iCalendar file: one record per event occurrence (and per simple to-do)."""

    name: ClassVar[str] = "calendar"
    kinds: ClassVar[tuple[str, ...]] = ("event",)
    suffixes: ClassVar[tuple[str, ...]] = (".ics", ".ical", ".ifb")

    def __init__(
        self,
        path: Path | str,
        *,
        now: datetime | None = None,
        past_days: int | None = None,
        future_days: int = 365,
        max_occurrences: int = 1000,
    ) -> None:
        super().__init__(path)
        if max_occurrences < 1:
            raise ValueError("max_occurrences must be at least 1")
        if future_days < 0 or (past_days is not None and past_days < 0):
            raise ValueError("past_days and future_days cannot be negative")
        self.now: datetime = aware(now) or datetime.now(UTC)
        self.past_days = past_days
        self.future_days = future_days
        self.max_occurrences = max_occurrences

    @classmethod
    def sniff(cls, path: Path) -> int:
        if path.is_dir():
            return NO
        by_name = super().sniff(path)
        try:
            with path.open("rb") as handle:
                head = handle.read(SNIFF_BYTES)
        except OSError:
            return by_name
        looks = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:15].upper() == b"BEGIN:VCALENDAR"
        if looks:
            return SURE if by_name else LIKELY
        return MAYBE if by_name else NO

    # -- reading -------------------------------------------------------------------------------------------------

    def iter_records(self, cursor: Cursor | None = None) -> Iterator[Record | ItemProblem]:
        text = self._read_text()
        scan = _scan(text)
        if not scan.calendars and not scan.items:
            raise IngestError(f"{self.path} is not an iCalendar file (no BEGIN:VCALENDAR or BEGIN:VEVENT)")
        items: list[_Item] | None = None
        if scan.well_formed and scan.calendars:
            items = self._parse_whole(text, scan)
        if items is None:
            items = []
            yield from self._parse_blocks(scan, items)
            if not items and not scan.items:
                yield self.problem("", "no readable calendar component in the file (truncated or damaged?)")
        yield from self._records(items)

    def _read_text(self) -> str:
        try:
            raw = self.path.read_bytes()
        except OSError as exc:
            raise IngestError(f"cannot read {self.path}: {exc.strerror or exc}") from exc
        return decode_folded(raw)

    def _parse_whole(self, text: str, scan: _Scan) -> list[_Item] | None:
        """Parse a well-formed file in one go; ``None`` if icalendar refuses it (the block fallback takes over)."""
        try:
            calendars = icalendar.Calendar.from_ical(text, multiple=True)
        except Exception:  # noqa: BLE001 - any refusal sends us to the per-block reader
            return None
        items: list[_Item] = []
        for calendar in calendars:
            name = _text(calendar.get("X-WR-CALNAME"))
            for component in _standard(calendar).walk():
                if component.name in COMPONENTS:
                    items.append(_Item(component, None, name))
        if len(items) != len(scan.items):
            return None  # icalendar saw a different structure than we did: trust the careful path instead
        for item, block in zip(items, scan.items, strict=True):
            item.line = block.line
        return items

    def _parse_blocks(self, scan: _Scan, items: list[_Item]) -> Iterator[ItemProblem]:
        """Parse each VEVENT/VTODO block alone (with the VTIMEZONEs it names); report the broken ones."""
        zones = {}
        for block in scan.timezones:
            if block.complete:
                match = re.search(r"^TZID(?:;[^:\r\n]*)?:(.+)$", block.text, re.IGNORECASE | re.MULTILINE)
                if match:
                    zones[match.group(1).strip()] = block.text
        header = [line for line in scan.header if re.match(r"(X-WR-|CALSCALE|METHOD)", line, re.IGNORECASE)]
        try:
            shell = icalendar.Calendar.from_ical("\r\n".join(["BEGIN:VCALENDAR", *header, "END:VCALENDAR", ""]))
        except Exception:  # noqa: BLE001 - a damaged header only loses the calendar name
            shell = icalendar.Calendar()
        lines: list[int] = []
        for block in scan.items:
            if not block.complete:
                yield self.problem(
                    f"line {block.line}",
                    f"{block.name} is not terminated (no END:{block.name}); the file looks truncated",
                )
                continue
            used = [zones[z] for z in dict.fromkeys(m.strip() for m in _TZID.findall(block.text)) if z in zones]
            mini = "\r\n".join(["BEGIN:VCALENDAR", "VERSION:2.0", *used, block.text, "END:VCALENDAR", ""])
            try:
                parsed = [c for c in icalendar.Calendar.from_ical(mini).walk() if c.name == block.name]
                if len(parsed) != 1:
                    raise ValueError(f"expected one {block.name}, found {len(parsed)}")
            except Exception as exc:  # noqa: BLE001 - one bad block never stops the rest
                yield self.problem(f"line {block.line}", exc)
                continue
            shell.add_component(parsed[0])
            lines.append(block.line)
        name = _text(shell.get("X-WR-CALNAME"))
        try:
            standard = _standard(shell)
        except Exception:  # noqa: BLE001 - an unknown X-WR-TIMEZONE: keep the times as written
            standard = shell
        for component, line in zip(standard.subcomponents, lines, strict=True):
            items.append(_Item(component, line, name))

    # -- from components to records ------------------------------------------------------------------------------

    def _records(self, items: list[_Item]) -> Iterator[Record | ItemProblem]:
        groups: dict[tuple[str, str], list[_Item]] = {}
        for item in items:
            try:
                _check(item.component)
                uid = _text(item.component.get("UID")) or _derived_uid(item.component)
            except _BadItem as exc:
                yield self.problem(item.where, str(exc))
                continue
            item.component["UID"] = uid
            groups.setdefault((str(item.component.name), uid), []).append(item)
        for (kind, uid), group in groups.items():
            masters = [i for i in group if "RECURRENCE-ID" not in i.component]
            recurring = kind == "VEVENT" and any("RRULE" in i.component or "RDATE" in i.component for i in masters)
            try:
                yield from self._series(uid, group) if recurring else self._singles(uid, group)
            except Exception as exc:  # noqa: BLE001 - a surprise in one series never stops the rest
                yield self.problem(group[0].where, _reason(exc))

    def _singles(self, uid: str, group: list[_Item]) -> Iterator[Record | ItemProblem]:
        """Components that do not recur: each (UID, RECURRENCE-ID) once, the highest SEQUENCE winning."""
        chosen: dict[str, _Item] = {}
        for item in group:
            try:
                rid = _when(item.component, "RECURRENCE-ID")
            except _BadItem as exc:
                yield self.problem(item.where, str(exc))
                continue
            key = _instance_id(rid) if rid is not None else ""
            old = chosen.get(key)
            if old is None or _sequence(item.component) >= _sequence(old.component):
                chosen[key] = item
        for key, item in chosen.items():
            native_id = f"{uid}@{key}" if key else uid
            try:
                yield self._record(item.component, uid=uid, native_id=native_id, item=item, master=None)
            except _BadItem as exc:
                yield self.problem(item.where, str(exc))

    def _series(self, uid: str, group: list[_Item]) -> Iterator[Record | ItemProblem]:
        """A recurring series: expanded over the window, at most ``max_occurrences`` occurrences."""
        master_item = next(
            i
            for i in group
            if "RECURRENCE-ID" not in i.component and ("RRULE" in i.component or "RDATE" in i.component)
        )
        master = master_item.component
        try:
            first = _when(master, "DTSTART")
            if first is None:
                raise _BadItem("a recurring event without DTSTART cannot be expanded")
            calendar = icalendar.Calendar()
            for item in group:
                calendar.add_component(item.component)
            query = recurring_ical_events.of(calendar, components=[master.name])
            end = self.now + timedelta(days=self.future_days)
            steps = _rule_steps(_rrule(master), aware(first), end)  # type: ignore[arg-type]
            if steps > MAX_RULE_STEPS:
                yield self.problem(
                    master_item.where,
                    f"the recurrence is too dense to expand (about {steps:,.0f} "
                    "steps); only its first occurrence is read",
                )
                occurrences = []
            else:
                occurrences = self._expand(query, aware(first))  # type: ignore[arg-type]
            if not occurrences:  # nothing in the window: keep the series' first occurrence so it is not lost
                occurrences = list(itertools.islice(query.after(aware(first)), 1))
        except Exception as exc:  # noqa: BLE001 - one bad series never stops the rest
            if isinstance(exc, _BadItem):
                yield self.problem(master_item.where, str(exc))
                return
            reason = f"cannot expand the recurrence ({_reason(exc)}); only its first occurrence is read"
            yield self.problem(master_item.where, reason)
            native_id = f"{uid}@{_instance_id(first)}"  # type: ignore[arg-type]
            yield self._record(master, uid=uid, native_id=native_id, item=master_item, master=master)
            return
        for occurrence in occurrences:
            try:
                rid = _when(occurrence, "RECURRENCE-ID") or _when(occurrence, "DTSTART")
                native_id = f"{uid}@{_instance_id(rid)}"  # type: ignore[arg-type]
                yield self._record(occurrence, uid=uid, native_id=native_id, item=master_item, master=master)
            except _BadItem as exc:
                yield self.problem(master_item.where, str(exc))

    def _expand(self, query: Any, first: datetime) -> list[icalendar.cal.Component]:
        """Occurrences in the window, the latest ``max_occurrences`` kept.

        The window is walked backwards from its end in spans sized by the density seen so far, so a long series
        costs a few queries instead of one per week, and a dense one stops as soon as enough are found.
        """
        low = self.now - timedelta(days=self.past_days) if self.past_days is not None else first
        high = self.now + timedelta(days=self.future_days)
        found: dict[str, tuple[datetime, icalendar.cal.Component]] = {}
        span = timedelta(days=1)
        upper = high
        while upper > low and len(found) < self.max_occurrences:
            lower = low if upper - low <= span else upper - span
            for occurrence in query.between(lower, upper):
                rid = _when(occurrence, "RECURRENCE-ID") or _when(occurrence, "DTSTART")
                start = aware(_when(occurrence, "DTSTART"))
                found.setdefault(_instance_id(rid), (start, occurrence))  # type: ignore[arg-type]
            upper = lower
            covered = (high - upper).total_seconds()
            if found:  # aim the next span at the rest of what we need, at the density seen so far
                wanted = covered * (self.max_occurrences - len(found)) / len(found) * 1.2
                seconds = max(span.total_seconds() * 2, wanted)
            else:
                seconds = span.total_seconds() * 4
            span = timedelta(seconds=min(seconds, (upper - low).total_seconds() + 1))
        ordered = sorted(found.values(), key=lambda pair: pair[0])
        return [component for _, component in ordered[-self.max_occurrences :]]

    def _record(
        self,
        component: icalendar.cal.Component,
        *,
        uid: str,
        native_id: str,
        item: _Item,
        master: icalendar.cal.Component | None,
    ) -> Record:
        is_todo = component.name == "VTODO"
        start = _when(component, "DTSTART")
        end = _end(component, start)
        due = _when(component, "DUE") if is_todo else None
        all_day = isinstance(start, date) and not isinstance(start, datetime)
        summary = _text(component.get("SUMMARY")) or ""
        location = _text(component.get("LOCATION"))
        description = _text(component.get("DESCRIPTION"))
        status = _text(component.get("STATUS"))
        organizer = _person(component.get("ORGANIZER"))
        attendees = [a for a in map(_person, _as_list(component.get("ATTENDEE"))) if a is not None]
        rrule = _rrule(master if master is not None else component)
        rid = _when(component, "RECURRENCE-ID")
        zone = _zone_name(component, start)
        timestamp = aware(start if start is not None else due)

        meta: dict[str, Any] = {
            "component": component.name,
            "uid": uid,
            "start": _iso(start),
            "end": _iso(end),
            "all_day": all_day,
            "timezone": zone,
            "location": location,
            "organizer": organizer,
            "attendees": attendees,
            "rrule": rrule,
            "recurrence_id": _iso(rid),
            "status": status.upper() if status else None,
            "categories": _categories(component),
            "url": _text(component.get("URL")),
            "calendar": item.calendar_name,
            "path": str(self.path),
        }
        if is_todo:
            meta["due"] = _iso(due)
            meta["completed"] = _iso(_when(component, "COMPLETED"))
        text = _describe(
            summary=summary,
            is_todo=is_todo,
            when=_when_text(start, end, zone, all_day),
            due=_when_text(due, None, _zone_name(component, due), not isinstance(due, datetime)) if due else None,
            location=location,
            organizer=organizer,
            attendees=attendees,
            rrule=rrule,
            status=meta["status"],
            description=description,
        )
        return Record(
            source=self.source,
            kind="event",
            native_id=native_id,
            ref=f"cal:{uid}",
            text=text,
            title=summary,
            timestamp=timestamp,
            author=organizer["display"] if organizer else None,
            participants=tuple(a["display"] for a in attendees),
            meta=meta,
        )


# -- helpers ---------------------------------------------------------------------------------------------------------


def _standard(calendar: icalendar.Calendar) -> icalendar.Calendar:
    """The calendar with X-WR-TIMEZONE applied to its UTC and floating times (as RFC 5545 would have them)."""
    if calendar.get("X-WR-TIMEZONE") is None:
        return calendar
    try:
        return x_wr_timezone.to_standard(calendar)
    except Exception:  # noqa: BLE001 - an unknown zone name: the times stay as written
        return calendar


def _reason(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _check(component: icalendar.cal.Component) -> None:
    """Reject a component whose start or instance id is unreadable; drop unreadable ends, durations and exceptions.

    An unreadable EXDATE or RDATE value is dropped on its own (the series keeps its other dates).
    """
    _when(component, "DTSTART")
    _when(component, "RECURRENCE-ID")
    for name in ("DTEND", "DUE", "DURATION", "EXDATE", "RDATE"):
        props = _as_list(component.get(name))
        readable = [prop for prop in props if _readable(prop)]
        if len(readable) != len(props):
            del component[name]
            if readable:
                component[name] = readable if len(readable) > 1 else readable[0]


def _readable(prop: Any) -> bool:
    try:
        _ = prop.dts if isinstance(prop, icalendar.prop.vDDDLists) else prop.dt
    except Exception:  # noqa: BLE001 - icalendar's broken-property error
        return False
    return True


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, list):
        value = value[0] if value else None
        if value is None:
            return None
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    text = str(value).strip()
    return text or None


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _when(component: icalendar.cal.Component, name: str) -> date | datetime | None:
    """A date or datetime property, ``None`` if absent; :class:`_BadItem` if present but unreadable."""
    prop = component.get(name)
    if prop is None:
        return None
    if isinstance(prop, list):
        prop = prop[0] if prop else None
        if prop is None:
            return None
    try:
        value = prop.dt
    except Exception as exc:  # noqa: BLE001 - icalendar's broken-property error and friends
        raise _BadItem(f"{name} cannot be read: {exc}") from exc
    if isinstance(value, tuple):  # a PERIOD value: its start
        value = value[0]
    if not isinstance(value, date):
        raise _BadItem(f"{name} is not a date or time: {value!r}")
    return value


def _end(component: icalendar.cal.Component, start: date | datetime | None) -> date | datetime | None:
    """DTEND, else DTSTART + DURATION, else one day for all-day events, else the start itself."""
    try:
        end = _when(component, "DTEND")
    except _BadItem:
        end = None
    if end is not None or start is None:
        return end
    duration = component.get("DURATION")
    try:
        delta = duration.dt if duration is not None else None
    except Exception:  # noqa: BLE001
        delta = None
    if isinstance(delta, timedelta):
        return start + delta
    if not isinstance(start, datetime) and component.name == "VEVENT":
        return start + timedelta(days=1)
    return start if component.name == "VEVENT" else None


def _sequence(component: icalendar.cal.Component) -> int:
    try:
        return int(component.get("SEQUENCE", 0))
    except (TypeError, ValueError):
        return 0


def _derived_uid(component: icalendar.cal.Component) -> str:
    """A stable UID for a component without one, from what a person would recognise it by."""
    start = component.get("DTSTART")
    raw_start = start.to_ical().decode("utf-8", "replace") if hasattr(start, "to_ical") else str(start or "")
    tzid = start.params.get("TZID", "") if hasattr(start, "params") else ""
    return "knowme-" + stable_hash(
        _text(component.get("SUMMARY")) or "", f"{tzid}:{raw_start}", _text(component.get("LOCATION")) or ""
    )


def _instance_id(value: date | datetime) -> str:
    """The instance part of a recurring occurrence's native id (dates, UTC times, floating times)."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return value.replace(microsecond=0).isoformat()
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return value.isoformat()


def _iso(value: date | datetime | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return aware(value).isoformat()  # type: ignore[union-attr]
    return value.isoformat()


def _person(value: Any) -> dict[str, Any] | None:
    """An organiser or attendee: name, email, role, partstat and the ``Name <email>`` display form."""
    if value is None:
        return None
    address = str(value).strip()
    params = getattr(value, "params", {}) or {}
    name = _text(params.get("CN"))
    if name and len(name) > 1 and name[0] == name[-1] == '"':
        name = name[1:-1].strip() or None
    email = address[7:].strip() if address.lower().startswith("mailto:") else None
    if email is None and "@" in address and ":" not in address:
        email = address
    if not name and not email and not address:
        return None
    display = f"{name} <{email}>" if name and email else name or email or address
    role = _text(params.get("ROLE"))
    partstat = _text(params.get("PARTSTAT"))
    return {
        "name": name,
        "email": email,
        "role": role.upper() if role else None,
        "partstat": partstat.upper() if partstat else None,
        "display": display,
    }


def _rrule(component: icalendar.cal.Component) -> str | None:
    rules = _as_list(component.get("RRULE"))
    texts = []
    for rule in rules:
        try:
            texts.append(rule.to_ical().decode("utf-8", "replace"))
        except Exception:  # noqa: BLE001
            texts.append(str(rule))
    return "\n".join(texts) or None


def _rule_steps(rrule: str | None, first: datetime, last: datetime) -> float:
    """Roughly how many steps dateutil takes to walk ``rrule`` from ``first`` to ``last``."""
    steps = 0.0
    for rule in (rrule or "").upper().split("\n"):
        freq = re.search(r"FREQ=([A-Z]+)", rule)
        interval = re.search(r"INTERVAL=(\d+)", rule)
        seconds = _FREQ_SECONDS.get(freq.group(1), 86400) if freq else 86400
        seconds *= max(1, int(interval.group(1))) if interval else 1
        steps += max(0.0, (last - first).total_seconds()) / seconds
    return steps


def _categories(component: icalendar.cal.Component) -> list[str]:
    found: list[str] = []
    for prop in _as_list(component.get("CATEGORIES")):
        values = getattr(prop, "cats", None)
        if values is None:
            values = str(prop).split(",")
        for value in values:
            text = _text(value)
            if text and text not in found:
                found.append(text)
    return found


def _zone_name(component: icalendar.cal.Component, value: date | datetime | None) -> str | None:
    """A person-readable zone name: ``America/New_York``, ``UTC``, the TZID as written, or ``floating``."""
    if not isinstance(value, datetime):
        return None
    tz: tzinfo | None = value.tzinfo
    if tz is None:
        return "floating"
    key = getattr(tz, "key", None) or getattr(tz, "zone", None)
    if key:
        return "UTC" if key in _UTC_NAMES else str(key)
    if value.utcoffset() == timedelta(0) and (tz is UTC or value.tzname() in _UTC_NAMES):
        return "UTC"
    prop = component.get("DTSTART")
    tzid = prop.params.get("TZID") if hasattr(prop, "params") else None
    return str(tzid) if tzid else (value.tzname() or str(tz))


def _day(value: date) -> str:
    return f"{_WEEKDAYS[value.weekday()]} {value.day} {_MONTHS[value.month - 1]} {value.year}"


def _when_text(start: date | datetime | None, end: date | datetime | None, zone: str | None, all_day: bool) -> str:
    """``Tuesday 5 March 2024, 10:00–10:30 (America/New_York)`` and the all-day and multi-day forms."""
    if start is None:
        return ""
    if all_day or not isinstance(start, datetime):
        first = start.date() if isinstance(start, datetime) else start
        last = None
        if end is not None:
            last_day = end.date() if isinstance(end, datetime) else end
            last = last_day - timedelta(days=1) if last_day > first else first
        if last is None or last == first:
            return f"{_day(first)} (all day)"
        return f"{_day(first)} – {_day(last)} (all day)"
    label = "local time" if zone == "floating" else zone
    suffix = f" ({label})" if label else ""
    if isinstance(end, datetime) and end != start:
        if end.tzinfo is not None and start.tzinfo is not None:
            end = end.astimezone(start.tzinfo)
        if end.date() == start.date():
            return f"{_day(start)}, {start:%H:%M}–{end:%H:%M}{suffix}"
        return f"{_day(start)} {start:%H:%M} – {_day(end)} {end:%H:%M}{suffix}"
    return f"{_day(start)}, {start:%H:%M}{suffix}"


def _names(people: Iterable[dict[str, Any]]) -> str:
    return ", ".join(p["name"] or p["email"] or p["display"] for p in people)


def _describe(
    *,
    summary: str,
    is_todo: bool,
    when: str,
    due: str | None,
    location: str | None,
    organizer: dict[str, Any] | None,
    attendees: list[dict[str, Any]],
    rrule: str | None,
    status: str | None,
    description: str | None,
) -> str:
    """The readable paragraph that is indexed and shown: what, when, where, who, then the description."""
    title = summary or "(untitled)"
    sentences = [f"To do: {title}." if is_todo else f"{title}."]
    if when:
        sentences.append(f"When: {when}.")
    if due:
        sentences.append(f"Due: {due}.")
    if location:
        sentences.append(f"Where: {location}.")
    if organizer:
        sentences.append(f"Organiser: {_names([organizer])}.")
    if attendees:
        sentences.append(f"Attendees: {_names(attendees)}.")
    if rrule:
        freq = re.search(r"FREQ=([A-Z]+)", rrule.upper())
        sentences.append(f"Repeats {_FREQ_WORDS.get(freq.group(1), 'regularly') if freq else 'regularly'}.")
    if status:
        sentences.append(f"Status: {status.lower().replace('-', ' ')}.")
    text = " ".join(sentences)
    if description:
        text += "\n\n" + description.replace("\r\n", "\n")
    return text


@hookimpl
def register_connectors() -> list[type[Connector]]:
    return [CalendarConnector]
