"""Lookups on the knowledge graph as of a day: names, standing facts and their refs, relations, and the person a
phrase means ("me", "my mother", "Tom", a nickname). Exact answers (:mod:`knowme.assist.exact`) and the context
passages (:mod:`knowme.graph.context`) are built on them."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date

from knowme.extract.claims import RELATION_WORDS, relation_of
from knowme.extract.extractors import BARE_KIN
from knowme.models.graph import SYMMETRIC, USER_ID, Commitment, Fact
from knowme.store.base import Store
from knowme.text.names import first_name, name_key

#: A regular expression alternation of the relation words ("mother", "landlord"...), longest first.
RELATION_PATTERN = "|".join(sorted((re.escape(w) for w in RELATION_WORDS), key=len, reverse=True))
_REL = RELATION_PATTERN


class GraphLookup:
    """The graph as of a day: entity names, standing facts and their refs, relations, people named in text."""

    def __init__(self, store: Store, today: date) -> None:
        self.store = store
        self.graph = store.graph()
        self.today = today

    def name(self, entity_id: str | None) -> str:
        entity = self.graph.get_entity(entity_id) if entity_id else None
        return entity.name if entity else "?"

    def facts(self, **where: str) -> list[Fact]:
        """The graph's facts that stand: a claim another one superseded (``invalidated_at``) is not an answer."""
        return [f for f in self.graph.facts(**where) if f.invalidated_at is None]

    def refs(self, facts: list[Fact] | list[Commitment], limit: int = 3) -> list[str]:
        found: list[str] = []
        for item in facts:
            kind = "fact" if isinstance(item, Fact) else "commitment"
            for source in reversed(self.graph.sources(kind, item.id)):
                if source.ref not in found:
                    found.append(source.ref)
        return found[:limit]

    def as_of(self, commitment: Commitment) -> Commitment | None:
        """The commitment as it stood on the answerer's day: not yet made (None), or open until it was delivered."""
        day = self.today.isoformat()
        if commitment.made_at and commitment.made_at[:10] > day:
            return None
        if commitment.status == "done" and commitment.done_at and commitment.done_at[:10] > day:
            return replace(commitment, status="open", done_at=None, done_record_id=None)
        return commitment

    def valid_at(self, facts: list[Fact], when: date) -> list[Fact]:
        day = when.isoformat()
        valid = [f for f in facts if (f.valid_from or "") <= day and (f.valid_to is None or day < f.valid_to)]
        return sorted(valid, key=lambda f: (f.valid_from or "", f.confidence), reverse=True)

    def relation(self, subject: str, predicate: str, when: date) -> list[Fact]:
        facts = self.facts(subject_id=subject, predicate=predicate)
        if predicate in SYMMETRIC:
            facts += [
                Fact(
                    f.id,
                    subject,
                    predicate,
                    f.subject_id,
                    None,
                    f.valid_from,
                    f.valid_to,
                    f.recorded_at,
                    None,
                    f.confidence,
                    f.extractor,
                    f.extractor_version,
                    f.attributes,
                )  # fmt: skip
                for f in self.facts(object_id=subject, predicate=predicate)
            ]
        return self.valid_at([f for f in facts if f.object_id], when)

    def person(self, text: str, when: date) -> str | None:
        """``me``, ``my mother``, ``Tom``, ``Tom Becker``, ``Jota`` → an entity id (None when unknown/ambiguous)."""
        text = re.sub(r"['’]s?$", "", text.strip(" ?.,")).strip()
        low = text.lower()
        if low in ("i", "me", "my", "myself"):
            return USER_ID
        m = re.fullmatch(rf"(?:(?:my|our)\s+(?:current\s+|new\s+)?)?({_REL})", low) if low in BARE_KIN else None
        m = m or re.fullmatch(rf"(?:my|our)\s+(?:current\s+|new\s+)?({_REL})", low)
        if m:
            rel = relation_of(m.group(1))
            facts = self.relation(USER_ID, rel, when) if rel else []
            return facts[0].object_id if facts else None
        key = name_key(text)
        if not key:
            return None
        hits: set[str] = set()
        for alias in self.graph.aliases():
            alias_key = name_key(alias.alias) if alias.kind in ("name", "nickname") else ""
            if alias_key == key:
                hits.add(alias.entity_id)
        if not hits and " " not in key:
            for alias in self.graph.aliases():
                if alias.kind == "name" and " " in alias.alias and first_name(alias.alias) == key:
                    hits.add(alias.entity_id)
        persons = {h for h in hits if (e := self.graph.get_entity(h)) is not None and e.type == "person"}
        return next(iter(persons)) if len(persons) == 1 else None
