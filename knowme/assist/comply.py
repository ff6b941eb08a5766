"""The compliance check: what in an answer breaks the user's applicable preferences, with the offending words.

:func:`check` reads three kinds of preference:

- **Things ruled out**: an avoidance or a "never/no/don't" rule about a thing ("Avoid red meat", "no alcohol",
  "never fly Ryanair", the graph's "Avoid coriander"), and a stated diet ("I'm vegetarian", "Diet: vegan"). The
  thing is the statement with its negation and verb taken off ("never fly Ryanair" -> "ryanair"); a category the
  lexicon (:mod:`knowme.persona.lexicon`) knows stands for its members (red meat -> beef, steak, pork, lamb,
  burger...; a diet for the categories it excludes), any other thing for itself (as a phrase of up to four words).
- **Scheduling rules** that :func:`knowme.assist.slots.parse_rules` reads ("never book meetings before 10:00", "no
  calls on Fridays", "keep Wednesday mornings free", "not during lunch"), checked against the times (09:30, 9am,
  10h30, noon, "at 3"), weekdays, dates (2025-03-14, "14 March", read with dateutil; a date without a year needs
  ``today``), "today"/"tomorrow" and parts of day the answer proposes. A range "10:00-11:00" is a start and an end;
  a time after "until"/"by"/"before" is an end.
- **Writing rules**: "never use emoji", "no exclamation marks".

A mention is not a violation when it is negated within its clause ("no steak", "instead of beef", "skip the wine or
beer", "meat-free", "not before 10:00"), when a word before it makes it something else ("veggie burger",
"non-alcoholic beer"), or when its sentence reports the past rather than proposes ("You had steak at Ana's [2]":
a fact from the user's data, not a suggestion). A time or day counts only in a sentence that speaks of meeting or
planning (meet, call, book, schedule, free, how about, could...): "Ana's birthday is on Friday" proposes nothing.

Edge cases: a statement whose thing is longer than four words, or is qualified by a time ("no coffee after 14:00")
that is not a scheduling rule, is not checked (:func:`checkable` says which are); a negated diet ("not vegetarian any
more") rules nothing out; matching folds case and accents and allows plurals. The check reads only the answer and
the preferences: text inside the answer cannot switch it off.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache

from dateutil import parser as dateparser

from knowme.assist.slots import WEEKDAYS, Rules, parse_rules
from knowme.models.persona import Preference, Violation
from knowme.persona.lexicon import ALIASES, CATEGORIES, DIETS, NOT_A_MEMBER

MAX_THING_WORDS = 4
NEGATION_WINDOW = 4  # words before a mention that may negate it, within its clause

_NEGATION_WORDS = (
    "no not never without avoid avoids avoiding avoided skip skipping skipped instead rather except nor don't "
    "doesn't won't isn't aren't can't cannot shouldn't wouldn't non none neither minus replace replacing "
    "swap swapping unlike against apart"
)
_NEGATIONS = frozenset(_NEGATION_WORDS.split())
_CLAUSE_BREAK = re.compile(r"[,;:()\[\]\n\u2014\u2013]|\bbut\b|\bhowever\b|\bwhile\b")
_PAST = re.compile(
    r"\b(?:had|ate|drank|ordered|flew|went|booked|met|cooked|bought|tried|took|said|mentioned|wrote|were|was|"
    r"enjoyed|loved|last (?:week|month|year|time|night)|ago|yesterday|used to)\b",
    re.IGNORECASE,
)
_PROPOSE = re.compile(
    r"\b(?:suggest\w*|recommend\w*|how about|what about|why not|try|could|should|let's|let us|consider|go for|"
    r"book|order|plan|would|will|shall|i'd|you'd|propose\w*|pick|choose|maybe|perhaps|option|next)\b",
    re.IGNORECASE,
)
_SCHEDULING = re.compile(
    r"\b(?:meet\w*|call\w*|book\w*|schedul\w*|slot\w*|appointment\w*|sync|catch[- ]up|free|available|works?|"
    r"suggest\w*|propos\w*|how about|what about|let's|could|would|should|plan\w*|invite|session|time|"
    r"dinner|lunch|breakfast|coffee|flight|fly|depart\w*|leave)\b",
    re.IGNORECASE,
)
#: A scheduling rule that names meetings or calls applies to sentences (or questions) about meetings or calls.
_MEETING = re.compile(r"\b(?:meet\w*|call\w*|appointment\w*|sync\w*|catch[- ]up|session|interview\w*|stand-?up|"
                      r"1:1|one-on-one|slot|schedul\w*|review|workshop|demo)\b", re.IGNORECASE)  # fmt: skip
_VERBS = (
    r"eat|eating|drink|drinking|fly|flying|use|using|suggest|suggesting|recommend|order|ordering|book|booking|buy|"
    r"buying|take|taking|have|having|go to|going to|visit|serve|serving|put|add|include|with|any|more|the|a|an"
)
_LEAD = re.compile(
    r"^(?:please\s+)?(?:i\s+|we\s+)?(?:(?:really\s+)?(?:avoid|never|no more|no|don't|do not|dont|won't|will not|not|"
    r"stop|cut out|without|hate|dislike|can't|cannot|can not)\s+)+"
)
_TRAIL = re.compile(r"\s+(?:any ?more|please|at all|again|ever|for me|thanks)$")
_CUT = re.compile(r"[:;(\u2014\u2013!?.,]|\s+(?:because|since|as|unless|except|when|if)\s+")
_TIME_QUALIFIER = re.compile(r"\b(?:before|after|until|on|at|during|in the)\b|\d")
_EMOJI = re.compile("[\U0001f300-\U0001faff\u2600-\u27bf\U0001f000-\U0001f2ff]")
_TIME = re.compile(
    r"(?<![\d:])(?:(?P<h1>\d{1,2})(?::|h)(?P<m1>\d{2})(?:\s*(?P<s1>[ap]\.?m\.?)(?![a-z]))?"
    r"|(?P<h2>\d{1,2})\s*(?P<s2>[ap]\.?m\.?)(?![a-z])"
    r"|\bat\s+(?P<h3>\d{1,2})(?![\d:%h]|\s*[ap]\.?m|\s*(?:min|km|people|person|days?|weeks?|euros?|%))"
    r"|\b(?P<noon>noon|midday))",
    re.IGNORECASE,
)
_RANGE_GAP = re.compile(r"^\s*(?:-|\u2013|\u2014|to|until|till|and)\s*$", re.IGNORECASE)
_END_CUE = re.compile(r"\b(?:until|till|by|before|ends?|finish(?:es|ing)?)\s*$", re.IGNORECASE)
_MONTHS = (
    r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|"
    r"nov(?:ember)?|dec(?:ember)?"
)
_DATE = re.compile(
    rf"\b(?:\d{{4}}-\d{{2}}-\d{{2}}|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:{_MONTHS})(?:\s+\d{{4}})?|"
    rf"(?:{_MONTHS})\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?)\b",
    re.IGNORECASE,
)
_DAY = re.compile(r"\b(?:(?P<weekday>monday|tuesday|wednesday|thursday|friday|saturday|sunday)s?|"
                  r"(?P<rel>today|tonight|tomorrow))\b", re.IGNORECASE)  # fmt: skip
_PART = {"morning": (time(9), time(12)), "afternoon": (time(13), time(18)), "evening": (time(18), time(21)),
         "tonight": (time(19), time(22))}  # fmt: skip


def fold(text: str) -> str:
    """Lower case without accents, one character for one (so offsets in the folded text are offsets in ``text``)."""
    return "".join(unicodedata.normalize("NFKD", c)[0] if c.isalpha() else c for c in text.lower())


@dataclass(frozen=True)
class Target:
    """What one preference rules out: the words (``terms``) and how to say it ("suggests")."""

    preference: Preference
    terms: tuple[str, ...] = ()
    rules: Rules | None = None
    writing: str = ""  # emoji | exclamation


def _thing(statement: str) -> str:
    text = _CUT.split(fold(statement), maxsplit=1)[0].strip()
    text = _LEAD.sub("", text)
    previous = None
    while previous != text:
        previous = text
        text = re.sub(rf"^(?:{_VERBS})\s+", "", text)
    return _TRAIL.sub("", text).strip(" '\"\u201c\u201d")


def _category(thing: str) -> str | None:
    names = sorted({*CATEGORIES, *ALIASES}, key=len, reverse=True)
    for name in names:
        if re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", thing):
            return ALIASES.get(name, name)
    return None


def _diet_terms(statement: str) -> tuple[str, ...]:
    low = fold(statement)
    terms: list[str] = []
    for diet, excluded in DIETS.items():
        m = re.search(rf"(?<![\w-]){re.escape(diet)}(?![\w-])", low)
        if not m or re.search(r"\b(?:not|no longer|never|ex|stopped being|was)\b[\w\s-]{0,12}$", low[: m.start()]):
            continue
        for category in excluded:
            terms.extend(CATEGORIES[category])
    return tuple(dict.fromkeys(terms))


def target(pref: Preference) -> Target | None:
    """What ``pref`` rules out in a form the check can match, or None when the check cannot read it."""
    if not pref.active:
        return None
    rules = parse_rules([pref])
    if rules.applied:
        return Target(pref, rules=rules)
    low = fold(pref.statement)
    negative = pref.polarity == "avoid" or (pref.polarity != "value" and bool(_LEAD.match(low)))
    if negative and re.search(r"\bemoji", low):
        return Target(pref, writing="emoji")
    if negative and re.search(r"\bexclamation", low):
        return Target(pref, writing="exclamation")
    diet = _diet_terms(pref.statement)
    if diet and not negative:
        return Target(pref, terms=diet)
    if not negative:
        return None
    thing = _thing(pref.statement)
    if not thing or _TIME_QUALIFIER.search(thing):
        return None
    category = _category(thing)
    if category is not None:
        return Target(pref, terms=tuple(dict.fromkeys((category, *CATEGORIES[category]))))
    words = thing.split()
    if len(words) > MAX_THING_WORDS:
        return None
    last = words[-1]
    if last.endswith("s") and len(last) > 4 and not last.endswith("ss"):  # "italian restaurants": plurals match
        words[-1] = last[:-1]
    return Target(pref, terms=(" ".join(words),))


def checkable(preferences: Iterable[Preference]) -> list[Preference]:
    """The preferences :func:`check` can read."""
    return [p for p in preferences if target(p) is not None]


@cache
def _term_pattern(terms: tuple[str, ...]) -> re.Pattern[str]:
    alternatives = sorted({re.escape(t) for t in terms if t}, key=len, reverse=True)
    return re.compile(rf"(?<![\w-])(?:{'|'.join(alternatives)})(?:e?s)?(?![\w-])")


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"\u201c(\[])|\n+")


def _sentences(text: str, folded: str) -> Iterable[tuple[int, str]]:
    """Sentences of ``text`` (split where a capital follows the stop), as offsets and their folded text."""
    start = 0
    for m in _SENTENCE_END.finditer(text):
        if folded[start : m.start()].strip():
            yield start, folded[start : m.start()]
        start = m.end()
    if folded[start:].strip():
        yield start, folded[start:]


def _clause_before(sentence: str, at: int) -> str:
    before = sentence[:at]
    parts = _CLAUSE_BREAK.split(before)
    return parts[-1] if parts else before


def negated(sentence: str, start: int, end: int) -> bool:
    """Whether the mention at ``start:end`` of ``sentence`` (folded) is negated or qualified away in its clause."""
    clause = _clause_before(sentence, start)
    words = re.findall(r"[\w'-]+", clause)[-NEGATION_WINDOW:]
    if any(w in _NEGATIONS or w.endswith("-free") for w in words):
        return True
    near = " ".join(re.findall(r"[\w'-]+", clause)[-2:])
    if any(re.search(rf"(?<![\w-]){re.escape(q)}$", near) for q in NOT_A_MEMBER):
        return True
    return bool(re.match(r"^(?:-free|\s+free\b|\s+is out\b|\s+is off\b)", sentence[end:]))


def _reports_past(sentence: str) -> bool:
    return bool(_PAST.search(sentence)) and not _PROPOSE.search(sentence)


def _avoid_violations(t: Target, text: str, folded: str) -> list[Violation]:
    found: list[Violation] = []
    pattern = _term_pattern(t.terms)
    for offset, sentence in _sentences(text, folded):
        if _reports_past(sentence):
            continue
        for m in pattern.finditer(sentence):
            if negated(sentence, m.start(), m.end()):
                continue
            start, end = offset + m.start(), offset + m.end()
            span = text[start:end]
            found.append(Violation(t.preference.id, t.preference.statement, span, start, end, f"suggests {span}"))
    return found


def _writing_violations(t: Target, text: str) -> list[Violation]:
    pattern = _EMOJI if t.writing == "emoji" else re.compile("!")
    what = "uses an emoji" if t.writing == "emoji" else "uses an exclamation mark"
    return [Violation(t.preference.id, t.preference.statement, m.group(), m.start(), m.end(), what, kind="writing")
            for m in pattern.finditer(text)]  # fmt: skip


@dataclass(frozen=True)
class Proposal:
    """A time or day an answer proposes, with the words it was read from (offsets in the answer)."""

    start: int
    end: int
    weekday: int | None = None
    begin: time | None = None
    finish: time | None = None
    part: str = ""


def _clock(m: re.Match[str]) -> time:
    if m.group("noon"):
        return time(12)
    hour = int(m.group("h1") or m.group("h2") or m.group("h3"))
    minute = int(m.group("m1") or 0)
    suffix = (m.group("s1") or m.group("s2") or "").replace(".", "").lower()
    if suffix == "pm" and hour < 12:
        hour += 12
    elif suffix == "am" and hour == 12:
        hour = 0
    elif not suffix and 1 <= hour <= 6:
        hour += 12  # "at 3" is an afternoon
    return time(hour % 24, minute % 60)


def _weekday_of(text: str, today: date | None) -> int | None:
    has_year = bool(re.search(r"\d{4}", text))
    if not has_year and today is None:
        return None
    default = datetime(today.year if today else 2000, 1, 1)
    try:
        return dateparser.parse(text, default=default, fuzzy=True).weekday()
    except (ValueError, OverflowError):
        return None


def proposals(sentence: str, offset: int, today: date | None) -> list[Proposal]:
    """The times, days and parts of day in one sentence, each time paired with the sentence's day."""
    days: list[tuple[int, int, int]] = []
    for m in _DAY.finditer(sentence):
        if m.group("weekday"):
            days.append((m.start(), m.end(), WEEKDAYS.index(m.group("weekday").lower())))
        elif today is not None:
            shift = 1 if m.group("rel").lower() == "tomorrow" else 0
            days.append((m.start(), m.end(), (today + timedelta(days=shift)).weekday()))
    for m in _DATE.finditer(sentence):
        weekday = _weekday_of(m.group(), today)
        if weekday is not None:
            days.append((m.start(), m.end(), weekday))
    times: list[tuple[int, int, time, bool]] = []  # start, end, clock, is an end time
    for m in _TIME.finditer(sentence):
        if negated(sentence, m.start(), m.end()):
            continue
        is_end = bool(_END_CUE.search(sentence[: m.start()]))
        times.append((m.start(), m.end(), _clock(m), is_end))
    parts = [(m.start(), m.end(), m.group(1)) for m in re.finditer(r"\b(morning|afternoon|evening|tonight)s?\b",
                                                                    sentence)]  # fmt: skip
    out: list[Proposal] = []
    weekday = days[0][2] if len(days) == 1 else None
    i = 0
    while i < len(times):
        s, e, clock, is_end = times[i]
        finish = None
        if i + 1 < len(times) and _RANGE_GAP.match(sentence[e : times[i + 1][0]]):
            finish, e = times[i + 1][2], times[i + 1][1]
            i += 1
        day = _nearest(days, s) if len(days) > 1 else weekday
        if is_end:
            out.append(Proposal(offset + s, offset + e, day, None, clock))
        else:
            out.append(Proposal(offset + s, offset + e, day, clock, finish))
        i += 1
    if not times:
        for s, e, wd in days:
            if negated(sentence, s, e):
                continue
            part = next((p for ps, _, p in parts if abs(ps - e) <= 2), "")
            end = next((pe for ps, pe, _ in parts if abs(ps - e) <= 2), e)
            out.append(Proposal(offset + s, offset + end, wd, part=part))
        if not days:
            out.extend(
                Proposal(offset + s, offset + e, None, part=p) for s, e, p in parts if p in ("evening", "tonight")
            )
    return out


def _nearest(days: Sequence[tuple[int, int, int]], at: int) -> int:
    return min(days, key=lambda d: abs(d[0] - at))[2]


def _blocked_name(weekday: int, lo: time, hi: time, everyday: bool) -> str:
    if everyday:
        return f"{lo:%H:%M}\u2013{hi:%H:%M}"
    day = WEEKDAYS[weekday].capitalize()
    whole, morning, afternoon = (
        lo == time(0) and hi >= time(23, 59),
        lo == time(0) and hi == time(12),
        hi >= time(23, 59),
    )
    return f"a {day}" if whole else f"a {day} morning" if morning else f"a {day} afternoon" if afternoon else day


def breaks(p: Proposal, rules: Rules) -> str:
    """Why proposal ``p`` breaks ``rules`` ("starts before 10:00"), or "" when it does not."""
    span = _PART.get(p.part)
    begin = p.begin or (span[0] if span and p.finish is None else None)
    finish = p.finish or (span[1] if span and p.begin is None else None)
    if rules.earliest and begin is not None and begin < rules.earliest and p.part not in ("morning",):
        return f"starts before {rules.earliest:%H:%M}"
    if rules.earliest and p.begin is None and p.finish is not None and p.finish <= rules.earliest:
        return f"ends by {p.finish:%H:%M}, before {rules.earliest:%H:%M}"
    if rules.latest:
        if finish is not None and finish > rules.latest:
            return f"runs past {rules.latest:%H:%M}"
        if p.finish is None and begin is not None and begin >= rules.latest:
            return f"starts at or after {rules.latest:%H:%M}"
    everyday = {(lo, hi) for wd, lo, hi in rules.blocked if all((d, lo, hi) in rules.blocked for d in range(7))}
    for wd, lo, hi in rules.blocked:
        if p.weekday != wd and (lo, hi) not in everyday:
            continue
        name = _blocked_name(wd, lo, hi, (lo, hi) in everyday)
        if begin is None and finish is None:
            if p.weekday == wd:
                return f"falls on {name}"
            continue
        a = begin or (datetime.combine(date.min, finish or time(0)) - timedelta(minutes=30)).time()
        b = finish or min(time(23, 59), (datetime.combine(date.min, a) + timedelta(minutes=30)).time())
        if a < hi and b > lo:
            return f"falls in {name}" if (lo, hi) in everyday else f"falls on {name}"
    return ""


def _time_violations(t: Target, text: str, folded: str, today: date | None, question: str) -> list[Violation]:
    assert t.rules is not None
    found: list[Violation] = []
    about_meetings = bool(_MEETING.search(t.preference.statement))
    for offset, sentence in _sentences(text, folded):
        if _reports_past(sentence) or not (_SCHEDULING.search(sentence) or _SCHEDULING.search(question)):
            continue
        if about_meetings and not (_MEETING.search(sentence) or _MEETING.search(question)):
            continue  # "no calls on Fridays" says nothing about a Friday flight
        for p in proposals(sentence, offset, today):
            why = breaks(p, t.rules)
            if why:
                span = text[p.start : p.end]
                found.append(Violation(t.preference.id, t.preference.statement, span, p.start, p.end,
                                       f"proposes {span} ({why})", kind="time"))  # fmt: skip
    return found


def check(
    text: str, preferences: Iterable[Preference], *, today: date | datetime | None = None, question: str = ""
) -> list[Violation]:
    """Everything in ``text`` that the given preferences rule out, in the order it appears. ``today`` places
    "tomorrow" and dates without a year; ``question`` is what the answer answers ("when should I meet Tom?" makes
    every time in the answer a proposed meeting time)."""
    day = today.date() if isinstance(today, datetime) else today
    folded = fold(text)
    found: list[Violation] = []
    for pref in preferences:
        t = target(pref)
        if t is None:
            continue
        if t.rules is not None:
            found.extend(_time_violations(t, text, folded, day, question))
        elif t.writing:
            found.extend(_writing_violations(t, text))
        else:
            found.extend(_avoid_violations(t, text, folded))
    return sorted(found, key=lambda v: (v.start, v.preference_id))


def _label(preference_id: str, preferences: Sequence[Preference]) -> str:
    for n, p in enumerate(preferences, 1):
        if p.id == preference_id:
            return f"[P{n}]"
    return f"[{preference_id}]"


def _grouped(violations: Sequence[Violation]) -> dict[str, list[Violation]]:
    groups: dict[str, list[Violation]] = {}
    for v in violations:
        groups.setdefault(v.preference_id, []).append(v)
    return groups


def _what(group: Sequence[Violation]) -> str:
    if group[0].kind == "time":
        return "; ".join(dict.fromkeys(v.reason for v in group))
    spans = list({v.span.lower().removesuffix("s"): v.span for v in reversed(group)}.values())[::-1]
    listed = spans[0] if len(spans) == 1 else ", ".join(spans[:-1]) + " and " + spans[-1]
    verb = group[0].reason.split()[0] if group[0].reason else "mentions"
    return f"{verb} {listed}"


def note(violations: Sequence[Violation], preferences: Sequence[Preference]) -> str:
    """The labelled note appended to an answer that still breaks a rule: "Note: this suggests steak, which [P1]
    “Avoid red meat” rules out." (one sentence per preference)."""
    lines = []
    for pid, group in _grouped(violations).items():
        lines.append(f"Note: this {_what(group)}, which {_label(pid, preferences)} \u201c{group[0].statement}\u201d "
                     "rules out.")  # fmt: skip
    return " ".join(lines)


def instruction(violations: Sequence[Violation], preferences: Sequence[Preference]) -> str:
    """The request to answer again, naming each broken preference and what broke it."""
    broken = "; ".join(f"{_label(pid, preferences)} \u201c{g[0].statement}\u201d (your answer {_what(g)})"
                       for pid, g in _grouped(violations).items())  # fmt: skip
    return (f"A previous answer to this broke the user's standing rules: {broken}. Answer in a way that respects "
            "every rule; do not suggest what a rule rules out.")  # fmt: skip
