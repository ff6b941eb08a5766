"""Dates given to the API (``as_of``, ``since``, ``until``: a datetime, a date or an ISO string) and the local zone."""

from __future__ import annotations

from datetime import date, datetime, time, tzinfo

from dateutil import tz

from knowme.errors import ConfigError

DateLike = datetime | date | str


def local_tz() -> tzinfo:
    """The timezone assumed for times a source gives without one (floating ICS times, naive dates)."""
    return tz.tzlocal()


def parse_when(value: DateLike | None, *, end_of_day: bool = True) -> datetime | None:
    """A timezone-aware datetime from a datetime, a date or an ISO string; a bare date means its last second."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        text = value.strip()
        try:
            value = datetime.fromisoformat(text) if ("T" in text or " " in text) else date.fromisoformat(text)
        except ValueError as exc:
            raise ConfigError(f"not a date: {text!r} (use YYYY-MM-DD or an ISO 8601 date-time)") from exc
    if not isinstance(value, datetime):
        value = datetime.combine(value, time.max if end_of_day else time.min)
    if value.tzinfo is None:
        value = value.replace(tzinfo=local_tz())
    return value


def now() -> datetime:
    """The current time in the local zone."""
    return datetime.now(local_tz())
