"""The user's energy pattern over the day, learned from their own history, for slot suggestions.

Two kinds of evidence:

- what they wrote in their notes (journals, daily notes): sentences that pair an energy word with a time of day,
  such as "I'm sharpest in the mornings", "after lunch I crash", "evenings are when I'm most creative", "great deep
  work session from 8 to 11". High-energy words (focused, sharp, productive, energised, in the zone, best work,
  deep work, flow, creative) count up; low-energy ones (tired, drained, sluggish, slump, crash, foggy, sleepy,
  exhausted, low energy, can't focus) count down; "a morning person" counts up, "not a morning person" down;
  questions are ignored.
- when they schedule deep work: calendar events titled "focus", "deep work", "writing", "heads down", "maker
  time", "no meetings" count up for the hours they cover.

Times of day map to hours (early 6-8, morning 8-12, lunch 12-14, afternoon 13-17, evening 17-21, night 21-24;
"from 8 to 11" or "at 3pm" exactly). :class:`EnergyProfile` keeps a score per hour in [-1, 1] and the evidence
(refs and the sentence or title) so every use can be explained and checked. With no evidence every hour is 0 and
suggestions are as if there were no pattern.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo

from knowme.store.base import Store

HIGH = re.compile(
    r"\b(?:focus(?:ed|sed)?|sharp(?:est)?|productive|energi[sz]ed|energetic|fresh(?:est)?|alert|in the zone|"
    r"best work|deep work|flow|creative|clear[- ]headed|on fire|most done|peak)\b",
    re.IGNORECASE,
)
LOW = re.compile(
    r"\b(?:tired|drained|sluggish|slump|crash(?:es|ed)?|foggy|sleepy|exhausted|low energy|wiped|zombie|"
    r"can(?:no|')t (?:focus|concentrate)|unfocused|lethargic|dead)\b",
    re.IGNORECASE,
)
#: "a morning person" / "a night owl" says when energy is high; "not a morning person" says it is low then.
PERSON = re.compile(r"\b(?P<not>not\s+(?:really\s+)?)?an?\s+(?:morning|evening|night)\s+(?:person|owl|lark)\b", re.I)
PERIODS: tuple[tuple[re.Pattern[str], range], ...] = (
    (re.compile(r"\bearly\b(?!\s+(?:afternoon|evening))|\bbefore (?:breakfast|work)\b|\bat dawn\b", re.I), range(6, 8)),
    (re.compile(r"\bmornings?\b|\bbefore noon\b|\bbefore lunch\b|\bam\b(?!\w)", re.I), range(8, 12)),
    (re.compile(r"\b(?:after|post)[- ]lunch\b|\baround lunch\b|\bmidday\b|\bnoon\b", re.I), range(12, 14)),
    (re.compile(r"\bafternoons?\b", re.I), range(13, 17)),
    (re.compile(r"\bevenings?\b|\bafter work\b|\bafter dinner\b", re.I), range(17, 21)),
    (re.compile(r"\b(?:at )?night\b|\blate\b(?!\s+morning)", re.I), range(21, 24)),
)
_SPAN = re.compile(r"\bfrom\s+(\d{1,2})(?::\d{2})?\s*(am|pm)?\s*(?:to|until|till|-)\s*(\d{1,2})(?::\d{2})?\s*(am|pm)?",
                   re.IGNORECASE)  # fmt: skip
_AT = re.compile(r"\bat\s+(\d{1,2})(?::\d{2})?\s*(am|pm)\b", re.IGNORECASE)
FOCUS_EVENT = re.compile(
    r"\b(?:focus|deep work|writing|heads?[- ]down|maker time|no meetings|do not disturb|thinking time)\b", re.I
)
_SENTENCE = re.compile(r"(?<=[.!?\n])\s+")


def _hour(value: str, suffix: str | None) -> int:
    hour = int(value) % 24
    if suffix and suffix.lower() == "pm" and hour < 12:
        hour += 12
    if suffix and suffix.lower() == "am" and hour == 12:
        hour = 0
    return hour


def hours_named(sentence: str) -> set[int]:
    """The hours of the day a sentence speaks of (empty when it names no time of day)."""
    hours: set[int] = set()
    for m in _SPAN.finditer(sentence):
        first, last = _hour(m.group(1), m.group(2) or m.group(4)), _hour(m.group(3), m.group(4))
        if first < last:
            hours.update(range(first, last))
    for m in _AT.finditer(sentence):
        hours.add(_hour(m.group(1), m.group(2)))
    if not hours:
        for pattern, span in PERIODS:
            if pattern.search(sentence):
                hours.update(span)
    return hours


@dataclass(frozen=True)
class Evidence:
    ref: str
    text: str
    hours: tuple[int, ...]
    polarity: int  # +1 high energy, -1 low


@dataclass
class EnergyProfile:
    by_hour: dict[int, float] = field(default_factory=dict)
    evidence: list[Evidence] = field(default_factory=list)

    def score(self, start: datetime, end: datetime) -> float:
        """The mean score of the hours a slot covers (0 without evidence)."""
        hours = []
        at = start
        while at < end:
            hours.append(self.by_hour.get(at.hour, 0.0))
            at += timedelta(minutes=30)
        return sum(hours) / len(hours) if hours else 0.0

    def why(self, start: datetime, end: datetime) -> Evidence | None:
        """The strongest piece of evidence about the hours of a slot."""
        covered = {start.hour, (end - timedelta(minutes=1)).hour}
        relevant = [e for e in self.evidence if covered & set(e.hours)]
        return max(relevant, key=lambda e: (e.ref.startswith("note:"), len(e.hours) <= 6), default=None)


def sentence_evidence(ref: str, text: str) -> list[Evidence]:
    found = []
    for sentence in _SENTENCE.split(text):
        sentence = " ".join(sentence.split())
        if not sentence or sentence.endswith("?") or len(sentence) > 400:
            continue
        person = PERSON.search(sentence)
        high, low = bool(HIGH.search(sentence)), bool(LOW.search(sentence))
        if person is not None:
            high, low = person.group("not") is None, person.group("not") is not None
        if high == low:
            continue
        hours = hours_named(sentence)
        if not hours:
            continue
        polarity = 1 if high else -1
        found.append(Evidence(ref, sentence[:200], tuple(sorted(hours)), polarity))
    return found


def learn_energy(store: Store, *, until: datetime | None = None, zone: tzinfo | None = None) -> EnergyProfile:
    """The user's energy pattern from their notes and their deep-work events (see the module docstring); hours are
    in ``zone`` (default: the machine's)."""
    evidence: list[Evidence] = []
    for record in store.iter_records(kind="note"):
        if until is not None and record.timestamp is not None and record.timestamp > until:
            continue
        evidence.extend(sentence_evidence(record.ref, f"{record.title}.\n{record.text}"))
    for record in store.recent_records(5000, kinds=("event",), until=until):
        if record.timestamp is None or record.deleted_at_source or record.meta.get("all_day"):
            continue
        if not FOCUS_EVENT.search(record.title):
            continue
        begin = record.timestamp.astimezone(zone)
        try:
            end = str(record.meta.get("end") or "")
            finish = datetime.fromisoformat(end).astimezone(zone) if "T" in end else begin + timedelta(hours=1)
        except ValueError:
            finish = begin + timedelta(hours=1)
        if finish.date() != begin.date() or finish <= begin:
            continue
        hours = tuple(range(begin.hour, max(begin.hour + 1, finish.hour + (1 if finish.minute else 0))))
        evidence.append(Evidence(record.ref, record.title, hours, 1))
    totals: dict[int, float] = defaultdict(float)
    for item in evidence:
        weight = 1.0 if item.ref.startswith("note:") else 0.5  # what they wrote counts more than one event
        for hour in item.hours:
            totals[hour] += item.polarity * weight
    peak = max((abs(v) for v in totals.values()), default=0.0)
    by_hour = {h: round(v / peak, 3) for h, v in totals.items()} if peak else {}
    return EnergyProfile(by_hour, evidence)
