"""The time a question points at: "on 9 November 2022", "the week before 16 November 2023", "last month".

Search uses these windows to prefer what was written then (see :mod:`knowme.retrieve.search`): a question that
names a day is usually about what was said or done that day, and its other words ("dish", "make") rarely pick the
right message among hundreds. Hand-written because it is small, ours and on the search path (a general date-finding
library costs tens of milliseconds a question):

- absolute days: ``9 November 2022``, ``9th of November, 2022``, ``November 9, 2022``, ``2022-11-09``;
- around a day: ``the week before D``, ``the weekend before D``, ``the month before D``, ``the week after D``;
- ranges: ``between August 11 and August 15 2023`` (or ``... and 15, 2023``), ``from D to D``;
- months: ``in June 2023``, ``during June 2023``, ``in early / mid / late June 2023``, ``in the beginning (middle,
  end) of June 2023`` (days 1-10, 10-20, 20-end);
- relative to the reference day (``as_of``, else today): ``today``, ``yesterday``, ``this/last week``,
  ``this/last month``, ``last weekend``, ``N days/weeks ago``, ``in March`` (the latest March that has begun),
  ``on March 3`` / ``3rd of March`` (the latest 3 March on or before the reference day),
  ``on Monday`` / ``last Monday`` (the latest Monday before the reference day).

Windows are half-open ``[start, end)`` in calendar days; a question with none gets an empty tuple. Years alone
("in 2023") are not windows: they cover too much to rank by.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from knowme.text.dates import CAPITAL_MONTHS, MONTHS, WEEKDAYS

_MONTH_NAMES = CAPITAL_MONTHS.lower().split("|")
_MONTH = rf"(?:{MONTHS})"
_ORD = r"(?:st|nd|rd|th)?"
_DMY = rf"(?P<d>\d{{1,2}}){_ORD}\s+(?:of\s+)?(?P<m>{_MONTH})\.?,?\s+(?P<y>\d{{4}})"
_MDY = rf"(?P<m2>{_MONTH})\.?\s+(?P<d2>\d{{1,2}}){_ORD},?\s+(?P<y2>\d{{4}})"
_ISO = r"(?P<iy>\d{4})-(?P<im>\d{1,2})-(?P<id>\d{1,2})"
_DATE = re.compile(rf"\b(?:{_DMY}|{_MDY}|{_ISO})\b")
_BETWEEN = re.compile(
    rf"\b(?:between|from)\s+(?P<m1>{_MONTH})\s+(?P<d1>\d{{1,2}}){_ORD}\s+(?:and|to|until)\s+"
    rf"(?:(?P<m3>{_MONTH})\s+)?(?P<d3>\d{{1,2}}){_ORD},?\s+(?P<y>\d{{4}})\b"
)
_BEFORE = re.compile(r"\b(?:the\s+)?(week|weekend|month)\s+(before|prior\s+to|after)\s*$")
_MONTH_YEAR = re.compile(
    r"\b(?:in|during)\s+(?:(?:the\s+)?(?P<part>beginning|start|early|middle|mid|end|late)(?:\s+of\s+|-|\s+))?"
    rf"(?P<m>{_MONTH})\.?,?\s+(?P<y>\d{{4}})\b"
)
_PARTS = {"beginning": (1, 11), "start": (1, 11), "early": (1, 11), "middle": (10, 21), "mid": (10, 21),
          "end": (20, 32), "late": (20, 32)}  # fmt: skip
_MONTH_ALONE = re.compile(rf"\b(?:in|during)\s+(?P<m>{_MONTH})\b(?!\.?,?\s+\d)")
_DAY_MONTH = re.compile(
    rf"\b(?:(?P<d>\d{{1,2}}){_ORD}\s+(?:of\s+)?(?P<m>{_MONTH})|(?P<m2>{_MONTH})\.?\s+(?P<d2>\d{{1,2}}){_ORD})\b"
    r"(?!\s*,?\s*\d)"
)
_AGO = re.compile(r"\b(?P<n>\d+|a|an|one|two|three|four|five|six)\s+(?P<unit>days?|weeks?)\s+ago\b")
_WEEKDAY = re.compile(rf"\b(?:on|last)\s+(?P<w>{'|'.join(WEEKDAYS)})\b")
_NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6}


@dataclass(frozen=True)
class Window:
    """Calendar days ``[start, end)``."""

    start: date
    end: date

    @classmethod
    def day(cls, day: date) -> Window:
        return cls(day, day + timedelta(days=1))


def _month(name: str) -> int:
    return next(i for i, full in enumerate(_MONTH_NAMES, 1) if full.startswith(name.lower()[:3]))


def _day(year: str, month: str | int, day: str) -> date | None:
    try:
        return date(int(year), month if isinstance(month, int) else _month(month), int(day))
    except ValueError:  # 31 February
        return None


def _month_window(year: int, month: int) -> Window:
    return Window(date(year, month, 1), date(year + (month == 12), month % 12 + 1, 1))


def _absolute(text: str) -> list[Window]:
    found: list[Window] = []
    for m in _BETWEEN.finditer(text):
        first = _day(m["y"], m["m1"], m["d1"])
        last = _day(m["y"], m["m3"] or m["m1"], m["d3"])
        if first and last and first <= last:
            found.append(Window(first, last + timedelta(days=1)))
    if found:
        return found
    for m in _DATE.finditer(text):
        if m["d"]:
            day = _day(m["y"], m["m"], m["d"])
        elif m["d2"]:
            day = _day(m["y2"], m["m2"], m["d2"])
        else:
            day = _day(m["iy"], int(m["im"]), m["id"]) if 1 <= int(m["im"]) <= 12 else None
        if day is None:
            continue
        around = _BEFORE.search(text[max(0, m.start() - 30) : m.start()])
        if around is None:
            found.append(Window.day(day))
            continue
        span = {"week": 7, "weekend": 4, "month": 31}[around.group(1)]
        if around.group(2) == "after":
            found.append(Window(day, day + timedelta(days=span + 1)))
        else:
            found.append(Window(day - timedelta(days=span), day + timedelta(days=1)))
    if found:
        return found
    for m in _MONTH_YEAR.finditer(text):
        month = _month_window(int(m["y"]), _month(m["m"]))
        if m["part"]:  # "the beginning of November 2022": the first ten days
            lo, hi = _PARTS[m["part"]]
            month = Window(month.start.replace(day=lo), min(month.end, month.start + timedelta(days=hi - 1)))
        found.append(month)
    return found


def _relative(text: str, today: date) -> list[Window]:
    found: list[Window] = []
    week_start = today - timedelta(days=today.weekday())
    if re.search(r"\btoday\b", text):
        found.append(Window.day(today))
    if re.search(r"\byesterday\b", text):
        found.append(Window(today - timedelta(days=1), today))
    if re.search(r"\bthis\s+week\b", text):
        found.append(Window(week_start, today + timedelta(days=1)))
    if re.search(r"\blast\s+week\b", text):
        found.append(Window(week_start - timedelta(days=7), week_start))
    if re.search(r"\blast\s+weekend\b", text):
        saturday = week_start - timedelta(days=2)
        found.append(Window(saturday, saturday + timedelta(days=2)))
    if re.search(r"\bthis\s+month\b", text):
        found.append(Window(today.replace(day=1), today + timedelta(days=1)))
    if re.search(r"\blast\s+month\b", text):
        previous = today.replace(day=1) - timedelta(days=1)
        found.append(_month_window(previous.year, previous.month))
    for m in _AGO.finditer(text):
        n = _NUMBERS.get(m["n"]) or int(m["n"])
        if m["unit"].startswith("day"):
            day = today - timedelta(days=n)
            found.append(Window.day(day))
        else:
            day = today - timedelta(weeks=n)
            found.append(Window(day - timedelta(days=3), day + timedelta(days=4)))
    for m in _MONTH_ALONE.finditer(text):
        month = _month(m["m"])
        year = today.year if month <= today.month else today.year - 1
        found.append(_month_window(year, month))
    for m in _DAY_MONTH.finditer(text):  # "on March 3": the latest March 3 on or before the reference day
        for year in (today.year, today.year - 1):
            named = _day(str(year), m["m"] or m["m2"], m["d"] or m["d2"])
            if named is not None and named <= today:
                found.append(Window.day(named))
                break
    for m in _WEEKDAY.finditer(text):
        back = (today.weekday() - WEEKDAYS.index(m["w"])) % 7 or 7
        day = today - timedelta(days=back)
        found.append(Window.day(day))
    return found


def time_windows(text: str, today: date) -> tuple[Window, ...]:
    """The windows ``text`` names: absolute dates first; relative expressions (against ``today``) only without."""
    lowered = text.lower()
    return tuple(_absolute(lowered) or _relative(lowered, today))
