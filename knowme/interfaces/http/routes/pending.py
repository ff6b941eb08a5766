"""What assistants asked to store or forget through MCP, for the owner to approve over HTTP (``/api/pending``).

The same list as ``knowme pending`` (:mod:`knowme.privacy.pending`): the way to approve in service mode, where there
is no personal vault for the CLI to open, and for the web page. Owner only (scope ``approve``): a client's grant
never reaches it, and an MCP client (which could have been steered by what it read) holds no token that approves.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi import Path as PathParam

from knowme.errors import ConfigError
from knowme.interfaces.http.auth import Principal, require
from knowme.interfaces.http.deps import VaultDep
from knowme.interfaces.http.errors import NotFound
from knowme.privacy.pending import approve, pending, reject

router = APIRouter(tags=["privacy"])
ActionId = Annotated[str, PathParam(pattern=r"^[0-9a-f]{8}$", description="The id the list shows.")]


@router.get("/api/pending", summary="Writes assistants proposed through MCP, waiting for the owner")
def list_pending(vault: VaultDep, _: Annotated[Principal, Depends(require("approve"))]) -> dict[str, Any]:
    return {"pending": [{**asdict(a), "describe": a.describe()} for a in pending(vault.store)]}


@router.post("/api/pending/{action_id}/approve", summary="Do what the assistant asked, as the owner")
def approve_pending(
    vault: VaultDep, _: Annotated[Principal, Depends(require("approve"))], action_id: ActionId
) -> dict[str, str]:
    try:
        return {"done": approve(vault, action_id)}
    except ConfigError as exc:
        raise NotFound(str(exc)) from None


@router.delete("/api/pending/{action_id}", summary="Drop what the assistant asked; nothing changes")
def reject_pending(
    vault: VaultDep, _: Annotated[Principal, Depends(require("approve"))], action_id: ActionId
) -> dict[str, str]:
    try:
        return {"rejected": reject(vault, action_id).describe()}
    except ConfigError as exc:
        raise NotFound(str(exc)) from None
