"""Shared FastAPI dependencies: the vault a request works on.

On a personal server that is the app's one vault. In service mode (``knowme serve --store``) the app has no vault
of its own (``app.state.vault`` is None): the bearer token names the user, and the request gets that user's vault
(see :mod:`knowme.interfaces.hosting`); a request without a valid token is a 401 before any vault is touched.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials

from knowme.interfaces.http.auth import bearer_scheme, resolve_request
from knowme.vault import Vault


def get_vault(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)]
) -> Vault:
    vault: Vault | None = request.app.state.vault
    if vault is not None:
        return vault
    return resolve_request(request, credentials.credentials if credentials else None)[1]


VaultDep = Annotated[Vault, Depends(get_vault)]
