"""Shared FastAPI dependencies: the open vault of the running app."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from knowme.vault import Vault


def get_vault(request: Request) -> Vault:
    vault: Vault = request.app.state.vault
    return vault


VaultDep = Annotated[Vault, Depends(get_vault)]
