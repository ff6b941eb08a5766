"""Which service user a bearer token belongs to: the user's own API token, or a client's grant token.

``knowme serve --store`` asks this on every request. The answer comes from two indexes that hold no user content:
``tenants.token_hash`` (the user's API token, made by ``knowme users add``) and ``grant_tokens`` (each grant
token's hash and its tenant, kept by triggers on ``grants``; migration ``pg003_service_tokens``). So a client's
grant token reaches its user without scanning tenants, and the grant itself is then checked inside that user's
data, under row-level security, exactly as on a personal vault.

One connection (as the unprivileged role) serves the lookups of a process, one at a time behind a lock: a lookup is
one indexed query. A lost connection is opened again once; an unreachable database is
:class:`~knowme.errors.StoreUnreachable`. Only SHA-256 digests of tokens travel to the database.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg

from knowme.errors import StoreUnreachable
from knowme.store.postgres import connect, driver_reason


@dataclass(frozen=True)
class TokenOwner:
    """The service user a token opens; ``owner`` is True for the user's own API token, False for a grant token.
    ``since`` is when the user was created: it tells apart two users who had the same name (one removed)."""

    user: str
    owner: bool
    since: datetime


class TokenIndex:
    """Token digest -> :class:`TokenOwner`, read from the service database on every call (nothing is cached)."""

    def __init__(self, conninfo: str) -> None:
        self._conninfo = conninfo
        self._lock = threading.Lock()
        self._conn: psycopg.Connection[Any] | None = None

    def owner_of(self, token_hash: str) -> TokenOwner | None:
        """Whose token has this SHA-256 hex digest, or None for a token the service does not know."""
        with self._lock:
            for attempt in (1, 2):
                if self._conn is None or self._conn.closed:
                    self._conn = connect(self._conninfo, vectors=False)
                try:
                    row = self._conn.execute(
                        "SELECT tenant, true, created_at FROM tenants WHERE token_hash = %(h)s UNION ALL "
                        "SELECT g.tenant, false, t.created_at FROM grant_tokens g JOIN tenants t USING (tenant) "
                        "WHERE g.token_hash = %(h)s LIMIT 1",
                        {"h": token_hash},
                    ).fetchone()
                except psycopg.OperationalError as exc:
                    self._conn.close()
                    self._conn = None
                    if attempt == 2:
                        raise StoreUnreachable(f"lost the service database ({driver_reason(exc)})") from None
                    continue
                return TokenOwner(str(row[0]), bool(row[1]), row[2]) if row else None
        return None

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
