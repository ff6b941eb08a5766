"""Ground truth for the demo life: who the people are (with every alias the writers use), which facts hold and
when, the commitments in the story, and questions by type with their expected answers. Used by
``benchmarks/bench_graph.py``; derived from the same :class:`~knowme.demo.story.Story` the writers read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from knowme.demo.calgen import singles
from knowme.demo.mailpending import PENDING
from knowme.demo.story import Story, make_story


@dataclass(frozen=True)
class TruePerson:
    key: str
    name: str
    aliases: tuple[str, ...]  # names and addresses that all mean this person


@dataclass(frozen=True)
class TrueFact:
    subject: str  # a person's full name ("me" for the owner)
    predicate: str
    value: str  # a name or a literal (birthdays as --MM-DD)
    valid_from: date | None = None
    valid_to: date | None = None


@dataclass(frozen=True)
class TrueCommitment:
    direction: str
    counterparty: str
    keywords: tuple[str, ...]
    due: date | None
    made: date | None = None
    done: date | None = None


@dataclass(frozen=True)
class TrueQuestion:
    kind: str  # fact, relationship, knowledge_update, commitment, unanswerable
    question: str
    expected: tuple[str, ...]  # every string must appear in the answer; empty for unanswerable
    as_of: date


@dataclass(frozen=True)
class GroundTruth:
    people: tuple[TruePerson, ...]
    facts: tuple[TrueFact, ...]
    commitments: tuple[TrueCommitment, ...]
    questions: tuple[TrueQuestion, ...]


RELATIONS = {"helena": "mother", "miguel": "partner", "tom": "manager", "pedro": "brother"}


def ground_truth(seed: int = 7, year: int = 2025) -> GroundTruth:
    story: Story = make_story(seed, year)
    people = []
    for p in story.people.values():
        aliases = [p.name, p.email]
        if p.key == "me":
            aliases.append(story.work_email)
        people.append(TruePerson(p.key, p.name, tuple(aliases)))
    facts: list[TrueFact] = []
    for p in story.people.values():
        subject = "me" if p.key == "me" else p.name
        if p.birthday is not None:
            facts.append(TrueFact(subject, "birthday", f"--{p.birthday:%m-%d}"))
        if p.org and p.key != "me":
            facts.append(TrueFact(subject, "works_at", p.org))
    facts.append(TrueFact(story.p("miguel").name, "partner", "me"))  # the relation seen from his side
    for key, relation in RELATIONS.items():
        facts.append(TrueFact("me", relation, story.p(key).name))
    facts.append(TrueFact("me", "lives_in", "Lisbon", None, story.move_day))
    facts.append(TrueFact("me", "lives_in", "Porto", story.move_day, None))
    facts.append(TrueFact("me", "works_at", "Cobalto Labs"))
    facts.append(TrueFact(story.p("helena").name, "allergy", "penicillin"))  # "Mãe is allergic to penicillin"
    slides_dates = (story.day(2, 4), story.day(2, 17))  # asked and promised on the 4th, sent on the 17th
    commitments = (
        TrueCommitment("asked", "Tom Becker", ("latency", "slides"), story.day(2, 18), *slides_dates),
        TrueCommitment("made", "Tom Becker", ("latency", "slides"), story.day(2, 18), *slides_dates),
        *(
            TrueCommitment(p.kind, story.p(p.person).name, p.keywords, p.day(year, p.due), p.day(year, p.opened),
                           p.day(year, p.closed))
            for p in PENDING
            if p.kind != "awaiting_reply"
        ),
    )  # fmt: skip
    end = date(year, 12, 31)
    lena, helena = story.p("lena"), story.p("helena")
    assert lena.birthday is not None and helena.birthday is not None
    questions = (
        TrueQuestion("fact", "When is Lena's birthday?", (f"{lena.birthday.day} April",), end),
        TrueQuestion("fact", "When is my mother's birthday?", (f"{helena.birthday.day} November",), end),
        TrueQuestion("fact", "When was Rui Pereira born?", ("1 September",), end),  # a note says the 2nd: the card wins
        TrueQuestion("fact", "Is my mother allergic to anything?", ("penicillin",), end),
        TrueQuestion("relationship", "Who is my manager?", ("Tom Becker",), end),
        TrueQuestion("relationship", "Who is my partner?", ("Miguel Costa",), end),
        TrueQuestion("relationship", "Who is Helena?", ("mother",), end),
        TrueQuestion("relationship", "Who is my brother?", ("Pedro Almeida",), end),
        TrueQuestion("knowledge_update", "Where did I live in March?", ("Lisbon",), end),
        TrueQuestion("knowledge_update", "Where do I live now?", ("Porto",), end),
        TrueQuestion("knowledge_update", "Where did I live in October?", ("Porto",), end),
        TrueQuestion("knowledge_update", "Where do I live?", ("Lisbon",), date(year, 5, 1)),
        TrueQuestion("commitment", "What did Tom ask me to send before the offsite?", ("latency budget slides",), end),
        TrueQuestion("commitment", "What did I promise Tom?", ("latency budget slides",), end),
        TrueQuestion("unanswerable", "Is Tom allergic to anything?", (), end),
        TrueQuestion("unanswerable", "When is Daniel Okafor's birthday?", (), end),
        TrueQuestion("unanswerable", "Who is my sister?", (), end),
        TrueQuestion("unanswerable", "What did I promise Kenji?", (), end),
        TrueQuestion("unanswerable", "Is my mother allergic to anything?", (), date(year, 6, 1)),  # not written yet
    )
    return GroundTruth(tuple(people), tuple(facts), commitments, questions)


# -- the digest ------------------------------------------------------------------------------------------------------

#: Demo events that call for preparation (by calendar key): agendas and pre-reads, things to bring, deadlines,
#: travel, a talk, a review, a cut-over the user owns.
PREPARE_EVENTS = ("q1-planning", "offsite", "checkup", "dentist", "irs", "moving-truck", "flight-ber", "talk",
                  "flight-opo", "cutover", "review", "consoada")  # fmt: skip
#: Questions to the user in the story's own threads (besides mailpending's): (person, asked, answered, words).
UNANSWERED = (("rui", (3, 2), None, ("Sintra",)), ("ricardo", (3, 3), (3, 4), ("documents",)))
COMMITMENT_KINDS = {"made": "my_commitment", "asked": "my_commitment", "received": "owed_to_me",
                    "requested": "owed_to_me"}  # fmt: skip


@dataclass(frozen=True)
class TrueDigestItem:
    kind: str  # as in knowme.assist.digest.KINDS
    day: date
    person: str  # the full name of the person it concerns
    keywords: tuple[str, ...] = ()


def _next(day: date, start: date) -> date:
    for year in (start.year, start.year + 1):
        try:
            when = day.replace(year=year)
        except ValueError:
            when = date(year, day.month, 28)
        if when >= start:
            return when
    return day


def digest_truth(
    as_of: date, days: int = 7, *, seed: int = 7, year: int = 2025, overdue_days: int = 30, reply_days: int = 14
) -> list[TrueDigestItem]:
    """What the digest as of ``as_of`` should list: the story's birthdays and anniversary, open commitments due in
    the window (or overdue by at most ``overdue_days``), unanswered questions at most ``reply_days`` old, and the
    events in the window that need preparation."""
    from datetime import timedelta

    story = make_story(seed, year)
    end = as_of + timedelta(days=days)
    out: list[TrueDigestItem] = []
    for p in story.people.values():
        if p.birthday is not None and _next(p.birthday, as_of) <= end:
            out.append(TrueDigestItem("birthday", _next(p.birthday, as_of), p.name))
    anniversary = _next(story.anniversary.date(), as_of)
    if anniversary <= end:
        out.append(TrueDigestItem("anniversary", anniversary, story.p("miguel").name))
    for c in ground_truth(seed, year).commitments:
        if c.due is None or (c.made and c.made > as_of) or (c.done and c.done <= as_of):
            continue
        if as_of - timedelta(days=overdue_days) <= c.due <= end:
            out.append(TrueDigestItem(COMMITMENT_KINDS[c.direction], c.due, c.counterparty, c.keywords))
    asks = [(p.person, p.opened, p.closed, p.keywords) for p in PENDING if p.kind == "awaiting_reply"]
    asks += list(UNANSWERED)
    for who, opened, closed, words in asks:
        start, stop = date(year, *opened), date(year, *closed) if closed else None
        if as_of - timedelta(days=reply_days) <= start <= as_of and (stop is None or stop > as_of):
            out.append(TrueDigestItem("awaiting_reply", start, story.p(who).name, words))
    for event in singles(story):
        if event.key in PREPARE_EVENTS:
            day = event.start.date() if isinstance(event.start, datetime) else event.start
            if as_of <= day <= end:
                out.append(TrueDigestItem("prepare", day, "", (event.summary,)))
    return sorted(out, key=lambda i: (i.day, i.kind))
