"""Dates written in text, resolved against the date of the message they appear in (python-dateutil does the parsing).

Understood: ISO dates (``2025-07-12``), day and month names in either order with an optional year and ordinal
(``12 July``, ``July 12th, 2025``, ``12th of July``), ``the 12th`` (the next such day of a month), weekdays
(``Friday``, ``next Friday``, ``this Friday``: the next one after the message date), a month (``in July``: its
first day; ``mid-July``, ``late July``), ``today``, ``tomorrow``,
``tonight``, ``next week`` (its Monday), ``end of the week`` (Friday), ``end of the month``/``month end``, and
``in N days/weeks``. A date without a year takes the message's year; for a due date (``future=True``) a day that
would fall before the message moves to the next year. Numeric ``12/07`` is read day-first (as most of the world
writes it) and only with a year. Anything else gives ``None``: a missing date is better than an invented one.
"""

from __future__ import annotations

import re
from calendar import monthrange
from datetime import date, datetime, timedelta

from dateutil import parser as date_parser
from dateutil.relativedelta import relativedelta

MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december|"
    "jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
)
CAPITAL_MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_ORD = r"(?:st|nd|rd|th)?"
_DAY_NAME = r"(?:(?:mon|tues|wednes|thurs|fri|satur|sun)day,?\s+(?:the\s+)?)?"
DATE_PATTERN = (
    r"(?:\d{4}-\d{2}-\d{2}"
    rf"|{_DAY_NAME}\d{{1,2}}{_ORD}(?:\s+of)?\s+(?:{MONTHS})\.?(?:,?\s+\d{{4}})?"
    rf"|{_DAY_NAME}(?:{MONTHS})\.?\s+\d{{1,2}}{_ORD}(?:,?\s+\d{{4}})?"
    r"|\d{1,2}/\d{1,2}/\d{4}"
    rf"|the\s+\d{{1,2}}{_ORD}"
    r"|(?:next\s+|this\s+|on\s+)?(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
    r"|today|tomorrow|tonight|next\s+week|end\s+of\s+(?:the\s+)?(?:week|month|day)|month[\s-]end|eod|eow"
    r"|in\s+(?:\d+|a|one|two|three)\s+(?:days?|weeks?)"
    rf"|(?:early\s+|mid[\s-]|late\s+)?(?-i:{CAPITAL_MONTHS})(?:\s+\d{{4}})?)"
)
_DATE_RE = re.compile(DATE_PATTERN, re.IGNORECASE)
_WORD_NUMBERS = {"a": 1, "one": 1, "two": 2, "three": 3}


def find_date(text: str, ref: date, *, future: bool = False) -> tuple[date | None, str]:
    """The first date phrase in ``text``, resolved, and the phrase itself (``(None, "")`` when there is none)."""
    for match in _DATE_RE.finditer(text):
        resolved = resolve(match.group(0), ref, future=future)
        if resolved is not None:
            return resolved, match.group(0)
    return None, ""


def resolve(phrase: str, ref: date, *, future: bool = False) -> date | None:
    p = " ".join(phrase.lower().replace(",", " ").split())
    p = re.sub(r"^on\s+", "", p)
    p = re.sub(r"^(?:mon|tues|wednes|thurs|fri|satur|sun)day\s+(?:the\s+)?(?=\d|[a-z]{3,}\s+\d)", "", p)
    if p in ("today", "tonight", "eod", "end of day", "end of the day"):
        return ref
    if p == "tomorrow":
        return ref + timedelta(days=1)
    if p == "next week":
        return ref + timedelta(days=7 - ref.weekday())
    if p in ("end of the week", "end of week", "eow"):
        return ref + timedelta(days=(4 - ref.weekday()) % 7)
    if p in ("end of the month", "end of month", "month end", "month-end"):
        return ref.replace(day=monthrange(ref.year, ref.month)[1])
    match = re.fullmatch(r"in (\d+|a|one|two|three) (day|week)s?", p)
    if match:
        n = int(match.group(1)) if match.group(1).isdigit() else _WORD_NUMBERS[match.group(1)]
        return ref + timedelta(days=n * (7 if match.group(2) == "week" else 1))
    match = re.fullmatch(r"(next |this )?(monday|tuesday|wednesday|thursday|friday|saturday|sunday)", p)
    if match:
        ahead = (WEEKDAYS.index(match.group(2)) - ref.weekday()) % 7 or 7
        return ref + timedelta(days=ahead)
    match = re.fullmatch(r"the (\d{1,2})(?:st|nd|rd|th)?", p)
    if match:
        day = int(match.group(1))
        candidate = ref
        for _ in range(3):
            if day <= monthrange(candidate.year, candidate.month)[1]:
                found = candidate.replace(day=day)
                if found >= ref:
                    return found
            candidate = (candidate.replace(day=1) + relativedelta(months=1)).replace(day=1)
        return None
    match = re.fullmatch(rf"(early |mid |mid-|late )?({MONTHS})( \d{{4}})?", p)
    if match:
        parsed_month = date_parser.parse(f"1 {match.group(2)} {match.group(3) or ref.year}").date()
        day = {"mid ": 15, "mid-": 15, "late ": 25}.get(match.group(1) or "", 1)
        found = parsed_month.replace(day=day)
        if future and not match.group(3) and found.replace(day=monthrange(found.year, found.month)[1]) < ref:
            found = found.replace(year=found.year + 1)
        return found
    if re.fullmatch(r"\d{1,2}/\d{1,2}/\d{4}", p):
        try:
            return date_parser.parse(p, dayfirst=True).date()
        except (ValueError, OverflowError):
            return None
    try:
        default = datetime(ref.year, 1, 1)
        parsed = date_parser.parse(re.sub(r"(\d)(st|nd|rd|th)\b", r"\1", p).replace(" of ", " "), default=default)
    except (ValueError, OverflowError):
        return None
    found = parsed.date()
    if future and not re.search(r"\d{4}", p) and found < ref:
        found = found.replace(year=found.year + 1)
    return found


def month_day(value: str) -> tuple[int, int] | None:
    """``(month, day)`` of ``1991-04-23`` or ``--04-23``."""
    match = re.fullmatch(r"(?:\d{4}|-)?-(\d{2})-(\d{2})", value.strip())
    return (int(match.group(1)), int(match.group(2))) if match else None
