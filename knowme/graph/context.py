"""Graph-aware context: what the graph knows about the people a question names, as cited passages for ``ask``.

A question that names someone in the graph ("When is Rosa's birthday?", "What does Tom do now?") gets, ahead of
the retrieved passages, one short passage per fact about that person that is true on the question's date (as of
``as_of``): ``Rosa Lima: birthday 1961-04-12``. Each passage cites the record the fact came from, so the model sees
the settled value and the user can check it. Names are matched on whole words: full names and aliases, or a first
name only one person in the graph has; the owner ("me") is never matched this way (every question is about them).
At most ``MAX_PEOPLE`` people and ``MAX_FACTS`` facts each, so the retrieved passages keep most of the budget.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from knowme.extract.extractors import BARE_KIN
from knowme.graph.lookup import RELATION_PATTERN as _REL
from knowme.graph.lookup import GraphLookup
from knowme.graph.views import entity_names, fact_view
from knowme.models import Hit
from knowme.models.graph import USER_ID
from knowme.store.base import Store
from knowme.text.names import name_key

MAX_PEOPLE = 2
MAX_FACTS = 6
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_KIN = "|".join(sorted(BARE_KIN, key=len, reverse=True))
_RELATIVE = re.compile(  # "my brother", "our landlord"; "Mum" unless it is someone's ("Caroline's mum", "her dad")
    rf"\b(?:my|our)\s+(?:current\s+|new\s+)?(?:{_REL})\b|(?<!['’]s )(?<!\bher )(?<!\bhis )(?<!\btheir )\b(?:{_KIN})\b",
    re.IGNORECASE,
)


def people_named(store: Store, question: str) -> list[str]:
    """Ids of the graph's people whose name or alias the question contains, in order of first mention."""
    words = [name_key(w) for w in _WORD.findall(question)]
    text = " " + " ".join(w for w in words if w) + " "
    first_names: dict[str, set[str]] = {}
    found: dict[str, int] = {}
    for alias in store.graph().aliases():
        if alias.entity_id == USER_ID or alias.kind not in ("name", "nickname"):
            continue
        key = name_key(alias.alias)
        if not key:
            continue
        position = text.find(f" {key} ")
        if position >= 0:
            found[alias.entity_id] = min(position, found.get(alias.entity_id, position))
        first = key.split()[0]
        if len(first) > 2:
            first_names.setdefault(first, set()).add(alias.entity_id)
    for first, owners in first_names.items():
        position = text.find(f" {first} ")
        if position >= 0 and len(owners) == 1:
            (owner,) = owners
            found[owner] = min(position, found.get(owner, position))
    return sorted(found, key=lambda entity_id: found[entity_id])[:MAX_PEOPLE]


def relatives_named(store: Store, question: str, today: date) -> list[str]:
    """The names of the people ``question`` points at by their relation to the owner ("my brother", "our landlord",
    "Mum"), as the graph knows them on ``today``; someone else's relative ("Caroline's mum") is not the owner's."""
    found: list[str] = []
    answerer: GraphLookup | None = None
    for match in _RELATIVE.finditer(question):
        answerer = answerer or GraphLookup(store, today)
        entity_id = answerer.person(match.group(0), today)
        if entity_id and entity_id != USER_ID:
            name = answerer.name(entity_id)
            if name != "?" and name not in found:
                found.append(name)
    return found[:MAX_PEOPLE]


def entity_passages(store: Store, question: str, as_of: datetime | date | None = None) -> list[Hit]:
    """Cited one-line passages of the facts about the people ``question`` names, true as of ``as_of``."""
    named = people_named(store, question)
    if not named:
        return []
    day = (as_of.date() if isinstance(as_of, datetime) else as_of or date.today()).isoformat()
    graph = store.graph()
    names = entity_names(store)
    passages: list[Hit] = []
    for entity_id in named:
        current = [
            f
            for f in graph.facts(subject_id=entity_id) + graph.facts(object_id=entity_id)
            if (f.valid_from or "") <= day and (f.valid_to is None or day < f.valid_to) and f.invalidated_at is None
        ]
        current.sort(key=lambda f: (-f.confidence, f.valid_from or ""), reverse=False)
        for fact in current[:MAX_FACTS]:
            view = fact_view(store, fact, names)
            if not view.refs:
                continue
            since = f" (since {view.valid_from})" if view.valid_from else ""
            text = f"{view.subject}: {view.predicate.replace('_', ' ')} {view.value}{since}"
            passages.append(
                Hit(
                    ref=view.refs[0],
                    text=text,
                    source="graph",
                    kind="fact",
                    timestamp=None,
                    score=1.0,
                    title=names.get(entity_id, ""),
                )
            )
    return passages
