"""Sovereignty over HTTP: forget with a preview (``POST /api/forget``), export (``POST /api/export``), the audit log
(``GET /api/audit``) and grants (``/api/grants``). All of it is the owner's: a client's grant reaches none of it.

Forget previews unless ``confirm`` is true (the preview is exactly what would go: refs, titles and counts, never
record text). Export writes the file in a private temporary folder, sends it, and deletes it once sent; with a
``passphrase`` it is encrypted. A new grant's token is in the response once and never again (the vault keeps its
hash).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi import Path as PathParam
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field, model_validator
from starlette.background import BackgroundTask

from knowme.interfaces.http.auth import Principal, require
from knowme.interfaces.http.deps import VaultDep
from knowme.interfaces.http.errors import NotFound
from knowme.interfaces.http.schemas import When, present
from knowme.models.governance import SCOPES as GRANT_DATA_SCOPES

router = APIRouter(tags=["privacy"])

EXPORT_NAMES = {"json": "knowme-export.zip", "jsonld": "knowme-export.jsonld", "turtle": "knowme-export.ttl"}
EXPORT_TYPES = {"json": "application/zip", "jsonld": "application/ld+json", "turtle": "text/turtle"}


CRITERIA = ("ref", "source", "person", "before", "query")


class ForgetIn(BaseModel):
    """At least one criterion; they combine with AND."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"anyOf": [present(name) for name in CRITERIA]})

    ref: list[str] | None = Field(default=None, min_length=1, max_length=1000, description="Refs (any of them).")
    source: str | None = Field(default=None, max_length=4000, pattern=r"\S", description="Everything from this source.")
    person: str | None = Field(default=None, max_length=300, pattern=r"\S", description="A person and their records.")
    before: When | None = Field(default=None, description="Only what is dated before this.")
    query: str | None = Field(default=None, max_length=1000, pattern=r"\S", description="Records matching this search.")
    confirm: bool = Field(default=False, description="false (default): only preview what would be forgotten.")

    @model_validator(mode="after")
    def _some_criterion(self) -> ForgetIn:
        if all(getattr(self, name) is None for name in CRITERIA):
            raise ValueError(f"say what to forget: one of {', '.join(CRITERIA)}")
        return self


class ForgetOut(BaseModel):
    dry_run: bool = Field(description="true: a preview, nothing changed.")
    records: list[dict[str, Any]] = Field(description="ref, kind, source, timestamp, title of each record.")
    counts: dict[str, int]
    entities: dict[str, list[str]] = Field(description="People removed from the graph, with their aliases.")
    details: dict[str, Any] = Field(description="Backups removed, other records that mention the person, ...")


class ExportIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    format: Literal["json", "jsonld", "turtle"] = "json"
    passphrase: str | None = Field(default=None, min_length=8, max_length=1000, description="Encrypt the file.")


class AuditEventOut(BaseModel):
    id: int
    at: str
    actor: str = Field(description='The client, "owner", or "model:<backend>".')
    action: str
    detail: dict[str, Any] = Field(description="Grant id, refs shown, counts; never record text.")


class AuditOut(BaseModel):
    events: list[AuditEventOut] = Field(description="Oldest first.")


class GrantOut(BaseModel):
    id: str
    client: str
    scopes: list[str]
    created_at: str
    expires_at: str | None
    revoked_at: str | None
    status: str = Field(description="active, expired or revoked.")


class GrantsOut(BaseModel):
    grants: list[GrantOut]


GrantScope = Literal["mail", "calendar", "contacts", "notes", "chats", "browsing", "documents", "photos", "places",
                     "health", "money", "intimate", "location"]  # fmt: skip
assert set(GrantScope.__args__) == set(GRANT_DATA_SCOPES)  # type: ignore[attr-defined]


class GrantIn(BaseModel):
    client: str = Field(min_length=1, max_length=200, pattern=r"\S", description="Who the grant is for.")
    scopes: list[GrantScope] = Field(min_length=1, max_length=20, description="Kinds of data and sensitive classes.")
    expires: str = Field(
        default="30d", pattern=r"^([1-9][0-9]{0,2}[hdwmy]|never)$", description="30d, 12h, 2w, 6m, 1y or never."
    )


class NewGrantOut(GrantOut):
    token: str = Field(description="The client's token: shown now and never again.")


@router.post("/api/forget", response_model=ForgetOut, summary="Forget records (preview unless confirm is true)")
def forget(vault: VaultDep, _: Annotated[Principal, Depends(require("forget"))], body: ForgetIn) -> ForgetOut:
    result = vault.forget(
        ref=body.ref, source=body.source, person=body.person, before=body.before, query=body.query,
        dry_run=not body.confirm,
    )  # fmt: skip
    data = result.as_dict()
    records, counts, entities = data.pop("records"), data.pop("counts"), data.pop("entities")
    data.pop("dry_run")
    return ForgetOut(dry_run=result.dry_run, records=records, counts=counts, entities=entities, details=data)


@router.post(
    "/api/export",
    summary="Download the whole vault (zip of JSON Lines, JSON-LD or Turtle; encrypted with a passphrase)",
    response_class=FileResponse,
    responses={
        200: {
            "content": {t: {} for t in sorted({*EXPORT_TYPES.values(), "application/octet-stream"})},
            "description": "The file (application/octet-stream when encrypted).",
        }
    },
)
def export(vault: VaultDep, _: Annotated[Principal, Depends(require("export"))], body: ExportIn) -> FileResponse:
    folder = Path(tempfile.mkdtemp(prefix="knowme-export-"))  # mode 0700
    try:
        name = EXPORT_NAMES[body.format] + (".enc" if body.passphrase else "")
        report = vault.export(folder / name, format=body.format, passphrase=body.passphrase)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    media = "application/octet-stream" if report.encrypted else EXPORT_TYPES[body.format]
    cleanup = BackgroundTask(shutil.rmtree, folder, ignore_errors=True)
    return FileResponse(report.path, media_type=media, filename=Path(report.path).name, background=cleanup)


@router.get("/api/audit", response_model=AuditOut, summary="What was disclosed to whom, when, under which grant")
def audit(
    vault: VaultDep,
    _: Annotated[Principal, Depends(require("audit"))],
    actor: Annotated[str | None, Query(max_length=200, description="Only this client (or owner).")] = None,
    limit: Annotated[int | None, Query(ge=1, le=10000, description="Only the newest this many.")] = None,
) -> AuditOut:
    return AuditOut(events=[AuditEventOut(**e.as_dict()) for e in vault.audit(actor=actor, limit=limit)])


@router.get("/api/grants", response_model=GrantsOut, summary="Every grant, active or not")
def grants(vault: VaultDep, _: Annotated[Principal, Depends(require("audit"))]) -> GrantsOut:
    return GrantsOut(grants=[GrantOut(**g.as_dict()) for g in vault.grants()])


@router.post("/api/grants", response_model=NewGrantOut, status_code=201, summary="Lend a slice of the vault")
def add_grant(vault: VaultDep, _: Annotated[Principal, Depends(require("audit"))], body: GrantIn) -> NewGrantOut:
    grant, token = vault.grant(body.client, body.scopes, expires=body.expires)
    return NewGrantOut(**grant.as_dict(), token=token)


@router.delete("/api/grants/{id_or_client}", response_model=GrantsOut, summary="Revoke a grant, or a client's grants")
def revoke(
    vault: VaultDep,
    _: Annotated[Principal, Depends(require("audit"))],
    id_or_client: Annotated[str, PathParam(min_length=1, max_length=200)],
) -> GrantsOut:
    gone = vault.revoke(id_or_client)
    if not gone:
        raise NotFound(f"no active grant with id or client {id_or_client!r}")
    return GrantsOut(grants=[GrantOut(**g.as_dict()) for g in gone])
