"""Fact extractors: the plugin interface and the deterministic extractor that works offline.

An extractor implements one method, :meth:`Extractor.extract`, from a record and an :class:`ExtractContext` (who
wrote it, how to name entities) to an :class:`Extraction` of fact claims and commitment claims. Extractors are
plugins (the ``register_extractors`` hook of :mod:`knowme.plugins`); each fact stores the extractor's name and
version, and when a version changes the graph replaces that extractor's facts only.

The deterministic extractor reads the sources' structure first (vCard BDAY/ANNIVERSARY/ORG/TITLE/RELATED and
X-ABRELATEDNAMES, yearly "X's birthday" events, person-note front matter), then first-person sentences by the
record's author: relationships ("my mother Ana", "Tom, my manager", "Priya is my new manager"), where they live and
work ("moved from Lisbon to Porto", "I live in", "started at Acme"), birthdays and anniversaries, health
("allergic to", "diagnosed with", "started taking"), money ("saving for", subscriptions and monthly payments),
stated preferences ("I've gone vegetarian") and life events ("got engaged"). Text written by someone else is about
that someone: "my manager" in Tom's email names Tom's manager, not the user's. Questions and hypotheticals ("are you
allergic to...?", "if I moved to...") are not claims.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date

from knowme.extract.claims import (
    RELATION_WORDS,
    Claim,
    ExtractContext,
    Extraction,
    Extractor,
    relation_of,
    sentences,
)
from knowme.extract.commitments import find_commitments
from knowme.models import Record
from knowme.models.graph import USER_ID
from knowme.plugins import hookimpl
from knowme.text.dates import DATE_PATTERN, find_date

_REL = "|".join(sorted((re.escape(w) for w in RELATION_WORDS), key=len, reverse=True))
_NAME = r"(?:[A-ZÀ-ÖØ-Þ][\w'’\-]+(?:\s+(?:d[aeo]s?|van|von|de la|del|di|le|la)?\s*[A-ZÀ-ÖØ-Þ][\w'’\-]+){0,3})"
_PLACE = r"(?:[A-ZÀ-ÖØ-Þ][\w'’\-]+(?:[\s\-]+(?:d[aeo]s?|de|del|la|le|am|on|upon|sur)?\s*[A-ZÀ-ÖØ-Þ][\w'’\-]+){0,3})"
_ORG = r"(?:[A-ZÀ-ÖØ-Þ0-9][\w&'’.\-]*(?:\s+(?:&\s+)?[A-ZÀ-ÖØ-Þ0-9][\w&'’.\-]*){0,4})"
_I = r"(?:I|I've|I'm|I’m|I’ve|we|We|We've|we've|we're|We're)"
#: "my mother", "our new manager", "my sister Julia": a person named through the author's relationship to them.
_KIN = rf"(?:[Mm]y|[Oo]ur)\s+(?:new\s+|dear\s+|late\s+)?(?i:{_REL})(?:\s*,?\s+{_NAME})?"
#: Relation words people write as names ("Mum is allergic to nuts", "Dad's birthday").
BARE_KIN = frozenset({"mum", "mom", "mommy", "mama", "mãe", "dad", "daddy", "pai", "grandma", "granny", "grandpa"})
_NOT_NAMES = frozenset(
    {
        "I",
        "The",
        "This",
        "That",
        "He",
        "She",
        "They",
        "We",
        "You",
        "It",
        "And",
        "But",
        "So",
        "Today",
        "Tomorrow",
        "Yesterday",
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
        "Mr",
        "Mrs",
        "Dr",
        "Hi",
        "Hey",
        "Dear",
        "Thanks",
        "Also",
        "Just",
        "My",
        "Our",
        "Your",
        "His",
        "Her",
        "Their",
    }  # fmt: skip
)
SINGLE_DIETS = ("vegetarian", "vegan", "pescatarian", "flexitarian", "keto", "gluten-free", "dairy-free")


def _clean_value(value: str) -> str:
    value = re.split(r"\s+(?:and|but|so|because|since|which|when|until|from|after|before)\s+|[,;:()]", value)[0]
    return value.strip(" .!?\"'’").strip()


class DeterministicExtractor(Extractor):
    name = "patterns"
    version = "1"

    def extract(self, record: Record, ctx: ExtractContext) -> Extraction:
        out = Extraction()
        if record.kind == "contact":
            self._contact(record, ctx, out)
        elif record.kind == "event":
            self._event(record, ctx, out)
        if record.kind == "note" and ctx.subject_id:
            self._person_note(record, ctx, out)
        if ctx.author_id and record.kind in ("note", "email", "chat_message"):
            for sentence in sentences(record.text):
                self._sentence(sentence, ctx, out)
        out.commitments.extend(find_commitments(record, ctx))
        return out

    # -- structure ---------------------------------------------------------------------------------------------
    def _contact(self, record: Record, ctx: ExtractContext, out: Extraction) -> None:
        who, meta = ctx.subject_id, record.meta
        if not who:
            return
        if meta.get("birthday"):
            out.facts.append(Claim(who, "birthday", object_value=str(meta["birthday"]), confidence=0.95, kind="structure",  # noqa: E501
                                   evidence="vCard BDAY"))  # fmt: skip
        if meta.get("anniversary"):
            out.facts.append(Claim(who, "anniversary", object_value=str(meta["anniversary"]), confidence=0.95,
                                   kind="structure", evidence="vCard ANNIVERSARY"))  # fmt: skip
        if meta.get("org"):
            org = ctx.entity(str(meta["org"]), "organisation")
            if org:
                out.facts.append(Claim(who, "works_at", object_id=org, confidence=0.7, kind="structure",
                                       evidence="vCard ORG"))  # fmt: skip
        if meta.get("title"):
            out.facts.append(Claim(who, "job_title", object_value=str(meta["title"]), confidence=0.7, kind="structure",
                                   evidence="vCard TITLE"))  # fmt: skip
        for related in meta.get("related") or ():
            relation = relation_of(str(related.get("relation") or ""))
            name = str(related.get("name") or related.get("email") or "").strip()
            if relation and name:
                other = ctx.entity(name, "person")
                if other and other != who:
                    out.facts.append(Claim(who, relation, object_id=other, confidence=0.95, kind="structure",
                                           evidence=f"vCard related ({related.get('relation')}): {name}"))  # fmt: skip

    def _event(self, record: Record, ctx: ExtractContext, out: Extraction) -> None:
        title = record.title.strip()
        start = str(record.meta.get("start") or "")[:10]
        yearly = "FREQ=YEARLY" in str(record.meta.get("rrule") or "").upper()
        if not start or not (yearly or record.meta.get("all_day")):
            return
        match = re.match(rf"^(?:🎂\s*)?({_NAME})['’]s?\s+(birthday|anniversary|bday)\b", title) or re.match(
            rf"^(birthday|anniversary|bday)[:\s\-–]+(?:of\s+)?({_NAME})$", title, re.IGNORECASE
        )
        if not match:
            if yearly and re.search(r"\b(our|wedding)\s+anniversary\b", title, re.IGNORECASE):
                out.facts.append(Claim(USER_ID, "anniversary", object_value=f"--{start[5:]}", confidence=0.85,
                                       kind="structure", evidence=title))  # fmt: skip
            return
        groups = match.groups()
        name, what = (
            (groups[0], groups[1]) if groups[1].lower() in ("birthday", "anniversary", "bday") else groups[::-1]
        )
        if name in _NOT_NAMES or name.lower() in ("our", "my"):
            if what.lower() == "anniversary":
                out.facts.append(Claim(USER_ID, "anniversary", object_value=f"--{start[5:]}", confidence=0.85,
                                       kind="structure", evidence=title))  # fmt: skip
            return
        who = ctx.entity(name, "person")
        if who:
            predicate = "anniversary" if what.lower() == "anniversary" else "birthday"
            out.facts.append(Claim(who, predicate, object_value=f"--{start[5:]}", confidence=0.85, kind="structure",
                                   evidence=title))  # fmt: skip

    def _person_note(self, record: Record, ctx: ExtractContext, out: Extraction) -> None:
        fm = record.meta.get("frontmatter") or {}
        who = ctx.subject_id
        assert who is not None
        for key, predicate in (("birthday", "birthday"), ("born", "birthday"), ("anniversary", "anniversary")):
            value = fm.get(key) if isinstance(fm, dict) else None
            if value:
                out.facts.append(Claim(who, predicate, object_value=str(value)[:10], confidence=0.9, kind="structure",
                                       evidence=f"front matter {key}"))  # fmt: skip
        # "My manager." / "Mãe." / "Sofia's partner." written in a note about that person
        head = " ".join(sentences(record.text)[:4])
        match = re.search(rf"(?:^|[.!]\s+|\b)(?:[Mm]y\s+(?:new\s+)?)({_REL})\b", head)
        if match is None:
            match = re.search(rf"^(?:#.*\n)?\s*({_REL})\b[.!]", record.text.strip(), re.IGNORECASE | re.MULTILINE)
        if match:
            relation = relation_of(match.group(1))
            if relation and who != USER_ID:
                out.facts.append(Claim(USER_ID, relation, object_id=who, confidence=0.85, evidence=match.group(0),
                                       valid_from=None))  # fmt: skip

    # -- sentences ---------------------------------------------------------------------------------------------
    def _sentence(self, s: str, ctx: ExtractContext, out: Extraction) -> None:
        if s.rstrip().endswith("?") or re.match(r"^(?:if|whether|what if|should|would|could)\b", s, re.IGNORECASE):
            return
        if re.search(r"\b(?:not sure|maybe|might|thinking about|considering|wondering)\b", s, re.IGNORECASE):
            hedged = True
        else:
            hedged = False
        author = ctx.author_id
        assert author is not None
        day = ctx.day
        iso = day.isoformat() if day else None
        self._relations(s, ctx, out, author, iso)
        if not hedged:
            self._places(s, ctx, out, author, day)
            self._work(s, ctx, out, author, day)
            self._others(s, ctx, out, author, day)
        plain = re.sub(rf"({_NAME})\s*,\s*(?:my|our|his|her)\s+(?:{_REL})\s*,", r"\1", s)  # "Rosa, my mum, is"
        self._dates(plain, ctx, out, author, day)
        self._health(plain, ctx, out, author, iso)
        if not hedged:
            self._money_and_prefs(s, out, author, iso)

    @staticmethod
    def _who(text: str, ctx: ExtractContext, author: str, *, create: bool = True) -> tuple[str | None, str | None]:
        """Whom a sentence's subject names: ``(entity id, None)``, or ``(None, relation)`` for "my mother" / "Mum"
        (the author's relation, found when the facts are stored), or ``(None, None)`` for nobody."""
        text = re.sub(r"['’]s?$", "", " ".join(text.split()))
        first = text.split()[0] if text else ""
        if first in ("I", "I'm", "I’m"):
            return author, None
        kin = re.fullmatch(rf"(?:[Mm]y|[Oo]ur)\s+(?:new\s+|dear\s+|late\s+)?(?P<rel>(?i:{_REL}))(?:\s*,?\s+(?P<name>{_NAME}))?", text)  # fmt: skip  # noqa: E501
        if kin:
            name = kin.group("name")
            if name and name.split()[0] not in _NOT_NAMES:
                return (ctx.entity(name, "person") if create else ctx.known(name)), None
            return None, relation_of(kin.group("rel"))
        if text.lower() in BARE_KIN:
            return None, relation_of(text)
        if not first or first in _NOT_NAMES:
            return None, None
        return (ctx.entity(text, "person") if create else ctx.known(text)), None

    def _relations(self, s: str, ctx: ExtractContext, out: Extraction, author: str, iso: str | None) -> None:
        patterns = (
            rf"\b[Mm]y\s+(?:new\s+|dear\s+|lovely\s+)?(?P<rel>{_REL})\s*,?\s+(?P<name>{_NAME})",
            rf"(?P<name>{_NAME})\s*,\s+my\s+(?:new\s+)?(?P<rel>{_REL})\b",
            rf"(?P<name>{_NAME})\s+(?:is|has become|became|will be)\s+(?:now\s+)?my\s+(?P<new>new\s+)?(?P<rel>{_REL})\b",  # noqa: E501
            rf"\bmy\s+(?P<new>new\s+)?(?P<rel>{_REL})\s+is\s+(?:now\s+)?(?P<name>{_NAME})",
            rf"\bI\s+(?:now\s+)?report\s+to\s+(?P<name>{_NAME})",
        )
        for number, pattern in enumerate(patterns):
            for m in re.finditer(pattern, s):
                name = m.group("name").strip()
                if name.split()[0] in _NOT_NAMES:
                    continue
                relation = "manager" if number == 4 else relation_of(m.group("rel"))
                if relation is None:
                    continue
                other = ctx.entity(name, "person")
                if other is None or other == author:
                    continue
                change = number == 4 or bool(m.groupdict().get("new"))
                out.facts.append(Claim(author, relation, object_id=other, valid_from=iso, confidence=0.8,
                                       evidence=s, kind="change" if change else "stated"))  # fmt: skip

    def _places(self, s: str, ctx: ExtractContext, out: Extraction, author: str, day: date | None) -> None:
        if not re.search(r"\b(?:I|we|We|I've|we've|I'm|we're|I’ve|we’ve|I’m|we’re)\b", s):
            return
        iso = day.isoformat() if day else None
        m = re.search(rf"\bmov(?:ed|ing)\s+from\s+(?P<old>{_PLACE})\s+to\s+(?P<new>{_PLACE})", s)
        if m:
            when = self._when(s[m.end() :], day) or iso
            old, new = (
                ctx.entity(_clean_value(m.group("old")), "place"),
                ctx.entity(_clean_value(m.group("new")), "place"),
            )
            if old:
                out.facts.append(Claim(author, "lives_in", object_id=old, valid_to=when, confidence=0.8, evidence=s,
                                       valid_from=None, kind="ended"))  # fmt: skip
            if new:
                out.facts.append(Claim(author, "lives_in", object_id=new, valid_from=when, confidence=0.85, evidence=s,
                                       kind="change"))  # fmt: skip
            return
        m = re.search(
            rf"{_I}\s+(?:just\s+|finally\s+|officially\s+|have\s+|had\s+)?(?:moved|relocated)\s+(?:in\s+)?to\s+(?P<new>{_PLACE})",
            s,
        )
        if m:
            when = self._when(s[m.end() :], day) or iso
            new = ctx.entity(_clean_value(m.group("new")), "place")
            if new:
                out.facts.append(Claim(author, "lives_in", object_id=new, valid_from=when, confidence=0.85, evidence=s,
                                       kind="change"))  # fmt: skip
            return
        m = re.search(rf"{_I}\s+(?:now\s+|still\s+|currently\s+)?(?:live|living|based)\s+in\s+(?P<p>{_PLACE})", s)
        if m:
            place = ctx.entity(_clean_value(m.group("p")), "place")
            if place:
                out.facts.append(Claim(author, "lives_in", object_id=place, valid_from=iso, confidence=0.75,
                                       evidence=s))  # fmt: skip

    def _work(self, s: str, ctx: ExtractContext, out: Extraction, author: str, day: date | None) -> None:
        iso = day.isoformat() if day else None
        m = re.search(
            rf"\b(?:I|I've|I’ve)\s+(?:just\s+|officially\s+)?(?:started|start|joined|join|accepted an offer from|"
            rf"signed with)\s+(?:a\s+new\s+job\s+|work\s+|working\s+)?(?:at|with|for)?\s*(?P<org>{_ORG})",
            s,
        ) or re.search(rf"\b[Mm]y\s+first\s+day\s+at\s+(?P<org>{_ORG})", s)
        if m and m.group("org").split()[0] not in _NOT_NAMES:
            when = self._when(s[m.end() :], day) or iso
            org = ctx.entity(_clean_value(m.group("org")), "organisation")
            if org:
                out.facts.append(Claim(author, "works_at", object_id=org, valid_from=when, confidence=0.8, evidence=s,
                                       kind="change"))  # fmt: skip
            return
        m2 = re.search(
            rf"\b(?:I|I'm|I’m)\s+(?:still\s+|now\s+|currently\s+)?work(?:ing)?\s+(?:at|for)\s+(?P<org>{_ORG})", s
        )
        m = m2
        if m and m.group("org").split()[0] not in _NOT_NAMES:
            org = ctx.entity(_clean_value(m.group("org")), "organisation")
            if org:
                out.facts.append(Claim(author, "works_at", object_id=org, valid_from=iso, confidence=0.75, evidence=s))
            return
        m = re.search(rf"\b(?:I|I've|I’ve)\s+(?:just\s+)?(?:left|quit|resigned from)\s+(?P<org>{_ORG})", s)
        if m and m.group("org").split()[0] not in _NOT_NAMES:
            org = ctx.entity(_clean_value(m.group("org")), "organisation")
            if org:
                out.facts.append(Claim(author, "works_at", object_id=org, valid_to=iso, confidence=0.75, evidence=s,
                                       kind="ended"))  # fmt: skip

    def _others(self, s: str, ctx: ExtractContext, out: Extraction, author: str, day: date | None) -> None:
        """Where someone else lives or works, as the author says it ("my sister lives in Berlin", "Tom moved to
        Porto", "Mum started at the Lisbon Library"). A bare name counts only when it is a person already known."""
        iso = day.isoformat() if day else None
        who_pattern = rf"(?P<who>{_KIN}|{_NAME})"
        checks: Sequence[tuple[str, str, str, str]] = (
            (rf"{who_pattern}\s+(?:now\s+|still\s+|currently\s+)?(?:lives|is living|is based|has lived)\s+in\s+(?P<v>{_PLACE})", "lives_in", "place", "stated"),  # noqa: E501
            (rf"{who_pattern}\s+(?:(?:has|just|finally|recently)\s+)*(?:moved|relocated)\s+(?:back\s+)?to\s+(?P<v>{_PLACE})", "lives_in", "place", "change"),  # noqa: E501
            (rf"{who_pattern}\s+(?:now\s+|still\s+|currently\s+)?works\s+(?:at|for)\s+(?P<v>{_ORG})", "works_at", "organisation", "stated"),  # noqa: E501
            (rf"{who_pattern}\s+(?:(?:has|just)\s+)*(?:started|joined)\s+(?:a\s+new\s+job\s+|working\s+)?(?:at|with)\s+(?P<v>{_ORG})", "works_at", "organisation", "change"),  # noqa: E501
        )  # fmt: skip
        for pattern, predicate, type_, kind in checks:
            m = re.search(pattern, s)
            if not m or m.group("v").split()[0] in _NOT_NAMES:
                continue
            who, via = self._who(m.group("who"), ctx, author, create=False)
            if (who is None and via is None) or who == author:
                continue
            value = ctx.entity(_clean_value(m.group("v")), type_)
            if value is None:
                continue
            when = (self._when(s[m.end() :], day) or iso) if kind == "change" else iso
            out.facts.append(Claim(who or author, predicate, object_id=value, valid_from=when, confidence=0.75,
                                   evidence=s, kind=kind, via=via))  # fmt: skip

    @staticmethod
    def _when(rest: str, day: date | None) -> str | None:
        """A date stated right after a change ("moved to Porto on 12 July")."""
        if day is None:
            return None
        m = re.match(rf"\s*(?:on|in|from|since|,)?\s*({DATE_PATTERN})", rest, re.IGNORECASE)
        if not m:
            return None
        found, _ = find_date(m.group(1), day)
        return found.isoformat() if found else None

    def _dates(self, s: str, ctx: ExtractContext, out: Extraction, author: str, day: date | None) -> None:
        ref = day or date(2000, 1, 1)
        for m in re.finditer(
            rf"(?:(?P<kin>{_KIN})['’]s|(?P<my>\b[Mm]y|\b[Oo]ur)|(?P<name>{_NAME})['’]s?)\s+(?P<what>birthday|anniversary)\s+(?:is|falls|was)\s+"
            rf"(?:on\s+)?(?P<date>{DATE_PATTERN})",
            s,
            re.IGNORECASE,
        ):
            found, _ = find_date(m.group("date"), ref)
            if found is None or re.fullmatch(r"(?:next\s+|this\s+)?\w+day|today|tomorrow", m.group("date").lower()):
                continue
            who: str | None = author
            via: str | None = None
            named = m.group("kin") or m.group("name")
            if named:
                who, via = self._who(named, ctx, author)
            has_year = bool(re.search(r"\d{4}", m.group("date")))
            value = found.isoformat() if has_year else f"--{found:%m-%d}"
            if who or via:
                out.facts.append(Claim(who or author, m.group("what").lower(), object_value=value, confidence=0.8,
                                       evidence=s, via=via))  # fmt: skip
        born = re.search(rf"(?P<name>I|{_KIN}|{_NAME})\s+was\s+born\s+(?:on\s+)?(?P<date>{DATE_PATTERN})", s)
        if born:
            found, _ = find_date(born.group("date"), ref)
            who, via = self._who(born.group("name"), ctx, author)
            if found and (who or via):
                has_year = bool(re.search(r"\d{4}", born.group("date")))
                value = found.isoformat() if has_year else f"--{found:%m-%d}"
                out.facts.append(Claim(who or author, "birthday", object_value=value, confidence=0.8, evidence=s,
                                       via=via))  # fmt: skip

    def _health(self, s: str, ctx: ExtractContext, out: Extraction, author: str, iso: str | None) -> None:
        subject_pattern = rf"(?P<who>I|I'm|I’m|I am|{_KIN}|{_NAME})"
        checks: Sequence[tuple[str, str]] = (
            (rf"{subject_pattern}\s*(?:is|am|are|'s|’s)?\s*(?:also\s+|severely\s+|very\s+|mildly\s+|really\s+|badly\s+)?allergic\s+to\s+(?P<v>[\w\s\-]+)", "allergy"),  # noqa: E501
            (rf"{subject_pattern}\s*(?:was|were|got|have been|has been|'ve been|’ve been|'s been|’s been|been|am|is)?\s*(?:just\s+|recently\s+)?diagnosed\s+with\s+(?P<v>[\w\s\-']+)", "condition"),  # noqa: E501
            (rf"{subject_pattern}\s*(?:started|am|is|'m|’m|'s|’s|have been|has been|'ve been|’ve been|'s been|’s been)\s+(?:now\s+)?(?:taking|on)\s+(?P<v>[A-Za-z][\w\-]+(?:\s+\d+\s?mg)?)\s+(?:daily|every|for|twice|once|\d)", "medication"),  # noqa: E501
            (rf"{subject_pattern}\s*(?:was|were|got|have been|has been|'s been|’s been)\s+prescribed\s+(?P<v>[A-Za-z][\w\-]+(?:\s+\d+\s?mg)?)", "medication"),  # noqa: E501
        )  # fmt: skip
        for pattern, predicate in checks:
            m = re.search(pattern, s)
            if not m:
                continue
            who, via = self._who(m.group("who"), ctx, author)
            value = _clean_value(m.group("v"))
            value = re.sub(r"\s+(?:now|too|as well|apparently|again)$", "", value)
            if (who or via) and value and not re.match(r"^(?:anything|nothing|something)$", value, re.IGNORECASE):
                if re.search(r"\b(?:not|n't|no longer)\b", s[: m.start("v")]) and predicate != "medication":
                    continue
                out.facts.append(Claim(who or author, predicate, valid_from=iso, confidence=0.8, evidence=s, via=via,
                                       object_value=value.lower() if predicate == "allergy" else value))  # fmt: skip

    def _money_and_prefs(self, s: str, out: Extraction, author: str, iso: str | None) -> None:
        m = re.search(r"\b(?:I'm|I’m|I am|we're|we’re|we are|I've been|we've been)\s+(?:still\s+)?saving\s+(?:up\s+)?for\s+(?P<v>(?:a|an|the|my|our)\s+[\w\s\-]+)", s, re.IGNORECASE)  # fmt: skip  # noqa: E501
        if m:
            out.facts.append(Claim(author, "saving_for", object_value=_clean_value(m.group("v")), valid_from=iso,
                                   confidence=0.8, evidence=s))  # fmt: skip
        m = re.search(r"(?P<amount>[€$£]\s?\d+(?:[.,]\d{2})?|\d+(?:[.,]\d{2})?\s?(?:€|EUR|USD|GBP|euros?|dollars?|pounds?))\s*(?:a|per|/|every)\s*(?P<period>month|year|week|mo|yr)\b", s, re.IGNORECASE)  # fmt: skip  # noqa: E501
        sub = re.search(r"\b(?:my|our)\s+(?P<name>[A-Z][\w+\-]*(?:\s+[A-Z][\w+\-]*)?)\s+(?:subscription|membership|plan)\b", s) or re.search(r"\b(?:subscribed|signed up|renewed)\s+(?:to|for)\s+(?P<name>[A-Z][\w+\-]*(?:\s+[A-Z][\w+\-]*)?)", s)  # fmt: skip  # noqa: E501
        if sub and sub.group("name").split()[0] not in _NOT_NAMES:
            value = sub.group("name")
            if m:
                value += f" ({m.group('amount').strip()}/{m.group('period').lower()[:5].replace('mo', 'month')})"
            out.facts.append(Claim(author, "subscription", object_value=value, valid_from=iso, confidence=0.75,
                                   evidence=s))  # fmt: skip
        diet = re.search(rf"\b(?:I've|I’ve|I have|I'm|I’m|I am|we've|we’ve)\s+(?:now\s+|officially\s+|just\s+)?(?:gone|become|turned|going|been)?\s*(?:fully\s+)?({'|'.join(SINGLE_DIETS)})\b", s, re.IGNORECASE)  # fmt: skip  # noqa: E501
        if diet and not re.search(r"\b(?:not|no longer|n't)\b", s[: diet.start(1)]):
            out.facts.append(Claim(author, "diet", object_value=diet.group(1).lower(), valid_from=iso, confidence=0.8,
                                   evidence=s, kind="change"))  # fmt: skip
        for m2 in re.finditer(r"\bI\s+(?:really\s+)?(?P<pol>love|adore|prefer|hate|can't stand|avoid|don't eat|don't drink|never drink|never eat)\s+(?P<v>[\w\s\-]{3,40})", s):  # fmt: skip  # noqa: E501
            polarity = "likes" if m2.group("pol") in ("love", "adore", "prefer") else "dislikes"
            value = _clean_value(m2.group("v"))
            if value and len(value.split()) <= 5 and not re.match(r"^(?:you|it|that|this|him|her|them)\b", value):
                out.facts.append(Claim(author, polarity, object_value=value, valid_from=iso, confidence=0.7,
                                       evidence=s))  # fmt: skip
        events = re.search(
            r"\b(?:I|we|We)\s+(?:just\s+|finally\s+)?(?P<v>got engaged|got married|had a baby|graduated|got promoted"
            r"(?:\s+to\s+[\w\s]+)?|got divorced|retired|bought a (?:house|flat|car|home)|adopted a (?:dog|cat)"
            r"|passed my driving test|ran (?:a|my first) (?:half )?marathon)",
            s,
        )
        if events:
            out.facts.append(Claim(author, "life_event", object_value=_clean_value(events.group("v")), valid_from=iso,
                                   confidence=0.8, evidence=s))  # fmt: skip


@hookimpl
def register_extractors() -> list[type[Extractor]]:
    return [DeterministicExtractor]
