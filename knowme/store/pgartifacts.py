"""Learned artifacts in the service store (table from ``pg004_artifacts``, mixed into
:class:`~knowme.store.postgres.PostgresStore`): voice adapters, their checkpoints and the SISA manifest.

Names (``voice/shard-0/...``) and kinds are knowme's own labels and stay in clear so that listing by prefix works in
the database; the description (which may list record hashes) and the bytes are sealed with the tenant's data key,
bound to their column. Row-level security keeps each user's artifacts to that user.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from knowme.models.store import ArtifactInfo
from knowme.store.base import ArtifactStore

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from knowme.store.tenantkeys import TenantCipher

_COLUMNS = "name, kind, meta, size, updated_at"


class PgArtifacts(ArtifactStore):
    tenant: str
    c: TenantCipher

    if TYPE_CHECKING:  # provided by PostgresStore

        def _q(self, sql: str, params: Sequence[Any] = ()) -> list[Any]: ...

        def _x(self, sql: str, params: Sequence[Any] = ()) -> int: ...

        def transaction(self) -> AbstractContextManager[None]: ...

    def _info(self, row: Sequence[Any]) -> ArtifactInfo:
        name, kind, meta, size, updated = row
        return ArtifactInfo(name, kind, json.loads(self.c.text(meta, "artifacts.meta")), int(size),
                            datetime.fromisoformat(updated))  # fmt: skip

    def save_artifact(self, name: str, kind: str, meta: Mapping[str, Any], blob: bytes) -> ArtifactInfo:
        now = datetime.now(UTC).isoformat(timespec="seconds")
        text = json.dumps(dict(meta), sort_keys=True)
        self._x(
            "INSERT INTO artifacts(tenant, name, kind, meta, blob, size, created_at, updated_at) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (tenant, name) DO UPDATE SET kind = excluded.kind, "
            "meta = excluded.meta, blob = excluded.blob, size = excluded.size, updated_at = excluded.updated_at",
            (self.tenant, name, kind, self.c.seal(text, "artifacts.meta"), self.c.seal_bytes(blob, "artifacts.blob"),
             len(blob), now, now),
        )  # fmt: skip
        return ArtifactInfo(name, kind, json.loads(text), len(blob), datetime.fromisoformat(now))

    def load_artifact(self, name: str) -> tuple[ArtifactInfo, bytes] | None:
        rows = self._q(f"SELECT {_COLUMNS}, blob FROM artifacts WHERE name = %s", (name,))
        if not rows:
            return None
        return self._info(rows[0][:5]), self.c.open_bytes(rows[0][5], "artifacts.blob")

    def list_artifacts(self, *, prefix: str = "", kind: str | None = None) -> list[ArtifactInfo]:
        sql = f"SELECT {_COLUMNS} FROM artifacts WHERE left(name, %s) = %s"
        params: list[Any] = [len(prefix), prefix]
        if kind is not None:
            sql += " AND kind = %s"
            params.append(kind)
        return [self._info(row) for row in self._q(sql + " ORDER BY name", params)]

    def delete_artifacts(self, names: Sequence[str]) -> int:
        unique = list(dict.fromkeys(names))
        if not unique:
            return 0
        return self._x("DELETE FROM artifacts WHERE name = ANY(%s)", (unique,))
