"""Free slots that respect the calendar and the user's stated scheduling rules, each with the reason it was chosen.

:func:`parse_rules` reads the active preferences for constraints it understands: "never/no ... before 10:00"
(earliest start), "never/no ... after 17:00" (latest end), "no meetings on Fridays" / "keep Wednesday mornings
free" (a weekday, or a weekday's morning or afternoon), "not during lunch" (12:00-13:00). Rules it cannot read are
listed as not applied, never silently dropped. :func:`suggest_slots` walks a half-hour grid of working hours
(default 09:00-18:00, Monday to Friday) from ``start`` for ``within`` days, skips anything overlapping a timed
event or an all-day absence (vacation, out of office, holidays), applies the rules, and returns up to ``limit``
slots, at most two per day, earliest first, each explained: the neighbouring events and the rules it respects.
With the user's energy pattern (:mod:`knowme.persona.energy`), a meeting is placed within each day where their energy
is lowest, keeping their best hours free, and focus time where it is highest; the explanation says so and cites the
note or event it learned that from.

Edge cases: events are compared in the user's local zone (an event in another zone is converted); a slot never
starts in the past relative to ``start``; an all-day event that is not an absence (a birthday) does not block.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo

from knowme.errors import ConfigError
from knowme.models.persona import Preference
from knowme.persona.energy import EnergyProfile
from knowme.store.base import Store

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
ABSENCE = re.compile(r"\b(?:vacation|holiday|out of office|ooo|off work|day off|leave|trip|offsite|conference)\b",
                     re.IGNORECASE)  # fmt: skip
_TIME = r"(\d{1,2})(?::(\d{2}))?\s*(am|pm|h)?"
#: What a slot is for: a meeting avoids the user's high-energy hours, focus time seeks them.
PURPOSES = ("meeting", "focus")


@dataclass(frozen=True)
class Rules:
    earliest: time | None = None
    latest: time | None = None
    blocked: tuple[tuple[int, time, time], ...] = ()  # (weekday, from, to)
    applied: tuple[Preference, ...] = ()
    not_applied: tuple[Preference, ...] = ()


@dataclass(frozen=True)
class Busy:
    start: datetime
    end: datetime
    title: str
    ref: str


@dataclass(frozen=True)
class Slot:
    start: datetime
    end: datetime
    reason: str
    rules: tuple[str, ...] = ()  # ids of the rules it respects
    refs: tuple[str, ...] = ()  # the neighbouring events
    people: tuple[str, ...] = field(default_factory=tuple)


def parse_span(value: timedelta | str) -> timedelta:
    """``45m``, ``1h30m``, ``2h``, ``7d``, ``2w`` or a number of minutes."""
    if isinstance(value, timedelta):
        return value
    text = value.strip().lower().replace(" ", "")
    if text.isdigit():
        return timedelta(minutes=int(text))
    parts = re.findall(r"(\d+(?:\.\d+)?)(w|d|h|m|min)", text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise ConfigError(f"not a duration: {value!r} (use 45m, 1h30m, 7d, 2w)")
    units = {"w": "weeks", "d": "days", "h": "hours", "m": "minutes", "min": "minutes"}
    span = timedelta()
    for number, unit in parts:
        span += timedelta(**{units[unit]: float(number)})
    if span <= timedelta():
        raise ConfigError(f"a duration must be positive, not {value!r}")
    return span


def _clock(hour: str, minute: str | None, suffix: str | None) -> time:
    h = int(hour) % 24
    if suffix and suffix.lower() == "pm" and h < 12:
        h += 12
    return time(h, int(minute or 0))


def parse_rules(preferences: Iterable[Preference]) -> Rules:
    earliest: time | None = None
    latest: time | None = None
    blocked: list[tuple[int, time, time]] = []
    applied: list[Preference] = []
    skipped: list[Preference] = []
    for pref in preferences:
        text = pref.statement.lower()
        if not pref.active or pref.scope not in ("scheduling", "work", "general"):
            continue
        negative = pref.polarity in ("rule", "avoid") or re.search(r"\b(?:never|no|not|don't|avoid|keep)\b", text)
        used = False
        m = re.search(rf"\bbefore\s+{_TIME}", text)
        if m and negative:
            earliest, used = max(earliest or time(0), _clock(*m.groups())), True
        m = re.search(rf"\bafter\s+{_TIME}", text)
        if m and negative:
            latest, used = min(latest or time(23, 59), _clock(*m.groups())), True
        for n, day in enumerate(WEEKDAYS):
            if re.search(rf"\b{day}s?\b", text) and negative:
                part = re.search(rf"\b{day}s?\s+(morning|afternoon)s?", text)
                span = {"morning": (time(0), time(12)), "afternoon": (time(12), time(23, 59))}.get(
                    part.group(1) if part else "", (time(0), time(23, 59))
                )
                blocked.append((n, *span))
                used = True
        if negative and "lunch" in text:
            blocked.extend((n, time(12), time(13)) for n in range(7))
            used = True
        (applied if used else skipped).append(pref)
    return Rules(earliest, latest, tuple(blocked), tuple(applied), tuple(skipped))


def _when(value: object, zone: tzinfo) -> datetime | None:
    if not value:
        return None
    text = str(value)
    try:
        parsed = datetime.fromisoformat(text) if "T" in text else datetime.combine(date.fromisoformat(text), time())
    except ValueError:
        return None
    return parsed.replace(tzinfo=zone) if parsed.tzinfo is None else parsed.astimezone(zone)


def busy_times(store: Store, start: datetime, end: datetime) -> list[Busy]:
    zone = start.tzinfo
    assert zone is not None
    out: list[Busy] = []
    for record in store.recent_records(5000, kinds=("event",), until=end):
        if record.timestamp is None or record.deleted_at_source:  # deleted at the source: no longer busy
            continue
        meta = record.meta
        begin = _when(meta.get("start"), zone) or record.timestamp.astimezone(zone)
        finish = _when(meta.get("end"), zone) or begin + timedelta(hours=1)
        if finish <= start:
            if begin < start - timedelta(days=31):
                break  # newest first: nothing older can reach into the window
            continue
        if meta.get("all_day"):
            categories = " ".join(str(c) for c in meta.get("categories") or ())
            if not ABSENCE.search(f"{record.title} {categories} {record.text}"):
                continue
        out.append(Busy(begin, finish, record.title, record.ref))
    return sorted(out, key=lambda b: b.start)


def _allowed(begin: datetime, finish: datetime, rules: Rules) -> bool:
    if rules.earliest and begin.time() < rules.earliest:
        return False
    if rules.latest and (finish.time() > rules.latest or finish.date() > begin.date()):
        return False
    for weekday, lo, hi in rules.blocked:
        if begin.weekday() == weekday and begin.time() < hi and finish.time() > lo:
            return False
    return True


def suggest_slots(
    store: Store,
    preferences: Sequence[Preference],
    *,
    start: datetime,
    duration: timedelta,
    within: timedelta,
    limit: int = 5,
    day_start: time = time(9),
    day_end: time = time(18),
    people: Sequence[str] = (),
    purpose: str = "meeting",
    energy: EnergyProfile | None = None,
) -> tuple[list[Slot], Rules]:
    """Up to ``limit`` free slots, at most two a day, earliest day first. Within a day, with an energy pattern, a
    ``meeting`` goes where the user's energy is lowest (their best hours stay free for focused work) and ``focus``
    time where it is highest; without one, the earliest fit."""
    if purpose not in PURPOSES:
        raise ConfigError(f"--purpose is one of {', '.join(PURPOSES)}, not {purpose!r}")
    rules = parse_rules(preferences)
    end = start + within
    busy = busy_times(store, start, end)
    energy = energy if energy is not None and energy.by_hour else None
    slots: list[Slot] = []
    step = timedelta(minutes=30)
    gap = timedelta(hours=2)  # spread a day's choices
    day = start.date()
    while day <= end.date() and len(slots) < limit:
        if day.weekday() < 5:
            fits = []
            begin = datetime.combine(day, day_start, tzinfo=start.tzinfo)
            while begin + duration <= datetime.combine(day, day_end, tzinfo=start.tzinfo):
                finish = begin + duration
                free = not any(b.start < finish and b.end > begin for b in busy)
                if begin >= start and finish <= end and _allowed(begin, finish, rules) and free:
                    fits.append(begin)
                begin += step
            if energy is not None:  # the good side only, when the day has any: best hours stay free, or are taken
                sign = 1 if purpose == "meeting" else -1
                cost = {b: round(sign * energy.score(b, b + duration), 2) for b in fits}
                good = [b for b in fits if (cost[b] <= 0 if purpose == "meeting" else cost[b] < 0)]
                fits = sorted(good or fits, key=lambda b: (cost[b], b))
            chosen: list[datetime] = []
            for begin in fits:
                if len(chosen) == 2 or len(slots) + len(chosen) >= limit:
                    break
                if all(begin >= c + duration + gap or begin + duration + gap <= c for c in chosen):
                    chosen.append(begin)
            slots.extend(_explain(b, b + duration, busy, rules, people, energy, purpose) for b in sorted(chosen))
        day += timedelta(days=1)
    return slots, rules


def _explain(
    begin: datetime,
    finish: datetime,
    busy: Sequence[Busy],
    rules: Rules,
    people: Sequence[str],
    energy: EnergyProfile | None = None,
    purpose: str = "meeting",
) -> Slot:
    same_day = [b for b in busy if b.start.date() == begin.date() or b.end.date() == begin.date()]
    before = [b for b in same_day if b.end <= begin]
    after = [b for b in same_day if b.start >= finish]
    parts = []
    if before:
        parts.append(f"after {before[-1].title} (ends {before[-1].end:%H:%M})")
    if after:
        parts.append(f"before {after[0].title} ({after[0].start:%H:%M})")
    if not parts:
        parts.append("nothing else in the calendar that day")
    reason = "free " + " and ".join(parts)
    if rules.applied:
        reason += "; respects " + "; ".join(f"\u201c{p.statement}\u201d" for p in rules.applied)
    refs = tuple(b.ref for b in (before[-1:] + after[:1]))
    if energy is not None:
        note, ref = _energy_reason(begin, finish, energy, purpose)
        if note:
            reason += f"; {note}"
            refs += (ref,) if ref else ()
    return Slot(begin, finish, reason, tuple(p.id for p in rules.applied), refs, tuple(people))


def _energy_reason(begin: datetime, finish: datetime, energy: EnergyProfile, purpose: str) -> tuple[str, str | None]:
    score = energy.score(begin, finish)
    peak = sorted(h for h, v in energy.by_hour.items() if v >= 0.5)
    why = energy.why(begin, finish)
    quoted = f" (\u201c{why.text}\u201d)" if why is not None else ""
    if purpose == "focus":
        if score > 0:
            return f"you are usually at your best then{quoted}", why.ref if why else None
        return "no better-energy time was free", None
    if score > 0:
        return f"your high-energy hours are all taken that day; this is the least costly{quoted}", None
    if peak:
        contiguous = peak[-1] - peak[0] == len(peak) - 1
        span = f"{peak[0]:02d}:00\u2013{peak[-1] + 1:02d}:00" if contiguous else "your best hours"
        ref = next((e.ref for e in energy.evidence if e.polarity > 0 and set(e.hours) & set(peak)), None)
        return f"keeps {span}, when your energy is highest, free for focused work", ref
    return (f"a lower-energy time suits a meeting{quoted}", why.ref) if why and score < 0 else ("", None)


def violations(slots: Iterable[Slot], rules: Rules, busy: Sequence[Busy]) -> int:
    """How many slots break a rule or overlap a busy time (the benchmark's check; 0 is the target)."""
    bad = 0
    for slot in slots:
        if not _allowed(slot.start, slot.end, rules) or any(b.start < slot.end and b.end > slot.start for b in busy):
            bad += 1
    return bad
