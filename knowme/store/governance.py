"""Grants and the audit log in the SQLCipher vault (tables from m002; the append-only triggers from m003_privacy)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from knowme.models.governance import AuditEvent, Grant
from knowme.store.base import GovernanceStore


def _when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


class SQLCipherGovernance(GovernanceStore):
    """The grants-and-audit half of :class:`~knowme.store.sqlcipher.SQLCipherStore` (mixed in)."""

    _conn: Any

    if TYPE_CHECKING:  # provided by SQLCipherStore
        from contextlib import AbstractContextManager

        def _q(self, sql: str, params: Sequence[Any] = ()) -> Any: ...

        def transaction(self) -> AbstractContextManager[None]: ...

    _GRANT_COLUMNS = "id, client, scopes, created_at, expires_at, revoked_at"

    @staticmethod
    def _grant(row: Sequence[Any]) -> Grant:
        gid, client, scopes, created, expires, revoked = row
        return Grant(
            gid, client, tuple(json.loads(scopes)), datetime.fromisoformat(created), _when(expires), _when(revoked)
        )

    def save_grant(self, grant: Grant, token_hash: str) -> None:
        with self.transaction():
            self._conn.execute(
                f"INSERT INTO grants({self._GRANT_COLUMNS}, token_hash) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    grant.id,
                    grant.client,
                    json.dumps(list(grant.scopes)),
                    grant.created_at.isoformat(),
                    grant.expires_at.isoformat() if grant.expires_at else None,
                    grant.revoked_at.isoformat() if grant.revoked_at else None,
                    token_hash,
                ),
            )

    def grants(self) -> list[Grant]:
        rows = self._q(f"SELECT {self._GRANT_COLUMNS} FROM grants ORDER BY created_at DESC, id")
        return [self._grant(row) for row in rows]

    def grant_for_token(self, token_hash: str) -> Grant | None:
        row = self._q(f"SELECT {self._GRANT_COLUMNS} FROM grants WHERE token_hash = ?", (token_hash,)).fetchone()
        return self._grant(row) if row else None

    def revoke_grants(self, id_or_client: str, at: datetime) -> list[Grant]:
        with self.transaction():
            rows = self._q(
                f"SELECT {self._GRANT_COLUMNS} FROM grants WHERE revoked_at IS NULL AND (id = ? OR client = ?)",
                (id_or_client, id_or_client),
            ).fetchall()
            for row in rows:
                self._conn.execute("UPDATE grants SET revoked_at = ? WHERE id = ?", (at.isoformat(), row[0]))
        return [replace(self._grant(row), revoked_at=at) for row in rows]

    def append_audit(self, event: AuditEvent) -> None:
        with self.transaction():
            self._conn.execute(
                "INSERT INTO audit_events(at, actor, action, detail) VALUES (?, ?, ?, ?)",
                (event.at.isoformat(), event.actor, event.action, json.dumps(event.detail, sort_keys=True)),
            )

    def audit_events(self, *, actor: str | None = None, limit: int | None = None) -> list[AuditEvent]:
        params: list[Any] = [actor] if actor else []
        where = "WHERE actor = ?" if actor else ""
        sql = f"SELECT id, at, actor, action, detail FROM audit_events {where} ORDER BY id DESC"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(int(limit))
        rows = self._q(sql, params).fetchall()
        return [
            AuditEvent(datetime.fromisoformat(at), who, what, json.loads(detail), int(eid))
            for eid, at, who, what, detail in reversed(rows)
        ]

    def redact_audit(self, replacements: Mapping[str, str]) -> int:
        changed = 0
        with self.transaction():
            for ref, placeholder in replacements.items():
                needle = json.dumps(ref)[1:-1]
                for eid, detail in self._q(
                    "SELECT id, detail FROM audit_events WHERE instr(detail, ?) > 0", (needle,)
                ).fetchall():
                    doc = json.loads(detail)
                    doc["refs"] = [placeholder if r == ref else r for r in doc.get("refs", [])]
                    self._conn.execute(
                        "UPDATE audit_events SET detail = ? WHERE id = ?", (json.dumps(doc, sort_keys=True), eid)
                    )
                    changed += 1
        return changed
