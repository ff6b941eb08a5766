"""Apple Health ``export.xml``, streamed into one record per day instead of millions of samples.

Real exports are gigabytes, so the file is read with :func:`xml.etree.ElementTree.iterparse` and every element is
cleared as soon as it is counted: memory grows with the number of *days*, not samples. Per day (the sample's local
start date; sleep counts toward the day it ends, the morning one wakes up):

- steps (``HKQuantityTypeIdentifierStepCount``) and walking/running distance: summed per device, then the largest
  device total is kept (an iPhone and a Watch count the same steps; adding them would double them);
- resting heart rate (``HKQuantityTypeIdentifierRestingHeartRate``): the day's mean;
- sleep (``HKCategoryTypeIdentifierSleepAnalysis`` asleep values: core, deep, REM, unspecified): minutes asleep per
  device, largest kept; time only "in bed" is not sleep;
- workouts (``Workout``): activity, duration, distance and energy.

Each day becomes a ``document`` record ``health:YYYY-MM-DD`` whose text reads like "On Friday 19 January 2024:
8,432 steps; 7 h 12 min asleep; resting heart rate 58 bpm; workout: running 32 min, 5.2 km, 310 kcal", with the
numbers in ``meta``. Samples with unreadable dates or values are counted in ``meta["skipped"]`` rather than
reported one by one. A file that is not well-formed XML stops with :class:`~knowme.errors.IngestError`, keeping
the days read before the damage.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, ClassVar

from knowme.connectors.base import NO, SURE, Connector, Cursor, aware
from knowme.errors import IngestError
from knowme.models import ItemProblem, Record
from knowme.plugins import hookimpl

STEPS = "HKQuantityTypeIdentifierStepCount"
DISTANCE = "HKQuantityTypeIdentifierDistanceWalkingRunning"
RESTING_HR = "HKQuantityTypeIdentifierRestingHeartRate"
SLEEP = "HKCategoryTypeIdentifierSleepAnalysis"
ASLEEP = re.compile(r"HKCategoryValueSleepAnalysisAsleep")


@dataclass
class _Day:
    steps: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    km: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    sleep_min: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    resting: list[float] = field(default_factory=list)
    workouts: list[dict[str, Any]] = field(default_factory=list)


def _parse_when(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d %H:%M:%S %z")
    except ValueError:
        return None


def _km(value: float, unit: str | None) -> float:
    return value * 1.609344 if unit == "mi" else value / 1000 if unit == "m" else value


class AppleHealthConnector(Connector):
    """Apple Health's ``export.xml`` (from the Health app's "Export All Health Data")."""

    name: ClassVar[str] = "apple-health"
    kinds: ClassVar[tuple[str, ...]] = ("document",)

    @classmethod
    def sniff(cls, path: Path) -> int:
        if path.is_dir() or not path.name.lower().endswith(".xml"):
            return NO
        try:
            with path.open("rb") as handle:
                head = handle.read(8192)
        except OSError:
            return NO
        return SURE if b"<HealthData" in head else NO

    def iter_records(self, cursor: Cursor | None = None) -> Iterator[Record | ItemProblem]:
        days: dict[date, _Day] = defaultdict(_Day)
        skipped = 0
        damaged: str | None = None
        try:
            root: ET.Element | None = None
            for event, elem in ET.iterparse(self.path, events=("start", "end")):
                if event == "start":
                    if root is None:
                        root = elem
                    continue
                if elem.tag == "Record":
                    skipped += not self._sample(elem.attrib, days)
                elif elem.tag == "Workout":
                    skipped += not self._workout(elem.attrib, days)
                if elem is not root and elem.tag in ("Record", "Workout", "ActivitySummary", "Correlation"):
                    elem.clear()
                    if root is not None:
                        root.clear()  # drop the cleared children the root still holds
        except (ET.ParseError, LookupError) as exc:  # LookupError: an XML declaration naming an unknown encoding
            damaged = f"the file is damaged ({exc}); {len(days)} day(s) before the damage are kept"
        except OSError as exc:
            raise IngestError(f"cannot read {self.path}: {exc.strerror or exc}") from exc
        for day in sorted(days):
            record = self._record(day, days[day], skipped)
            if record is not None:
                yield record
        if damaged:
            raise IngestError(f"{self.path}: {damaged}")

    @staticmethod
    def _sample(attrs: dict[str, str], days: dict[date, _Day]) -> bool:
        kind = attrs.get("type")
        if kind not in (STEPS, DISTANCE, RESTING_HR, SLEEP):
            return True
        start, end = _parse_when(attrs.get("startDate")), _parse_when(attrs.get("endDate"))
        if start is None or end is None:
            return False
        device = attrs.get("sourceName", "")
        if kind == SLEEP:
            if ASLEEP.match(attrs.get("value", "")):
                days[end.date()].sleep_min[device] += (end - start).total_seconds() / 60
            return True
        try:
            value = float(attrs.get("value", ""))
        except ValueError:
            return False
        day = days[start.date()]
        if kind == STEPS:
            day.steps[device] += value
        elif kind == DISTANCE:
            day.km[device] += _km(value, attrs.get("unit"))
        else:
            day.resting.append(value)
        return True

    @staticmethod
    def _workout(attrs: dict[str, str], days: dict[date, _Day]) -> bool:
        start = _parse_when(attrs.get("startDate"))
        if start is None:
            return False
        activity = attrs.get("workoutActivityType", "").removeprefix("HKWorkoutActivityType")
        activity = re.sub(r"(?<!^)(?=[A-Z])", " ", activity).lower() or "workout"

        def number(name: str) -> float | None:
            try:
                return float(attrs[name])
            except (KeyError, ValueError):
                return None

        duration = number("duration")
        if duration is not None and attrs.get("durationUnit") == "s":
            duration /= 60
        distance = number("totalDistance")
        days[start.date()].workouts.append(
            {
                "activity": activity,
                "start": start.isoformat(),
                "minutes": round(duration) if duration is not None else None,
                "km": round(_km(distance, attrs.get("totalDistanceUnit")), 2) if distance is not None else None,
                "kcal": round(number("totalEnergyBurned") or 0) or None,
            }
        )
        return True

    def _record(self, day: date, data: _Day, skipped: int) -> Record | None:
        steps = round(max(data.steps.values())) if data.steps else None
        km = round(max(data.km.values()), 2) if data.km else None
        sleep = round(max(data.sleep_min.values())) if data.sleep_min else None
        resting = round(sum(data.resting) / len(data.resting)) if data.resting else None
        parts = []
        if steps is not None:
            parts.append(f"{steps:,} steps" + (f" ({km} km)" if km else ""))
        if sleep:
            parts.append(f"{sleep // 60} h {sleep % 60} min asleep")
        if resting is not None:
            parts.append(f"resting heart rate {resting} bpm")
        for w in data.workouts:
            bits = [w["activity"]] + [
                f"{w[k]} {unit}" for k, unit in (("minutes", "min"), ("km", "km"), ("kcal", "kcal")) if w[k]
            ]
            parts.append("workout: " + " ".join(bits[:1]) + (" " + ", ".join(bits[1:]) if bits[1:] else ""))
        if not parts:
            return None
        label = f"{day.strftime('%A')} {day.day} {day.strftime('%B %Y')}"
        return Record(
            source=self.source,
            kind="document",
            native_id=day.isoformat(),
            ref=f"health:{day.isoformat()}",
            text=f"Health on {label}: " + "; ".join(parts) + ".",
            title=f"Health {day.isoformat()}",
            timestamp=aware(datetime.combine(day, time(12))),
            meta={
                "app": "apple-health",
                "date": day.isoformat(),
                "steps": steps,
                "km": km,
                "sleep_minutes": sleep,
                "resting_hr": resting,
                "workouts": data.workouts,
                "skipped": skipped,
            },
        )


@hookimpl
def register_connectors() -> list[type[Connector]]:
    return [AppleHealthConnector]
