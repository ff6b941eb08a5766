"""Reading and adding memories: ``GET /api/search``, ``GET /api/records`` (by ref), ``GET /api/records/recent``,
``POST /api/remember``.

A ref travels as a query parameter (refs hold ``:`` and ``/``: ``web:https://...``). An unknown ref is a 404, and so
is a ref a client's grant does not cover (its existence is not revealed).
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query

from knowme.interfaces.http.auth import Principal, require
from knowme.interfaces.http.deps import VaultDep
from knowme.interfaces.http.errors import NotFound
from knowme.interfaces.http.schemas import HitOut, RecentOut, RecordOut, RecordsOut, RememberIn, SearchOut, When
from knowme.models import KINDS

router = APIRouter(tags=["memory"])

KindName = Literal[
    "email", "event", "contact", "note", "chat_message", "web_visit", "document", "photo", "place_visit"
]  # fmt: skip
assert set(KindName.__args__) == set(KINDS)  # type: ignore[attr-defined]


@router.get("/api/search", response_model=SearchOut, summary="Hybrid search; every hit names its source ref")
def search(
    vault: VaultDep,
    principal: Annotated[Principal, Depends(require("search"))],
    q: Annotated[str, Query(min_length=1, max_length=1000, description="What to look for.")],
    k: Annotated[int, Query(ge=1, le=100, description="How many hits.")] = 10,
    as_of: Annotated[When | None, Query(description="Ignore items dated after this date (YYYY-MM-DD).")] = None,
    kind: Annotated[list[KindName] | None, Query(description="Only these kinds (repeatable).")] = None,
    source: Annotated[list[str] | None, Query(description="Only sources starting with this (repeatable).")] = None,
    since: Annotated[When | None, Query(description="Only items on or after this date.")] = None,
    until: Annotated[When | None, Query(description="Only items on or before this date.")] = None,
    preset: Annotated[Literal["hybrid", "bm25", "dense"], Query(description="Retrieval preset.")] = "hybrid",
    rerank: Annotated[bool, Query(description="Reorder the top hits with the reranker, as ask does (slower).")] = False,
) -> SearchOut:
    hits = vault.search(
        q, k=k, as_of=as_of, kinds=kind or (), sources=source or (), since=since, until=until, preset=preset,
        grant=principal.grant, rerank=rerank,
    )  # fmt: skip
    return SearchOut(query=q, hits=[HitOut.of(h) for h in hits])


@router.get("/api/records", response_model=RecordsOut, summary="The original record(s) behind a ref")
def records(
    vault: VaultDep,
    principal: Annotated[Principal, Depends(require("records"))],
    ref: Annotated[str, Query(min_length=1, max_length=4000, description="A ref such as mail:<Message-ID>.")],
) -> RecordsOut:
    found = vault.records(ref, grant=principal.grant)
    if not found:
        raise NotFound(f"no record with ref {ref!r}")
    return RecordsOut(ref=ref, records=[RecordOut.of(r) for r in found])


@router.get("/api/records/recent", response_model=RecentOut, summary="The newest dated records, newest first")
def recent(
    vault: VaultDep,
    principal: Annotated[Principal, Depends(require("records"))],
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
    kind: Annotated[list[KindName] | None, Query(description="Only these kinds (repeatable).")] = None,
    until: Annotated[When | None, Query(description="Only items on or before this date.")] = None,
) -> RecentOut:
    found = vault.recent(limit, kinds=kind or (), until=until, grant=principal.grant)
    return RecentOut(records=[RecordOut.of(r) for r in found])


@router.post("/api/remember", response_model=RecordOut, status_code=201, summary="Add a note the user states")
def remember(vault: VaultDep, _: Annotated[Principal, Depends(require("remember"))], body: RememberIn) -> RecordOut:
    return RecordOut.of(vault.remember(body.text, title=body.title, source="api"))
