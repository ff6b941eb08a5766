"""Google location history: where one was, as ``place_visit`` records named offline like photos' places.

Three exports are read, each found by its contents (not its name):

- Takeout's ``Semantic Location History/YYYY/YYYY_MONTH.json`` (``timelineObjects``): every ``placeVisit`` is one
  visit (the place's name and address as Google had them, its position, start and end).
- The newer Timeline export made on the phone: Android's ``Timeline.json`` (``semanticSegments`` with ``visit``) and
  iOS's ``location-history.json`` (a list of segments with ``visit``, positions as ``geo:lat,lon``). Only top-level
  visits (``hierarchyLevel`` 0) are kept; a visit inside a visit (a shop in a mall) is the same stay.
- Takeout's raw ``Records.json`` (``locations``: every fix, often millions): streamed (one location object decoded at a
  time, so memory holds the days, not the fixes) and summarised as one visit per day and town, with the first and
  last time seen there.

Each visit says where and when: "Visit to Café Majestic, Rua Santa Catarina 112, Porto, in Porto, Portugal on Sunday
12 May 2024 from 10:00 to 11:30 (GPS 41.14700, -8.60600)." Times are shown in the place's own time zone (from the
position's town, :func:`knowme.connectors.places.zone_at`). ``ref`` is ``place:<start, UTC, ISO>`` for a visit and
``place:day/<YYYY-MM-DD>/<town>`` for a day of raw fixes. The GPS position in the text makes every visit ``location``
for the sensitivity classifier, so grants and remote models see visits only when ``location`` is granted.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from dateutil import parser as date_parser

from knowme.connectors.base import NO, SURE, Connector, Cursor
from knowme.connectors.places import Place, nearest_place, zone_at
from knowme.errors import IngestError
from knowme.models import ItemProblem, Record
from knowme.plugins import hookimpl

__all__ = ["LocationHistoryConnector"]

_GEO = re.compile(r"(-?\d+(?:\.\d+)?)°?\s*,\s*(-?\d+(?:\.\d+)?)°?")
_READ_CHUNK = 1 << 18


def _head(path: Path, size: int = 8192) -> str:
    try:
        with path.open("rb") as handle:
            return handle.read(size).decode("utf-8", "replace")
    except OSError:
        return ""


def _format(head: str) -> str | None:
    stripped = head.lstrip("\ufeff \r\n\t")
    if '"timelineObjects"' in head:
        return "semantic"
    if '"semanticSegments"' in head or '"rawSignals"' in head:
        return "timeline"
    if stripped.startswith("[") and '"startTime"' in head and ('"visit"' in head or '"activity"' in head):
        return "timeline-ios"
    if '"locations"' in head and ("latitudeE7" in head or stripped.startswith('{\n  "locations": [')):
        return "records"
    return None


def _time(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, int | float) or (isinstance(value, str) and value.isdigit()):
        try:
            return datetime.fromtimestamp(int(value) / 1000, tz=UTC)  # timestampMs
        except (ValueError, OverflowError, OSError):
            return None
    try:
        when = date_parser.isoparse(str(value))
    except (ValueError, OverflowError):
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def _e7(location: dict[str, Any]) -> tuple[float, float] | None:
    try:
        latitude, longitude = int(location["latitudeE7"]) / 1e7, int(location["longitudeE7"]) / 1e7
    except (KeyError, TypeError, ValueError):
        return None
    if latitude > 90:  # Google's exports overflowed the signed 32-bit field for the southern and western halves
        latitude -= 2**32 / 1e7
    if longitude > 180:
        longitude -= 2**32 / 1e7
    return (latitude, longitude) if abs(latitude) <= 90 and abs(longitude) <= 180 else None


def _geo(text: Any) -> tuple[float, float] | None:
    match = _GEO.search(str(text or ""))
    if not match:
        return None
    latitude, longitude = float(match.group(1)), float(match.group(2))
    return (latitude, longitude) if abs(latitude) <= 90 and abs(longitude) <= 180 else None


def _clock(when: datetime) -> str:
    return f"{when:%H:%M}"


def _day(when: datetime) -> str:
    return f"{when:%A} {when.day} {when:%B %Y}"


class LocationHistoryConnector(Connector):
    """A Google location history file: Semantic Location History, the Timeline export, or ``Records.json``."""

    name: ClassVar[str] = "location-history"
    kinds: ClassVar[tuple[str, ...]] = ("place_visit",)

    @classmethod
    def sniff(cls, path: Path) -> int:
        if not path.is_file() or not path.name.lower().endswith(".json"):
            return NO
        return SURE if _format(_head(path)) else NO

    def iter_records(self, cursor: Cursor | None = None) -> Iterator[Record | ItemProblem]:
        fmt = _format(_head(self.path))
        if fmt == "records":
            yield from self._records_days()
            return
        try:
            data = json.loads(self.path.read_bytes())
        except (OSError, ValueError) as exc:
            raise IngestError(f"cannot read {self.path}: {exc}") from exc
        if fmt == "semantic":
            objects = data.get("timelineObjects") if isinstance(data, dict) else None
            for number, item in enumerate(objects or [], start=1):
                if isinstance(item, dict) and isinstance(item.get("placeVisit"), dict):
                    yield self._semantic_visit(item["placeVisit"], number)
        elif fmt == "timeline":
            segments = data.get("semanticSegments") if isinstance(data, dict) else None
            for number, segment in enumerate(segments or [], start=1):
                if isinstance(segment, dict) and isinstance(segment.get("visit"), dict):
                    item = self._timeline_visit(segment, number)
                    if item is not None:
                        yield item
        elif fmt == "timeline-ios":
            for number, segment in enumerate(data if isinstance(data, list) else [], start=1):
                if isinstance(segment, dict) and isinstance(segment.get("visit"), dict):
                    item = self._timeline_visit(segment, number)
                    if item is not None:
                        yield item
        else:
            raise IngestError(f"{self.path} is not a Google location history export")

    # -- one visit ------------------------------------------------------------------------------------------
    def _semantic_visit(self, visit: dict[str, Any], number: int) -> Record | ItemProblem:
        location: dict[str, Any] = visit["location"] if isinstance(visit.get("location"), dict) else {}
        duration: dict[str, Any] = visit["duration"] if isinstance(visit.get("duration"), dict) else {}
        position = _e7(location)
        start, end = _time(duration.get("startTimestamp")), _time(duration.get("endTimestamp"))
        if start is None:
            start = _time(duration.get("startTimestampMs"))
            end = end or _time(duration.get("endTimestampMs"))
        if start is None or position is None:
            return self.problem(f"timeline object {number}", "a place visit without a readable time or position")
        return self._visit(
            start,
            end,
            position,
            name=str(location.get("name") or "").strip(),
            address=str(location.get("address") or "").strip(),
            place_id=str(location.get("placeId") or "") or None,
        )

    def _timeline_visit(self, segment: dict[str, Any], number: int) -> Record | ItemProblem | None:
        visit = segment["visit"]
        if str(visit.get("hierarchyLevel", "0")) not in ("0", ""):
            return None
        candidate: dict[str, Any] = visit["topCandidate"] if isinstance(visit.get("topCandidate"), dict) else {}
        location = candidate.get("placeLocation")
        position = _geo(location.get("latLng") if isinstance(location, dict) else location)
        start, end = _time(segment.get("startTime")), _time(segment.get("endTime"))
        if start is None or position is None:
            return self.problem(f"segment {number}", "a visit without a readable time or position")
        semantic = str(candidate.get("semanticType") or "")
        label = semantic.replace("_", " ").lower() if semantic and semantic.upper() not in ("UNKNOWN", "") else ""
        place_id = candidate.get("placeId") or candidate.get("placeID")
        return self._visit(start, end, position, name=label, address="", place_id=str(place_id or "") or None)

    def _visit(
        self,
        start: datetime,
        end: datetime | None,
        position: tuple[float, float],
        *,
        name: str,
        address: str,
        place_id: str | None,
    ) -> Record:
        latitude, longitude = position
        place = nearest_place(latitude, longitude)
        zone = zone_at(latitude, longitude)
        start_local = start.astimezone(zone) if zone else start
        end_local = end.astimezone(zone) if (end and zone) else end
        where = ", ".join(p for p in (name, address) if p)
        town = place.describe() if place else ""
        text = "Visit"
        if where:
            text += f" to {where}"
        if town and not (place and place.near and place.name in where and place.country in where):
            text += (" in " if place and place.near else " near ") + town
        text += f" on {_day(start_local)} from {_clock(start_local)}"
        if end_local is not None:
            text += (
                f" to {_clock(end_local)}"
                if end_local.date() == start_local.date()
                else f" to {_day(end_local)} {_clock(end_local)}"
            )
        text += f" (GPS {latitude:.5f}, {longitude:.5f})."
        start_utc = start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return Record(
            source=self.source,
            kind="place_visit",
            native_id=start_utc,
            ref=f"place:{start_utc}",
            text=text,
            title=f"Visit to {name or (place.name if place and place.near else town) or 'a place'}, {start_local.day} "
            f"{start_local:%B %Y}",
            timestamp=start_local,
            meta=self._meta(position, place, name=name, address=address, place_id=place_id, end=end_local),
        )

    @staticmethod
    def _meta(
        position: tuple[float, float],
        place: Place | None,
        *,
        name: str = "",
        address: str = "",
        place_id: str | None = None,
        end: datetime | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        meta: dict[str, Any] = {
            "gps": {"latitude": round(position[0], 6), "longitude": round(position[1], 6)},
            **({"name": name} if name else {}),
            **({"address": address} if address else {}),
            **({"place_id": place_id} if place_id else {}),
            **({"end": end.isoformat()} if end else {}),
            **extra,
        }
        if place is not None:
            meta["place"] = {
                "name": place.name if place.near else "",
                "country": place.country,
                "country_code": place.country_code,
                "timezone": place.timezone,
            }
        return meta

    # -- Records.json: streamed, one visit per day and town -------------------------------------------------------
    def _records_days(self) -> Iterator[Record | ItemProblem]:
        days: dict[tuple[str, str], dict[str, Any]] = {}
        skipped = 0
        cut: str | None = None
        try:
            for location in _stream_locations(self.path):
                skipped += 0 if _count_fix(location, days) else 1
        except IngestError as exc:
            if not days:
                raise
            cut = str(exc)
        if cut:
            yield self.problem("", cut)
        if skipped:
            yield self.problem("", f"{skipped:,} location fixes without a readable time or position were skipped")
        for (day_iso, town), info in sorted(days.items(), key=lambda kv: kv[1]["first"]):
            place, first, last = info["place"], info["first"], info["last"]
            latitude, longitude = info["position"]
            text = (
                f"Location history: {'in' if place.near else 'near'} {place.describe()} on {_day(first)} from "
                f"{_clock(first)} to {_clock(last)} ({info['count']:,} fixes; GPS {latitude:.5f}, {longitude:.5f})."
            )
            yield Record(
                source=self.source,
                kind="place_visit",
                native_id=f"day/{day_iso}/{town}",
                ref=f"place:day/{day_iso}/{town}",
                text=text,
                title=f"In {town}, {first.day} {first:%B %Y}",
                timestamp=first,
                meta=self._meta(info["position"], place, end=last, fixes=info["count"]),
            )


def _count_fix(location: dict[str, Any], days: dict[tuple[str, str], dict[str, Any]]) -> bool:
    """Add one raw fix to its day and town; False when it has no readable time or position."""
    position = _e7(location)
    when = _time(location.get("timestamp") or location.get("timestampMs"))
    if position is None or when is None:
        return False
    place = nearest_place(*position)
    if place is None:  # at sea, far from any town
        return True
    zone = zone_at(*position)
    local = when.astimezone(zone) if zone else when
    key = (local.date().isoformat(), place.name if place.near else place.country)
    day = days.get(key)
    if day is None:
        days[key] = {"first": local, "last": local, "count": 1, "place": place, "position": position}
    else:
        day["first"], day["last"] = min(day["first"], local), max(day["last"], local)
        day["count"] += 1
    return True


def _stream_locations(path: Path) -> Iterator[dict[str, Any]]:
    """The objects of ``Records.json``'s ``locations`` array, decoded one at a time from a bounded buffer."""
    decoder = json.JSONDecoder()
    try:
        handle = path.open("r", encoding="utf-8-sig", errors="replace")
    except OSError as exc:
        raise IngestError(f"cannot read {path}: {exc}") from exc
    with handle:
        buffer = ""
        while '"locations"' not in buffer:
            chunk = handle.read(_READ_CHUNK)
            if not chunk:
                raise IngestError(f"{path} has no 'locations' list")
            buffer += chunk
        start = buffer.index("[", buffer.index('"locations"'))
        buffer = buffer[start + 1 :]
        done = False
        while not done:
            position = 0
            while True:
                while position < len(buffer) and buffer[position] in " \r\n\t,":
                    position += 1
                if position < len(buffer) and buffer[position] == "]":
                    done = True
                    break
                try:
                    item, position = decoder.raw_decode(buffer, position)
                except ValueError:
                    break  # the object runs past the buffer: read more
                if isinstance(item, dict):
                    yield item
            buffer = buffer[position:]
            if done:
                break
            chunk = handle.read(_READ_CHUNK)
            if not chunk:
                if buffer.strip():
                    raise IngestError(f"{path} is cut short inside its locations (the days before were read)")
                break
            buffer += chunk


@hookimpl
def register_connectors() -> list[type[Connector]]:
    return [LocationHistoryConnector]
