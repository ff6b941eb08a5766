"""``GET /api/status``: what the vault holds and which areas this server offers; ``GET /healthz``: liveness."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from knowme import __version__
from knowme.interfaces.http.auth import Principal, require
from knowme.interfaces.http.deps import VaultDep
from knowme.interfaces.http.schemas import StatusOut

router = APIRouter(tags=["status"])


@router.get("/api/status", response_model=StatusOut, summary="What the vault holds")
def status(request: Request, vault: VaultDep, _: Annotated[Principal, Depends(require("status"))]) -> StatusOut:
    stats = vault.stats()
    return StatusOut(
        version=__version__,
        records=dict(vault.store.counts()),
        chunks=int(stats["chunks"]),  # type: ignore[call-overload]
        vault_bytes=int(stats["vault_bytes"]),  # type: ignore[call-overload]
        backend=vault.backend.describe(),
        features=dict(request.app.state.features),
    )


@router.get("/healthz", summary="Liveness (no token needed, says nothing about the data)")
def healthz() -> dict[str, bool]:
    return {"ok": True}
