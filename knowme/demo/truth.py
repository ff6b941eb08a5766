"""Ground truth for the demo life: who the people are (with every alias the writers use), which facts hold and
when, the commitments in the story, and questions by type with their expected answers. Used by
``benchmarks/bench_graph.py``; derived from the same :class:`~knowme.demo.story.Story` the writers read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

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
    commitments = (
        TrueCommitment("asked", "Tom Becker", ("latency", "slides"), story.day(2, 18)),
        TrueCommitment("made", "Tom Becker", ("latency", "slides"), story.day(2, 18)),
    )
    end = date(year, 12, 31)
    lena, helena = story.p("lena"), story.p("helena")
    assert lena.birthday is not None and helena.birthday is not None
    questions = (
        TrueQuestion("fact", "When is Lena's birthday?", (f"{lena.birthday.day} April",), end),
        TrueQuestion("fact", "When is my mother's birthday?", (f"{helena.birthday.day} November",), end),
        TrueQuestion("fact", "When was Rui Pereira born?", ("1 September",), end),
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
    )
    return GroundTruth(tuple(people), tuple(facts), commitments, questions)
