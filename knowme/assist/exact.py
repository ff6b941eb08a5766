"""Exact answers from the graph, tried before retrieval: birthdays, relationships, where the user lived or worked
at a date, health facts, commitments, money (income, recurring payments, large purchases). Each answer cites the
refs of the records its facts came from.

A question is matched by shape ("when is X's birthday", "who is my manager now", "where did I live in January",
"what did I promise Tom", "is Tom allergic to anything"); X may be a name, an alias, or "my mother". When the shape
matches but the graph holds nothing (or X is unknown), :func:`graph_answer` returns ``None`` and ``ask`` falls back
to retrieval: unknown stays unknown, never guessed. Conflicting claims are ranked by recency of validity, then
source reliability (confidence), then how many records support them.
"""

from __future__ import annotations

import re
from calendar import monthrange
from datetime import date, datetime

from knowme.extract.claims import relation_of
from knowme.extract.extractors import SINGLE_DIETS
from knowme.graph.lookup import RELATION_PATTERN, GraphLookup
from knowme.models import Answer
from knowme.models.graph import SYMMETRIC, USER_ID, Commitment, Fact
from knowme.store.base import Store
from knowme.text.dates import CAPITAL_MONTHS, find_date
from knowme.text.names import fold

_REL = RELATION_PATTERN
_MONTHS = [m.lower() for m in CAPITAL_MONTHS.split("|")]


class GraphAnswerer(GraphLookup):
    """Answers the question shapes the graph can settle exactly, as of ``today``."""

    def when_in(self, question: str) -> date:
        """The date a question asks about: "in January", "on 3 March 2025", "in 2024"; else today."""
        q = question.lower()
        m = re.search(rf"\b(?:in|during|back in)\s+(?:early\s+|late\s+)?({'|'.join(_MONTHS)})(?:\s+(\d{{4}}))?", q)
        if m:
            month = _MONTHS.index(m.group(1)) + 1
            year = (
                int(m.group(2))
                if m.group(2)
                else (self.today.year if month <= self.today.month else self.today.year - 1)
            )
            return date(year, month, min(15, monthrange(year, month)[1]))
        m = re.search(r"\b(?:on|at|as of)\s+(.+?)\??$", question)
        if m:
            found, _ = find_date(m.group(1), self.today)
            if found:
                return found
        m = re.search(r"\bin\s+(\d{4})\b", q)
        if m:
            return date(int(m.group(1)), 12, 31) if int(m.group(1)) < self.today.year else self.today
        return self.today

    # -- answering -------------------------------------------------------------------------------------------
    def answer(self, question: str) -> Answer | None:
        q = " ".join(question.strip().split())
        for method in (self._birthday, self._relationship, self._place, self._health, self._commitments,
                       self._money, self._who_is, self._about_me):  # fmt: skip
            result = method(q)
            if result is not None:
                return result
        return None

    def _done(self, text: str, items: list[Fact] | list[Commitment]) -> Answer | None:
        refs = self.refs(items)
        return Answer(text=text, citations=refs, evidence=[], backend="graph") if refs else None

    def _birthday(self, q: str) -> Answer | None:
        m = re.search(
            r"\bwhen(?:'s| is| was)\s+(?P<who>.+?)(?:['’]s?)?\s+(?P<what>birthday|anniversary|bday)\b", q, re.I
        )
        m = m or re.search(r"\bwhen\s+(?:is|was)\s+(?P<who>.+?)\s+born\b", q, re.I)
        m = m or re.search(r"\bwhat(?:'s| is)\s+(?P<who>.+?)['’]s?\s+(?P<what>birthday|date of birth)\b", q, re.I)
        if not m:
            return None
        what = (m.groupdict().get("what") or "birthday").lower()
        predicate = "anniversary" if what == "anniversary" else "birthday"
        who_text = m.group("who")
        if who_text.lower() in ("our", "my") and predicate == "anniversary":
            subjects = [USER_ID] + [f.object_id for f in self.relation(USER_ID, "partner", self.today) if f.object_id]
        else:
            who = self.person(who_text, self.today)
            if who is None:
                return None
            subjects = [who]
        for subject in subjects:
            facts = self.facts(subject_id=subject, predicate=predicate)
            if not facts:
                continue
            votes: dict[str, list[Fact]] = {}
            for fact in facts:
                md = (fact.object_value or "")[-5:]
                votes.setdefault(md, []).append(fact)
            best = max(votes.values(), key=lambda fs: (max(f.confidence for f in fs), len(fs)))
            value = next((f.object_value for f in best if f.object_value and f.object_value[:2] != "--"), None)
            shown = _pretty(value or best[0].object_value or "")
            label = "your" if subject == USER_ID and who_text.lower() in ("my", "i", "me", "our") else None
            owner = label or f"{self.name(subject)}'s"
            return self._done(f"{owner[0].upper()}{owner[1:]} {predicate} is {shown}.", best)
        return None

    def _relationship(self, q: str) -> Answer | None:
        m = re.search(rf"\bwho(?:'s| is| was| were| are)\s+(?:my|our)\s+(?:current\s+)?(?P<rel>{_REL})\b", q, re.I)
        if not m:
            return None
        rel = relation_of(m.group("rel"))
        if rel is None:
            return None
        when = self.when_in(q)
        facts = self.relation(USER_ID, rel, when)
        if not facts:
            return None
        names = list(dict.fromkeys(self.name(f.object_id) for f in facts))
        if rel in ("manager", "partner", "mother", "father"):
            names = names[:1]
            facts = [f for f in facts if self.name(f.object_id) == names[0]]
        since = facts[0].valid_from
        tail = f" (since {_pretty(since)})" if since and rel in ("manager", "partner") else ""
        return self._done(f"Your {m.group('rel').lower()}: {', '.join(names)}{tail}.", facts)

    def _place(self, q: str) -> Answer | None:
        m = re.search(r"\bwhere\s+(?:do|did|does|was|am|were|is|has|have)\s+(?P<who>I|we|.+?)\s+(?P<verb>live|living|lived|work|working|worked|based)\b", q, re.I)  # fmt: skip  # noqa: E501
        m = m or re.search(r"\b(?:which|what)\s+(?:city|town|country|place)\s+(?:do|did|does|was|am|were|is)\s+(?P<who>I|we|.+?)\s+(?P<verb>live|living|based)\b", q, re.I)  # fmt: skip  # noqa: E501
        m = m or re.search(r"\b(?:who|which company|what company)\s+(?:do|did|does)\s+(?P<who>I|we|.+?)\s+(?P<verb>work)\s+(?:for|at)\b", q, re.I)  # fmt: skip  # noqa: E501
        if not m:
            return None
        who = USER_ID if m.group("who").lower() in ("i", "we") else self.person(m.group("who"), self.today)
        if who is None:
            return None
        predicate = "works_at" if m.group("verb").lower().startswith("work") else "lives_in"
        when = self.when_in(q)
        facts = self.valid_at(self.facts(subject_id=who, predicate=predicate), when)
        facts = [f for f in facts if f.object_id]
        if not facts:
            return None
        top = facts[0]
        same = [f for f in facts if f.object_id == top.object_id]
        verb = "live" if predicate == "lives_in" else "work"
        subject = "You" if who == USER_ID else self.name(who)
        tense = "lived" if when < self.today and predicate == "lives_in" else verb
        if who != USER_ID:
            tense = f"{tense}s" if tense == verb else tense
        since = (
            f" (since {_pretty(top.valid_from)})" if top.valid_from and top.attributes.get("kind") == "change" else ""
        )
        place = self.name(top.object_id)
        at = "in" if predicate == "lives_in" else "at"
        return self._done(f"{subject} {tense} {at} {place}{since}.", same)

    def _health(self, q: str) -> Answer | None:
        m = re.search(r"\b(?:is|are|am)\s+(?P<who>.+?)\s+allergic\b", q, re.I) or re.search(
            r"\bwhat\s+(?:is|are|am)\s+(?P<who>.+?)\s+allergic\s+to\b", q, re.I
        )
        predicate = "allergy"
        if not m:
            m = re.search(r"\b(?:does|do|did)\s+(?P<who>.+?)\s+have\s+(?:any\s+)?(?P<p>allerg|condition|medical|health)", q, re.I)  # fmt: skip  # noqa: E501
            m = m or re.search(r"\bwhat\s+(?:kind of\s+)?(?P<p>allerg\w*|(?:medical\s+|health\s+)?conditions?|illness\w*)\s+(?:does|do|did|has|have)\s+(?P<who>.+?)\s+(?:have|got)\b", q, re.I)  # fmt: skip  # noqa: E501
            if m and not m.group("p").lower().startswith("allerg"):
                predicate = "condition"
        if not m:
            m = re.search(r"\bwhat\s+(?:medications?|medicines?|meds|pills|drugs)\s+(?:is|are|am|does|do)\s+(?P<who>.+?)\s+(?:taking|take|on)\b", q, re.I)  # fmt: skip  # noqa: E501
            m = m or re.search(r"\b(?:is|are|am)\s+(?P<who>.+?)\s+(?:taking|on)\s+any\s+(?:medications?|medicines?|meds|pills)\b", q, re.I)  # fmt: skip  # noqa: E501
            predicate = "medication"
        if not m:
            return None
        who = self.person(re.sub(r"^(?:you|i)$", "me", m.group("who"), flags=re.I), self.today)
        if who is None:
            return None
        facts = self.valid_at(self.facts(subject_id=who, predicate=predicate), self.when_in(q))
        if not facts:
            return None  # nothing stated by then: asked "as of" a date before the note, it is not known yet
        values = list(dict.fromkeys(f.object_value for f in facts if f.object_value))
        subject = "You" if who == USER_ID else self.name(who)
        verb = {"allergy": "allergic to", "condition": "diagnosed with", "medication": "taking"}[predicate]
        be = "are" if who == USER_ID else "is"
        return self._done(f"{subject} {be} {verb} {', '.join(values)}.", facts)

    def _money(self, q: str) -> Answer | None:
        """Income, recurring payments ("how much do I pay for Netflix", "how much is my rent") and large purchases."""
        if re.search(r"\b(?:salary|income|earn|paid|wages?|pay ?check)\b", q, re.I) and re.search(
            r"\b(?:how much|what(?:'s| is)? (?:my|is my)|when)\b", q, re.I
        ):
            facts = [f for f in self.facts(subject_id=USER_ID, predicate="income") if f.valid_from]
            facts = self.valid_at([f for f in facts if f.attributes.get("cadence") != "once"], self.when_in(q))
            return self._listing("Your income", facts) if facts else None
        m = re.search(
            r"\bhow much (?:do|did) (?:I|we) (?:pay|spend) (?:for|on|to)\s+(?P<what>.+?)\??$", q, re.I
        ) or re.search(r"\bhow much is (?:my|our) (?P<what>.+?)\??$", q, re.I)
        if m:
            wanted = {w for w in re.findall(r"\w+", fold(m.group("what"))) if len(w) > 2}
            facts = [
                f for f in self.facts(subject_id=USER_ID, predicate="recurring_payment")
                if wanted & set(re.findall(r"\w+", fold(f"{f.object_value} {f.attributes.get('details', '')}")))
            ]  # fmt: skip
            facts = self.valid_at(facts, self.when_in(q)) or facts
            return self._listing("You pay", facts) if facts else None
        if re.search(r"\b(?:subscriptions|recurring payments|standing orders|direct debits|regular payments)\b", q,
                     re.I):  # fmt: skip
            facts = self.valid_at(self.facts(subject_id=USER_ID, predicate="recurring_payment"), self.when_in(q))
            return self._listing("Your recurring payments", facts) if facts else None
        if re.search(r"\b(?:large|big|expensive|major)\s+(?:purchases?|buys|expenses?)\b", q, re.I):
            facts = self.facts(subject_id=USER_ID, predicate="large_purchase")
            facts = sorted(facts, key=lambda f: f.valid_from or "")
            year = re.search(r"\b(?:in|during)\s+(\d{4})\b", q)
            if year:
                facts = [f for f in facts if (f.valid_from or "").startswith(year.group(1))]
            return self._listing("Your large purchases", facts, dated=True) if facts else None
        return None

    def _listing(self, head: str, facts: list[Fact], *, dated: bool = False) -> Answer | None:
        parts = []
        for f in facts:
            when = f" on {f.valid_from}" if dated else (f" since {f.valid_from}" if f.valid_from else "")
            parts.append(f"{f.object_value}{when}")
        return self._done(f"{head}: {'; '.join(parts)}.", facts)

    def _commitments(self, q: str) -> Answer | None:
        patterns = (
            (r"\bwhat\s+(?:did|have)\s+I\s+promised?\s+(?:to\s+do\s+)?for\s+(?P<who>.+?)\??$", ("made",)),
            (
                r"\bwhat\s+(?:did|have)\s+I\s+promised?\s+(?:to\s+)?(?P<who>.+?)(?:\s+(?:to|that|about|for)\b.*)?\??$",
                ("made",),
            ),
            (r"\bwhat\s+(?:did|have)\s+I\s+promised?\s*\??$", ("made",)),
            (r"\bwhat\s+(?:does|do)\s+(?P<who>.+?)\s+owe\s+(?:me|us)\b", ("received",)),
            (r"\bwhat\s+do\s+I\s+owe\s+(?P<who>.+?)\??$", ("made", "asked")),
            (
                r"\bwhat\s+(?:did|has|have)\s+(?P<who>.+?)\s+(?:ask|asked|request|requested|want|wanted)\s+"
                r"(?:me|of me)\b",
                ("asked",),
            ),
            (r"\bwhat\s+(?:did|has|have)\s+(?P<who>.+?)\s+promised?\s+(?:me|to me|us)\b", ("received",)),
            (r"\bwhat\s+(?:are\s+)?(?:my\s+)?(?P<open>open\s+)?(?:promises|commitments)\b", ("made", "asked")),
        )
        for pattern, directions in patterns:
            m = re.search(pattern, q, re.I)
            if not m:
                continue
            who_text = m.groupdict().get("who")
            who = self.person(who_text, self.today) if who_text else None
            if who_text and who is None:
                continue
            stood = (self.as_of(c) for c in self.graph.commitments(counterparty_id=who) if c.direction in directions)
            items = [c for c in stood if c is not None and (not m.groupdict().get("open") or c.status == "open")]
            if not items:
                return None
            items.sort(key=lambda c: c.made_at or "", reverse=True)
            lines = []
            for c in items[:5]:
                due = f", due {_pretty(c.due)}" if c.due else ""
                whom = f" ({self.name(c.counterparty_id)})" if who is None and c.counterparty_id else ""
                lines.append(f"{c.what}{whom}{due} [{c.status}]")
            lead = {"made": "You promised", "asked": "You were asked to", "received": "You were promised"}
            head = lead.get(directions[0], "Commitments")
            target = f" {self.name(who)}" if who and directions[0] == "made" else ""
            if directions[0] == "asked" and who:
                head = f"{self.name(who)} asked you to"
            return self._done(f"{head}{target}: " + "; ".join(lines) + ".", items[:5])
        return None

    def _who_is(self, q: str) -> Answer | None:
        m = re.fullmatch(r"(?:who|what)(?:'s| is| was)\s+(?P<who>[^?]+?)\s+to\s+me\??", q, re.I)
        m = m or re.fullmatch(r"how\s+(?:is|was|am)\s+(?P<who>[^?]+?)\s+related\s+to\s+me\??", q, re.I)
        m = m or re.fullmatch(r"what(?:'s| is)\s+my\s+relationship\s+(?:with|to)\s+(?P<who>[^?]+?)\??", q, re.I)
        m = m or re.fullmatch(r"who(?:'s| is| was)\s+(?P<who>[^?]+?)\??", q, re.I)
        if not m or m.group("who").lower().startswith(("my ", "our ", "the ")):
            return None
        who = self.person(m.group("who"), self.today)
        if who is None or who == USER_ID:
            return None
        facts = [f for f in self.facts(subject_id=USER_ID) if f.object_id == who]
        inverse = [f for f in self.facts(object_id=USER_ID) if f.subject_id == who and f.predicate in SYMMETRIC]
        facts = self.valid_at(facts + inverse, self.today) or facts + inverse
        if not facts:
            return None
        rels = list(dict.fromkeys(f.predicate for f in facts))
        return self._done(f"{self.name(who)} is your {' and '.join(r.replace('_', ' ') for r in rels)}.", facts)

    def _about_me(self, q: str) -> Answer | None:
        """The user's own stated facts: diet, what they are saving for, likes and dislikes, life events."""
        when = self.when_in(q)
        m = re.search(rf"\b(?:am|was|are|were)\s+(?:I|we)\s+(?:still\s+)?(?:a\s+)?(?P<diet>{'|'.join(SINGLE_DIETS)})\b", q, re.I)  # fmt: skip  # noqa: E501
        if m or re.search(r"\bwhat(?:'s| is| was)\s+(?:my|our)\s+diet\b|\bwhat\s+diet\s+(?:do|did)\s+I\b", q, re.I):
            facts = self.valid_at(self.facts(subject_id=USER_ID, predicate="diet"), when)
            if not facts:
                return None
            diet = facts[0].object_value or ""
            since = f" (since {_pretty(facts[0].valid_from)})" if facts[0].valid_from else ""
            if m and m.group("diet").lower() != diet:
                return self._done(f"No: you are {diet}{since}.", facts[:1])
            return self._done(f"{'Yes: you' if m else 'You'} are {diet}{since}.", facts[:1])
        if re.search(r"\bwhat\s+(?:am|are|was|were)\s+(?:I|we)\s+saving\s+(?:up\s+)?for\b", q, re.I):
            facts = self.valid_at(self.facts(subject_id=USER_ID, predicate="saving_for"), when)
            return self._listing("You are saving for", facts) if facts else None
        m = re.search(r"\bwhat\s+(?:do|did)\s+I\s+(?P<v>like|love|enjoy|hate|dislike|avoid)\b", q, re.I)
        if m:
            predicate = "likes" if m.group("v").lower() in ("like", "love", "enjoy") else "dislikes"
            facts = self.facts(subject_id=USER_ID, predicate=predicate)
            head = "You like" if predicate == "likes" else "You avoid"
            return (
                self._done(f"{head}: {', '.join(dict.fromkeys(f.object_value or '' for f in facts))}.", facts)
                if facts
                else None
            )  # noqa: E501
        m = re.search(r"\bwhen\s+did\s+(?:I|we)\s+(?P<v>get engaged|get married|have a baby|graduate|retire|get divorced|buy a (?:house|flat|car|home)|adopt a (?:dog|cat)|get promoted|pass my driving test)\b", q, re.I)  # fmt: skip  # noqa: E501
        if m:
            asked = {w[:5] for w in fold(m.group("v")).split() if w not in ("get", "a", "my", "have", "buy", "pass")}
            facts = [f for f in self.facts(subject_id=USER_ID, predicate="life_event") if f.valid_from
                     and asked & {w[:5] for w in fold(f.object_value or "").split()}]  # fmt: skip
            if not facts:
                return None
            return self._done(f"You {facts[0].object_value} on {_pretty(facts[0].valid_from)}.", facts[:1])
        return None


def _pretty(value: str | None) -> str:
    if not value:
        return ""
    if value.startswith("--"):
        month, day = int(value[2:4]), int(value[5:7])
        return f"{day} {CAPITAL_MONTHS.split('|')[month - 1]}"
    try:
        parsed = date.fromisoformat(value[:10])
    except ValueError:
        return value
    return f"{parsed.day} {CAPITAL_MONTHS.split('|')[parsed.month - 1]} {parsed.year}"


def graph_answer(store: Store, question: str, *, today: datetime | date | None = None) -> Answer | None:
    """An exact answer from the graph, or ``None`` when the graph cannot settle the question."""
    day = today.date() if isinstance(today, datetime) else today or date.today()
    if not fold(question):
        return None
    return GraphAnswerer(store, day).answer(question)
