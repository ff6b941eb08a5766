"""Grants and the audit log in the service store (mixed into :class:`~knowme.store.postgres.PostgresStore`).

Client names and audit actors are sealed, with blind indexes for the lookups by value (revoke by client, audit by
actor); token hashes are SHA-256 of random tokens and stay in clear. The audit log is append-only in the database
(a trigger refuses deletes while the user exists and any change of who/what/when); :meth:`redact_audit` may only
rewrite the sealed detail.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from knowme.models.governance import AuditEvent, Grant
from knowme.store.base import GovernanceStore

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from knowme.store.tenantkeys import TenantCipher


def _when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


class PgGovernance(GovernanceStore):
    tenant: str
    c: TenantCipher

    if TYPE_CHECKING:  # provided by PostgresStore

        def _q(self, sql: str, params: Sequence[Any] = ()) -> list[Any]: ...

        def _x(self, sql: str, params: Sequence[Any] = ()) -> int: ...

        def transaction(self) -> AbstractContextManager[None]: ...

    _GRANT_COLUMNS = "id, client, scopes, created_at, expires_at, revoked_at"

    def _grant(self, row: Sequence[Any]) -> Grant:
        gid, client, scopes, created, expires, revoked = row
        return Grant(
            gid,
            self.c.text(client, "grants.client"),
            tuple(json.loads(scopes)),
            datetime.fromisoformat(created),
            _when(expires),
            _when(revoked),
        )

    def save_grant(self, grant: Grant, token_hash: str) -> None:
        self._x(
            "INSERT INTO grants(tenant, id, client_bi, client, scopes, created_at, expires_at, revoked_at, token_hash) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (
                self.tenant,
                grant.id,
                self.c.blind(grant.client),
                self.c.seal(grant.client, "grants.client"),
                json.dumps(list(grant.scopes)),
                grant.created_at.isoformat(),
                grant.expires_at.isoformat() if grant.expires_at else None,
                grant.revoked_at.isoformat() if grant.revoked_at else None,
                token_hash,
            ),
        )

    def grants(self) -> list[Grant]:
        rows = self._q(f'SELECT {self._GRANT_COLUMNS} FROM grants ORDER BY created_at DESC, id COLLATE "C"')
        return [self._grant(row) for row in rows]

    def grant_for_token(self, token_hash: str) -> Grant | None:
        rows = self._q(f"SELECT {self._GRANT_COLUMNS} FROM grants WHERE token_hash = %s", (token_hash,))
        return self._grant(rows[0]) if rows else None

    def revoke_grants(self, id_or_client: str, at: datetime) -> list[Grant]:
        with self.transaction():
            rows = self._q(
                f"SELECT {self._GRANT_COLUMNS} FROM grants WHERE revoked_at IS NULL AND (id = %s OR client_bi = %s)",
                (id_or_client, self.c.blind(id_or_client)),
            )
            for row in rows:
                self._x("UPDATE grants SET revoked_at = %s WHERE id = %s", (at.isoformat(), row[0]))
        return [replace(self._grant(row), revoked_at=at) for row in rows]

    def append_audit(self, event: AuditEvent) -> None:
        self._x(
            "INSERT INTO audit_events(tenant, at, actor_bi, actor, action, detail) VALUES (%s, %s, %s, %s, %s, %s)",
            (
                self.tenant,
                event.at.isoformat(),
                self.c.blind(event.actor),
                self.c.seal(event.actor, "audit_events.actor"),
                event.action,
                self.c.seal(json.dumps(event.detail, sort_keys=True), "audit_events.detail"),
            ),
        )

    def audit_events(self, *, actor: str | None = None, limit: int | None = None) -> list[AuditEvent]:
        params: list[Any] = [self.c.blind(actor)] if actor else []
        where = "WHERE actor_bi = %s" if actor else ""
        sql = f"SELECT id, at, actor, action, detail FROM audit_events {where} ORDER BY id DESC"
        if limit is not None:
            sql += " LIMIT %s"
            params.append(int(limit))
        rows = self._q(sql, params)
        return [
            AuditEvent(
                datetime.fromisoformat(at),
                self.c.text(who, "audit_events.actor"),
                what,
                json.loads(self.c.text(detail, "audit_events.detail")),
                int(eid),
            )
            for eid, at, who, what, detail in reversed(rows)
        ]

    def redact_audit(self, replacements: Mapping[str, str]) -> int:
        if not replacements:
            return 0
        changed = 0
        with self.transaction():
            for eid, sealed in self._q("SELECT id, detail FROM audit_events ORDER BY id"):
                doc = json.loads(self.c.text(sealed, "audit_events.detail"))
                refs = doc.get("refs", [])
                if not isinstance(refs, list) or not any(r in replacements for r in refs):
                    continue
                doc["refs"] = [replacements.get(r, r) for r in refs]
                self._x(
                    "UPDATE audit_events SET detail = %s WHERE id = %s",
                    (self.c.seal(json.dumps(doc, sort_keys=True), "audit_events.detail"), eid),
                )
                changed += 1
        return changed
