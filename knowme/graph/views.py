"""The graph as people see it: people, a person's profile, facts as of a date, a timeline; and the user's own
corrections (merge two people, split an alias off), which are pinned so later ingests respect them.

Everything returns frozen dataclasses with the refs of the records behind each item. A name is looked up by any
alias (accents and case ignored; a first name when only one person has it); an unknown or ambiguous name raises
:class:`~knowme.errors.ConfigError` naming the candidates, so the CLI shows one clear line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from knowme.errors import ConfigError
from knowme.extract.resolve import Resolver, alias_keys
from knowme.models import stable_hash
from knowme.models.graph import USER_ID, Alias, Entity, Fact
from knowme.store.base import Store
from knowme.text.names import first_name, name_key


@dataclass(frozen=True)
class FactView:
    subject: str
    predicate: str
    value: str
    valid_from: str | None
    valid_to: str | None
    refs: tuple[str, ...]
    extractor: str
    confidence: float
    invalidated_at: str | None = None  # set when another claim about the same time won (kept, not erased)
    superseded_by: str | None = None  # the standing claim's value


@dataclass(frozen=True)
class PersonSummary:
    id: str
    name: str
    type: str
    aliases: tuple[str, ...]
    relationship: tuple[str, ...]  # how they relate to the user ("mother", "manager")
    records: int


@dataclass(frozen=True)
class PersonProfile:
    summary: PersonSummary
    facts: tuple[FactView, ...]
    merges: tuple[str, ...]  # why aliases were joined
    interactions: tuple[tuple[str, str, str], ...]  # (date, kind, ref), most recent first
    commitments: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class TimelineEntry:
    day: str
    what: str
    refs: tuple[str, ...]


def entity_names(store: Store) -> dict[str, str]:
    """Every entity's id and name."""
    return {e.id: e.name for e in store.graph().entities()}


def fact_view(store: Store, fact: Fact, names: dict[str, str]) -> FactView:
    value = names.get(fact.object_id or "", "?") if fact.object_id else fact.object_value or ""
    refs = tuple(dict.fromkeys(s.ref for s in store.graph().sources("fact", fact.id)))
    winner = None
    if fact.invalidated_at:
        rivals = store.graph().facts(subject_id=fact.subject_id, predicate=fact.predicate)
        winner = next((f for f in rivals if f.id == fact.attributes.get("superseded_by")), None)
    return FactView(
        subject=names.get(fact.subject_id, "?"),
        predicate=fact.predicate,
        value=value,
        valid_from=fact.valid_from,
        valid_to=fact.valid_to,
        refs=refs,
        extractor=f"{fact.extractor}/{fact.extractor_version}",
        confidence=fact.confidence,
        invalidated_at=fact.invalidated_at,
        superseded_by=(names.get(winner.object_id or "", "?") if winner.object_id else winner.object_value)
        if winner
        else None,
    )


def find_entity(store: Store, name: str) -> Entity:
    graph = store.graph()
    if name.lower() in ("me", "myself", "i"):
        user = graph.get_entity(USER_ID)
        assert user is not None
        return user
    key = name_key(name)
    aliases = graph.aliases()
    hits = {a.entity_id for a in aliases if key and key in [k.split(":", 1)[1] for k in alias_keys(a.alias, a.kind)]}
    if not hits:
        hits = {a.entity_id for a in aliases if a.kind == "email" and a.alias.lower() == name.lower()}
    if not hits and " " not in key:
        hits = {a.entity_id for a in aliases if a.kind == "name" and first_name(a.alias) == key}
    entities = [e for e in (graph.get_entity(h) for h in sorted(hits)) if e is not None]
    if not entities:
        raise ConfigError(f"nobody called {name!r} in the graph; see `knowme people`")
    if len(entities) > 1:
        raise ConfigError(f"{name!r} is ambiguous: {', '.join(e.name for e in entities)}; use a full name")
    return entities[0]


def people(store: Store) -> list[PersonSummary]:
    graph = store.graph()
    relations: dict[str, list[str]] = {}
    for fact in graph.facts(subject_id=USER_ID):
        if fact.object_id and fact.valid_to is None:
            relations.setdefault(fact.object_id, []).append(fact.predicate)
    out = []
    for entity in graph.entities(type="person"):
        out.append(
            PersonSummary(
                id=entity.id,
                name=entity.name,
                type=entity.type,
                aliases=tuple(a.alias for a in graph.aliases(entity.id)),
                relationship=tuple(dict.fromkeys(relations.get(entity.id, []))),
                records=len(graph.sources("entity", entity.id)),
            )
        )
    return sorted(out, key=lambda p: (p.id != USER_ID, -p.records, p.name))


def person(store: Store, name: str) -> PersonProfile:
    entity = find_entity(store, name)
    graph = store.graph()
    names = entity_names(store)
    summary = next(p for p in people(store) if p.id == entity.id)
    facts = [fact_view(store, f, names) for f in graph.facts(subject_id=entity.id)]
    facts += [fact_view(store, f, names) for f in graph.facts(object_id=entity.id) if f.subject_id == USER_ID]
    merges = tuple(f"{m.merged_name}: {m.reason}" for m in graph.merges(entity.id))
    sources = graph.sources("entity", entity.id)
    interactions = tuple((s.timestamp or "", s.kind, s.ref) for s in reversed(sources[-10:]))
    commitments = tuple(
        f"{c.direction}: {c.what}" + (f" (due {c.due})" if c.due else "") + f" [{c.status}]"
        for c in graph.commitments(counterparty_id=entity.id)
    )
    return PersonProfile(summary, tuple(facts), merges, interactions, commitments)


def facts(store: Store, *, as_of: date | None = None, about: str | None = None) -> list[FactView]:
    graph = store.graph()
    names = entity_names(store)
    if about:
        entity = find_entity(store, about)
        chosen = graph.facts(subject_id=entity.id) + [
            f for f in graph.facts(object_id=entity.id) if f.subject_id != entity.id
        ]
    else:
        chosen = graph.facts()
    if as_of is not None:
        day = as_of.isoformat()
        chosen = [
            f
            for f in chosen
            if (f.valid_from or "") <= day and (f.valid_to is None or day < f.valid_to) and f.invalidated_at is None
        ]
    return [fact_view(store, f, names) for f in chosen]


def timeline(
    store: Store, *, since: date | None = None, until: date | None = None, person_name: str | None = None
) -> list[TimelineEntry]:
    graph = store.graph()
    names = entity_names(store)
    who = find_entity(store, person_name).id if person_name else None
    entries: list[TimelineEntry] = []
    for fact in graph.facts():
        if not fact.valid_from or (who and who not in (fact.subject_id, fact.object_id)):
            continue
        view = fact_view(store, fact, names)
        entries.append(TimelineEntry(fact.valid_from, f"{view.subject}: {fact.predicate} {view.value}", view.refs))
    for c in graph.commitments(counterparty_id=who):
        if c.made_at:
            refs = tuple(s.ref for s in graph.sources("commitment", c.id))
            whom = names.get(c.counterparty_id or "", "someone")
            entries.append(TimelineEntry(c.made_at[:10], f"commitment ({c.direction}, {whom}): {c.what}", refs))
    lo, hi = (since.isoformat() if since else ""), (until.isoformat() if until else "9999")
    return sorted((e for e in entries if lo <= e.day[:10] <= hi), key=lambda e: e.day)


def merge_people(store: Store, keep: str, drop: str) -> Entity:
    """Join two people (the second into the first); pinned, so later ingests keep them together."""
    a, b = find_entity(store, keep), find_entity(store, drop)
    graph = store.graph()
    with store.transaction():
        resolver = Resolver(store)
        for alias in graph.aliases(b.id):
            for key in alias_keys(alias.alias, alias.kind):
                graph.pin_alias(key, a.id, "merged by the user")
        kept = resolver.merge(a.id, b.id, "merged by the user")
    entity = graph.get_entity(kept)
    assert entity is not None
    return entity


def split_person(store: Store, name: str, alias: str) -> Entity:
    """Move ``alias`` (and what only it brought) off ``name`` into a person of its own; pinned there."""
    entity = find_entity(store, name)
    graph = store.graph()
    match = next((a for a in graph.aliases(entity.id) if a.alias.lower() == alias.lower()), None)
    if match is None:
        known = ", ".join(a.alias for a in graph.aliases(entity.id))
        raise ConfigError(f"{entity.name} has no alias {alias!r}; aliases: {known}")
    new_id = stable_hash("split", entity.id, match.alias, datetime.now(UTC).isoformat(), length=16)
    with store.transaction():
        new = Entity(new_id, entity.type, match.alias, {"split_from": entity.id})
        graph.put_entity(new)
        records = [s.record_id for s in graph.sources("alias", f"{entity.id}\x1f{match.alias}")]
        graph.remove_alias(entity.id, match.alias)
        graph.add_alias(Alias(new_id, match.alias, match.kind, "split off by the user"))
        graph.add_provenance("alias", f"{new_id}\x1f{match.alias}", records)
        graph.add_provenance("entity", new_id, records)
        for key in alias_keys(match.alias, match.kind):
            graph.pin_alias(key, new_id, "split off by the user")
    return new
