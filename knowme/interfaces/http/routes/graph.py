"""The knowledge graph over HTTP: ``GET /api/people``, ``/api/people/{name}`` (a profile),
``/api/people/{name}/graph`` (the neighbourhood, laid out for a picture), ``/api/timeline`` and ``/api/facts``.

A name is any alias of a person (full name, first name when only one person has it, an email address; ``me`` is
the user). Nobody by that name is a 404; a first name two people share is a 400 that names both. Every fact,
timeline entry and interaction carries the refs of the records behind it, for ``/api/records``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, Field

from knowme.errors import ConfigError
from knowme.graph.neighbourhood import Neighbourhood, neighbourhood
from knowme.graph.views import FactView, PersonProfile, PersonSummary, TimelineEntry, find_entity
from knowme.interfaces.http.auth import Principal, require
from knowme.interfaces.http.deps import VaultDep
from knowme.interfaces.http.errors import NotFound
from knowme.interfaces.http.schemas import When
from knowme.vault import Vault

router = APIRouter(tags=["graph"])

NameParam = Annotated[str, Path(min_length=1, max_length=300, description="Any alias of the person; `me` is you.")]


class PersonOut(BaseModel):
    id: str
    name: str
    type: str
    aliases: list[str]
    relationship: list[str] = Field(description="How the person relates to you now (mother, manager...).")
    records: int = Field(description="How many records mention them.")

    @classmethod
    def of(cls, p: PersonSummary) -> PersonOut:
        aliases, relationship = list(p.aliases), list(p.relationship)
        return cls(id=p.id, name=p.name, type=p.type, aliases=aliases, relationship=relationship, records=p.records)


class PeopleOut(BaseModel):
    people: list[PersonOut] = Field(description="You first, then by how often they appear.")


class FactOut(BaseModel):
    subject: str
    predicate: str
    value: str
    valid_from: str | None = Field(description="When it became true (YYYY-MM-DD), if known.")
    valid_to: str | None = Field(description="When it stopped being true; null while it holds.")
    refs: list[str]
    extractor: str
    confidence: float
    invalidated_at: str | None = Field(
        default=None, description="Set when a more reliable claim about the same time stands; the claim is kept."
    )
    superseded_by: str | None = Field(default=None, description="The value of the claim that stands instead.")

    @classmethod
    def of(cls, f: FactView) -> FactOut:
        return cls(
            subject=f.subject,
            predicate=f.predicate,
            value=f.value,
            valid_from=f.valid_from,
            valid_to=f.valid_to,
            refs=list(f.refs),
            extractor=f.extractor,
            confidence=round(f.confidence, 4),
            invalidated_at=f.invalidated_at,
            superseded_by=f.superseded_by,
        )


class FactsOut(BaseModel):
    facts: list[FactOut]


class InteractionOut(BaseModel):
    timestamp: str = Field(description="ISO date-time, or empty for undated records.")
    kind: str
    ref: str


class ProfileOut(BaseModel):
    person: PersonOut
    facts: list[FactOut]
    merges: list[str] = Field(description="Why aliases were joined into this person.")
    interactions: list[InteractionOut] = Field(description="The most recent records about them, newest first.")
    commitments: list[str]

    @classmethod
    def of(cls, p: PersonProfile) -> ProfileOut:
        return cls(
            person=PersonOut.of(p.summary),
            facts=[FactOut.of(f) for f in p.facts],
            merges=list(p.merges),
            interactions=[InteractionOut(timestamp=t, kind=k, ref=r) for t, k, r in p.interactions],
            commitments=list(p.commitments),
        )


class NodeOut(BaseModel):
    id: str
    name: str
    type: str
    x: float
    y: float
    center: bool


class EdgeOut(BaseModel):
    source: str
    target: str
    label: str
    weight: int
    current: bool


class NeighbourhoodOut(BaseModel):
    center: str
    width: int
    height: int
    nodes: list[NodeOut]
    edges: list[EdgeOut]

    @classmethod
    def of(cls, n: Neighbourhood) -> NeighbourhoodOut:
        return cls(
            center=n.center,
            width=n.width,
            height=n.height,
            nodes=[NodeOut(id=x.id, name=x.name, type=x.type, x=x.x, y=x.y, center=x.center) for x in n.nodes],
            edges=[
                EdgeOut(source=e.source, target=e.target, label=e.label, weight=e.weight, current=e.current)
                for e in n.edges
            ],
        )


class TimelineEntryOut(BaseModel):
    day: str
    what: str
    refs: list[str]

    @classmethod
    def of(cls, e: TimelineEntry) -> TimelineEntryOut:
        return cls(day=e.day, what=e.what, refs=list(e.refs))


class TimelineOut(BaseModel):
    entries: list[TimelineEntryOut] = Field(description="Oldest first.")


def known(vault: Vault, name: str) -> str:
    """``name`` if the graph knows exactly one person by it; a 404 when nobody, the 400 of an ambiguous name."""
    try:
        find_entity(vault.store, name)
    except ConfigError as exc:
        if "ambiguous" in str(exc):
            raise
        raise NotFound(str(exc)) from exc
    return name


@router.get("/api/people", response_model=PeopleOut, summary="Everyone in your knowledge graph")
def people(vault: VaultDep, _: Annotated[Principal, Depends(require("graph"))]) -> PeopleOut:
    return PeopleOut(people=[PersonOut.of(p) for p in vault.people()])


@router.get("/api/people/{name}", response_model=ProfileOut, summary="A person's profile, every fact with its refs")
def person(vault: VaultDep, _: Annotated[Principal, Depends(require("graph"))], name: NameParam) -> ProfileOut:
    return ProfileOut.of(vault.person(known(vault, name)))


@router.get(
    "/api/people/{name}/graph", response_model=NeighbourhoodOut, summary="A person's neighbourhood, laid out to draw"
)
def person_graph(
    vault: VaultDep,
    _: Annotated[Principal, Depends(require("graph"))],
    name: NameParam,
    limit: Annotated[int, Query(ge=1, le=40, description="At most this many neighbours.")] = 12,
) -> NeighbourhoodOut:
    return NeighbourhoodOut.of(neighbourhood(vault.store, known(vault, name), limit=limit))


@router.get("/api/timeline", response_model=TimelineOut, summary="Dated facts and commitments, oldest first")
def timeline(
    vault: VaultDep,
    _: Annotated[Principal, Depends(require("graph"))],
    since: Annotated[When | None, Query(description="Only entries on or after this date.")] = None,
    until: Annotated[When | None, Query(description="Only entries on or before this date.")] = None,
    person: Annotated[str | None, Query(min_length=1, max_length=300, description="Only about this person.")] = None,
) -> TimelineOut:
    who = known(vault, person) if person else None
    return TimelineOut(entries=[TimelineEntryOut.of(e) for e in vault.timeline(since, until, who)])


@router.get("/api/facts", response_model=FactsOut, summary="Facts, all or those true on a date, about anyone or one")
def facts(
    vault: VaultDep,
    _: Annotated[Principal, Depends(require("graph"))],
    as_of: Annotated[When | None, Query(description="Only facts true on this date.")] = None,
    about: Annotated[str | None, Query(min_length=1, max_length=300, description="Only about this person.")] = None,
) -> FactsOut:
    who = known(vault, about) if about else None
    return FactsOut(facts=[FactOut.of(f) for f in vault.facts(as_of=as_of, about=who)])
