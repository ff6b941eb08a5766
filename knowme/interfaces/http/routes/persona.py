"""The persona over HTTP: preferences (``/api/preferences``), feedback (``POST /api/feedback``) and the digest
(``GET /api/digest``). All of it is the owner's: a client's grant reaches none of these endpoints.

Preferences: ``GET`` lists them (``?include_hidden=true`` adds hidden ones), ``POST`` states a new one (scope
guessed from the words unless given), ``PATCH /api/preferences/{id}`` edits one, ``DELETE`` removes a stated or
learned one (an inferred one is hidden: its source record stays). An unknown id is a 404.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, ConfigDict, Field, model_validator

from knowme.assist.digest import Digest
from knowme.errors import ConfigError
from knowme.interfaces.http.auth import Principal, require
from knowme.interfaces.http.deps import VaultDep
from knowme.interfaces.http.errors import NotFound
from knowme.interfaces.http.schemas import When, present
from knowme.models.persona import Feedback, Preference

router = APIRouter(tags=["persona"])

IdParam = Annotated[str, Path(min_length=1, max_length=100, description="The preference's id (see GET).")]


class PreferenceOut(BaseModel):
    id: str
    statement: str
    polarity: str = Field(description="prefer or avoid.")
    strength: float
    scope: str = Field(description="scheduling, food, writing, money, ... or general.")
    origin: str = Field(description="stated, inferred (from the user's own words) or feedback.")
    active: bool
    refs: list[str] = Field(description="The records an inferred preference rests on.")
    provenance: dict[str, Any]
    created_at: str
    updated_at: str

    @classmethod
    def of(cls, p: Preference) -> PreferenceOut:
        return cls(
            id=p.id, statement=p.statement, polarity=p.polarity, strength=p.strength, scope=p.scope, origin=p.origin,
            active=p.active, refs=list(p.refs), provenance=dict(p.provenance), created_at=p.created_at,
            updated_at=p.updated_at,
        )  # fmt: skip


class PreferencesOut(BaseModel):
    preferences: list[PreferenceOut]


class PreferIn(BaseModel):
    statement: str = Field(max_length=2000, pattern=r"\S", description='"never book meetings before 10:00"')
    avoid: bool = Field(default=False, description="A dislike or a thing to stay away from.")
    scope: str | None = Field(
        default=None, max_length=50, pattern=r"\S", description="Guessed from the words if absent."
    )
    strength: float = Field(default=1.0, ge=0.0, le=1.0)


class PreferenceEditIn(BaseModel):
    statement: str | None = Field(default=None, max_length=2000, pattern=r"\S")
    scope: str | None = Field(default=None, max_length=50, pattern=r"\S")
    strength: float | None = Field(default=None, ge=0.0, le=1.0)
    active: bool | None = Field(default=None, description="false hides it from answers without deleting it.")


class FeedbackIn(BaseModel):
    """A rating, a correction, or both."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"anyOf": [present("rating"), present("correction")]})

    ref: str = Field(min_length=1, max_length=4000, description="What is rated: a hit's ref, an answer's citation...")
    rating: Literal[1, -1] | None = Field(default=None, description="+1 or -1.")
    correction: str | None = Field(default=None, max_length=4000, pattern=r"\S", description="A rule or a fact.")
    query: str | None = Field(default=None, max_length=1000, description="The query a rated hit was shown for.")
    target_type: Literal["hit", "answer", "draft", "suggestion"] = "hit"
    as_of: When | None = None

    @model_validator(mode="after")
    def _rating_or_correction(self) -> FeedbackIn:
        if self.rating is None and self.correction is None:
            raise ValueError("give a rating (+1 or -1) or a correction")
        return self


class FeedbackOut(BaseModel):
    id: str
    target_type: str
    target_id: str
    rating: int | None
    correction: str | None
    created_at: str
    became: dict[str, Any] = Field(description="What a correction became (a preference id, a record and facts).")

    @classmethod
    def of(cls, f: Feedback) -> FeedbackOut:
        became = {k: v for k, v in f.detail.items() if k in ("preference", "record", "facts")}
        return cls(
            id=f.id, target_type=f.target_type, target_id=f.target_id, rating=f.rating, correction=f.correction,
            created_at=f.created_at, became=became,
        )  # fmt: skip


class DigestItemOut(BaseModel):
    kind: str = Field(description="birthday, anniversary, commitment_mine, commitment_theirs, awaiting_reply, ...")
    title: str
    date: str
    people: list[str]
    refs: list[str]
    detail: str
    overdue: bool


class DigestOut(BaseModel):
    as_of: str
    days: int
    items: list[DigestItemOut]

    @classmethod
    def of(cls, d: Digest) -> DigestOut:
        items = [
            DigestItemOut(
                kind=i.kind,
                title=i.title,
                date=i.date,
                people=list(i.people),
                refs=list(i.refs),
                detail=i.detail,
                overdue=i.overdue,
            )  # fmt: skip
            for i in d.items
        ]
        return cls(as_of=d.as_of, days=d.days, items=items)


@contextmanager
def _known_preference() -> Iterator[None]:
    try:
        yield
    except ConfigError as exc:
        if str(exc).startswith("no preference"):
            raise NotFound(str(exc)) from exc
        raise


@router.get("/api/preferences", response_model=PreferencesOut, summary="The user's standing preferences and rules")
def preferences(
    vault: VaultDep,
    _: Annotated[Principal, Depends(require("prefs"))],
    include_hidden: Annotated[bool, Query(description="Also list hidden (inactive) ones.")] = False,
) -> PreferencesOut:
    found = vault.preferences(include_inactive=include_hidden)
    return PreferencesOut(preferences=[PreferenceOut.of(p) for p in found])


@router.post("/api/preferences", response_model=PreferenceOut, status_code=201, summary="State a preference")
def prefer(vault: VaultDep, _: Annotated[Principal, Depends(require("prefs"))], body: PreferIn) -> PreferenceOut:
    return PreferenceOut.of(vault.prefer(body.statement, avoid=body.avoid, scope=body.scope, strength=body.strength))


@router.patch("/api/preferences/{preference_id}", response_model=PreferenceOut, summary="Edit a preference")
def edit_preference(
    vault: VaultDep, _: Annotated[Principal, Depends(require("prefs"))], preference_id: IdParam, body: PreferenceEditIn
) -> PreferenceOut:
    with _known_preference():
        changed = vault.edit_preference(
            preference_id, statement=body.statement, scope=body.scope, strength=body.strength, active=body.active
        )
    return PreferenceOut.of(changed)


@router.delete(
    "/api/preferences/{preference_id}", response_model=PreferenceOut, summary="Remove (or hide an inferred) preference"
)
def remove_preference(
    vault: VaultDep, _: Annotated[Principal, Depends(require("prefs"))], preference_id: IdParam
) -> PreferenceOut:
    with _known_preference():
        return PreferenceOut.of(vault.remove_preference(preference_id))


@router.post("/api/feedback", response_model=FeedbackOut, status_code=201, summary="Rate or correct what was shown")
def feedback(vault: VaultDep, _: Annotated[Principal, Depends(require("feedback"))], body: FeedbackIn) -> FeedbackOut:
    if body.target_type == "hit" and not vault.records(body.ref):
        raise NotFound(f"no record {body.ref!r} in the vault; rate a ref that search or ask showed")
    item = vault.feedback(
        body.ref, rating=body.rating, correction=body.correction, query=body.query, target_type=body.target_type,
        as_of=body.as_of,
    )  # fmt: skip
    return FeedbackOut.of(item)


@router.get("/api/digest", response_model=DigestOut, summary="Birthdays, due commitments, mail awaiting a reply")
def digest(
    vault: VaultDep,
    _: Annotated[Principal, Depends(require("digest"))],
    as_of: Annotated[When | None, Query(description="The first day (default today).")] = None,
    days: Annotated[int, Query(ge=1, le=366, description="How many days ahead.")] = 7,
) -> DigestOut:
    return DigestOut.of(vault.digest(as_of=as_of, days=days))
