"""Which store ``knowme.open`` uses: the personal vault, or a user's data in the vault service (``KNOWME_STORE``).

Kept apart from :mod:`knowme.store.service` so that opening a personal vault never imports the PostgreSQL driver.
Edge cases: ``KNOWME_STORE`` without ``KNOWME_USER`` is a :class:`~knowme.errors.ConfigError`; commands that only make
sense for a personal vault (``init``, passphrases) say what to do instead.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from knowme.config import environment
from knowme.errors import ConfigError

if TYPE_CHECKING:
    from knowme.llm.embedders import Embedder
    from knowme.store.postgres import PostgresStore


def service_store(make_embedder: Callable[[], Embedder]) -> tuple[PostgresStore, Embedder] | None:
    """The store of ``KNOWME_USER`` in the service ``KNOWME_STORE`` names, with its embedder; None when
    ``KNOWME_STORE`` is unset (the personal vault is used)."""
    env = environment()
    if not env.store:
        return None
    user = (env.user or "").strip()
    if not user:
        raise ConfigError("KNOWME_STORE is set: set KNOWME_USER to the service user whose data to open")
    from knowme.store.service import service_from_env

    embedder = make_embedder()
    service = service_from_env(dim=embedder.dim)
    return service.open_store(user, dim=embedder.dim), embedder


def refuse_in_service_mode(action: str) -> None:
    """A clear error for what only a personal vault has (a passphrase, a vault file) when ``KNOWME_STORE`` is set."""
    if environment().store:
        raise ConfigError(
            f"KNOWME_STORE is set: {action} is for a personal vault; in the vault service, users are created with "
            "`knowme users add NAME` and their data is unlocked by the operator's KNOWME_KEK"
        )
