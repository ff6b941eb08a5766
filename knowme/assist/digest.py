"""The digest: what needs the user's attention in the next few days, each item with the records behind it.

:func:`build_digest` reads the vault as it stood on ``as_of`` (nothing dated later is used) and returns, sorted by
date:

- ``birthday`` and ``anniversary``: the next occurrence of a birthday or anniversary fact (vCard BDAY/ANNIVERSARY,
  a yearly "X's birthday" event, a note) within ``days``; a birthday with a year says how old the person turns.
  One item per person (several sources of the same date are merged, their refs kept).
- ``my_commitment`` (the user promised, or was asked) and ``owed_to_me`` (someone promised the user, or was asked
  by them): commitments open on ``as_of`` (a later delivery does not count yet) whose due date falls within the
  window or is past but less than ``overdue_days`` ago. A commitment without a due date is never "due".
- ``awaiting_reply``: an email thread whose last message on ``as_of`` is to the user (To or Cc), from someone else
  (not a notification or mailing-list sender), at most ``reply_days`` old, and asks something (a question mark or
  a request such as "could you ... "in its new text, quotes ignored).
- ``prepare``: a one-off event (not a recurring series, not an all-day birthday or holiday) in the window whose
  text calls for preparation (bring, agenda, pre-read, slides, talk, deadline, fasting, a flight, ...).

Edge cases: 29 February birthdays fall on 28 February in other years; undated records are ignored; an unknown
person is named by the record's display name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from knowme.connectors.base import local_tz
from knowme.graph.views import entity_names
from knowme.models import Record
from knowme.models.graph import USER_ID
from knowme.store.base import Store

KINDS = ("birthday", "anniversary", "my_commitment", "owed_to_me", "awaiting_reply", "prepare")
MINE = {"made": "You promised {who}", "asked": "{who} asked you"}
THEIRS = {"received": "{who} promised you", "requested": "You asked {who}"}

_BULK = re.compile(
    r"(?:^|[.\-_+])(?:no-?reply|do-?not-?reply|notifications?|newsletter|news|info|mailer|updates|marketing|billing|"
    r"statements?|alerts?|bounces?|support|hello|team|digest)(?:$|[.\-_+@])",
    re.IGNORECASE,
)
_ASKS = re.compile(
    r"\?|\b(?:could you|can you|would you|will you|please (?:send|let me know|confirm|reply|check)|"
    r"I need (?:you|numbers|an answer|a reply)|RSVP)\b",
    re.IGNORECASE,
)
_PREP = re.compile(
    r"\b(?:bring|prepare|prep|agenda|pre-?reads?|slides|talk|presentation|deadline|submit|fasting|interview|"
    r"review|rehearse|print|passport|booking ref|flight|check-in|I own|we bring|moving truck|exam|offsite|carpool)\b",
    re.IGNORECASE,
)
_FIELD = re.compile(r"(?:When|Where|Organi[sz]er|Attendees|Status|Repeats|Due):")
_SKIP_EVENT_CATEGORIES = {"birthday", "holiday", "holidays"}


@dataclass(frozen=True)
class DigestItem:
    """One thing to attend to. ``date`` is the day it is about (ISO); ``refs`` are the records behind it."""

    kind: str
    title: str
    date: str
    people: tuple[str, ...] = ()
    refs: tuple[str, ...] = ()
    detail: str = ""
    overdue: bool = False


@dataclass(frozen=True)
class Digest:
    as_of: str
    days: int
    items: tuple[DigestItem, ...] = field(default_factory=tuple)

    def of_kind(self, *kinds: str) -> list[DigestItem]:
        return [i for i in self.items if i.kind in kinds]


def _next_occurrence(value: str, start: date) -> tuple[date, int | None] | None:
    """The next day on or after ``start`` matching ``--MM-DD`` or ``YYYY-MM-DD``, and the years since, if known."""
    m = re.fullmatch(r"(?:(\d{4})|-)-(\d{2})-(\d{2})", value.strip())
    if not m:
        return None
    year, month, day = (int(m.group(1)) if m.group(1) else None), int(m.group(2)), int(m.group(3))
    for candidate_year in (start.year, start.year + 1):
        try:
            when = date(candidate_year, month, day)
        except ValueError:  # 29 February outside a leap year
            when = date(candidate_year, month, 28)
        if when >= start:
            return when, (candidate_year - year if year and year < candidate_year else None)
    return None


def _dates(store: Store, as_of: date, end: date) -> list[DigestItem]:
    graph = store.graph()
    names = entity_names(store)
    best: dict[tuple[str, str], tuple[date, int | None, list[str], str]] = {}
    day = as_of.isoformat()
    for predicate in ("birthday", "anniversary"):
        for fact in graph.facts(predicate=predicate):
            if fact.invalidated_at or not fact.object_value or (fact.valid_to and fact.valid_to <= day):
                continue
            found = _next_occurrence(fact.object_value, as_of)
            if found is None or found[0] > end:
                continue
            refs = [s.ref for s in graph.sources("fact", fact.id)]  # a date of birth does not change: any source
            key = (fact.subject_id, predicate)
            when, years = found
            if key in best:
                _, old_years, old_refs, other = best[key]
                best[key] = (when, years or old_years, old_refs + refs, other)
            else:
                other = names.get(fact.object_id or "", "")
                best[key] = (when, years, refs, other)
    items = []
    for (subject, predicate), (when, years, refs, other) in best.items():
        who = names.get(subject, "?")
        people = tuple(p for p in (who, other) if p)
        if predicate == "birthday":
            title = "Your birthday" if subject == USER_ID else f"{who}'s birthday"
            detail = f"turns {years}" if years else ""
        else:
            with_whom = f" with {other}" if other else ""
            title = f"Anniversary with {who}" if subject != USER_ID else f"Your anniversary{with_whom}"
            detail = f"{years} years" if years else ""
        items.append(DigestItem(predicate, title, when.isoformat(), people, tuple(dict.fromkeys(refs)), detail=detail))
    return items


def _commitments(store: Store, as_of: date, end: date, overdue_days: int) -> list[DigestItem]:
    graph = store.graph()
    names = entity_names(store)
    day, oldest = as_of.isoformat(), (as_of - timedelta(days=overdue_days)).isoformat()
    items = []
    for c in graph.commitments():
        if not c.due or (c.made_at and c.made_at[:10] > day):
            continue
        if c.status == "done" and c.done_at and c.done_at[:10] <= day:
            continue
        if not (oldest <= c.due <= end.isoformat()):
            continue
        who = names.get(c.counterparty_id or "", "someone")
        template = MINE.get(c.direction) or THEIRS.get(c.direction)
        if template is None:
            continue
        kind = "my_commitment" if c.direction in MINE else "owed_to_me"
        refs = tuple(s.ref for s in graph.sources("commitment", c.id))
        title = f"{template.format(who=who)}: {c.what}"
        detail = "overdue" if c.due < day else ("due today" if c.due == day else "")
        items.append(DigestItem(kind, title, c.due, (who,), refs, detail=detail, overdue=c.due < day))
    return items


def _addresses(names: Iterable[str]) -> set[str]:
    out = set()
    for name in names:
        m = re.search(r"[\w.+\-]+@[\w.\-]+", str(name))
        if m:
            out.add(m.group(0).lower())
    return out


def _is_bulk(record: Record) -> bool:
    meta = record.meta
    sender = _addresses(meta.get("from") or [record.author or ""])
    if any(_BULK.search(a.split("@")[0]) for a in sender):
        return True
    labels = " ".join(str(x) for x in meta.get("labels") or ()).lower()
    return any(word in labels for word in ("promotions", "updates", "forums", "social", "spam"))


def _display(name: str | None) -> str:
    text = re.sub(r"\s*<[^>]*>", "", str(name or "")).strip().strip('"')
    return text or str(name or "someone")


def _awaiting(store: Store, as_of: date, reply_days: int, user_addresses: set[str]) -> list[DigestItem]:
    until = datetime.combine(as_of, datetime.max.time(), tzinfo=local_tz())
    lower = as_of - timedelta(days=reply_days)
    recent = store.recent_records(5000, kinds=("email",), until=until)
    threads: dict[str, Record] = {}
    for record in recent:  # newest first: the first one seen is the thread's last message
        if record.timestamp is None or record.deleted_at_source:
            continue
        if record.timestamp.date() < lower - timedelta(days=reply_days):
            break
        thread = str(record.meta.get("thread_id") or record.id)
        threads.setdefault(thread, record)
    items = []
    for record in threads.values():
        if record.timestamp is None or record.timestamp.date() < lower:
            continue
        meta = record.meta
        sender = _addresses(meta.get("from") or [record.author or ""])
        if sender & user_addresses or not sender:
            continue
        recipients = _addresses([*(meta.get("to") or ()), *(meta.get("cc") or ())])
        if not recipients & user_addresses or _is_bulk(record):
            continue
        if not _ASKS.search(record.text):
            continue
        if "\\Answered" in (meta.get("flags") or ()):  # answered from another mail client (IMAP flag)
            continue
        who = _display(record.author)
        ask = next((s for s in _sentences(record.text) if _ASKS.search(s)), "")
        items.append(
            DigestItem(
                "awaiting_reply",
                f"Reply to {who}: {record.title or '(no subject)'}",
                record.timestamp.date().isoformat(),
                (who,),
                (record.ref,),
                detail=ask[:200],
            )
        )
    return items


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+|\n+", text) if s.strip()]


def _prepare(store: Store, as_of: date, end: date) -> list[DigestItem]:
    start = datetime.combine(as_of, datetime.min.time(), tzinfo=local_tz())
    stop = datetime.combine(end, datetime.max.time(), tzinfo=local_tz())
    items = []
    for record in store.recent_records(5000, kinds=("event",), until=stop):
        if record.timestamp is None or record.deleted_at_source:  # a cancelled event needs no preparation
            continue
        if record.timestamp < start:
            break
        meta = record.meta
        categories = {str(c).lower() for c in meta.get("categories") or ()}
        if meta.get("rrule") or categories & _SKIP_EVENT_CATEGORIES or meta.get("component") == "VTODO":
            continue
        m = _PREP.search(f"{record.title}\n{record.text}")
        if not m:
            continue
        people = tuple(str(p) for p in record.participants[:5])
        line = next((s for s in _sentences(record.text)[1:] if _PREP.search(s) and not _FIELD.match(s)), "")
        items.append(
            DigestItem(
                "prepare",
                f"Prepare: {record.title}",
                record.timestamp.date().isoformat(),
                people,
                (record.ref,),
                detail=line[:200],
            )
        )
    return items


def build_digest(
    store: Store,
    as_of: date,
    days: int = 7,
    *,
    overdue_days: int = 30,
    reply_days: int = 14,
) -> Digest:
    """What needs attention from ``as_of`` to ``as_of + days`` (see the module docstring for each kind)."""
    end = as_of + timedelta(days=max(days, 0))
    user_addresses = {a.alias.lower() for a in store.graph().aliases(USER_ID) if a.kind == "email"}
    items = [
        *_dates(store, as_of, end),
        *_commitments(store, as_of, end, overdue_days),
        *_awaiting(store, as_of, reply_days, user_addresses),
        *_prepare(store, as_of, end),
    ]
    items.sort(key=lambda i: (i.date, KINDS.index(i.kind), i.title))
    return Digest(as_of=as_of.isoformat(), days=days, items=tuple(items))
