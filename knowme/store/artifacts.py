"""Learned artifacts in the SQLCipher vault (table from ``m008_adapters``): adapters, checkpoints, manifests.

The bytes live in the encrypted file like everything else, so they share the vault's key; ``secure_delete`` (set on
every connection) overwrites deleted blobs. Edge case: ``meta`` must be JSON-serialisable (a TypeError otherwise).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from knowme.models.store import ArtifactInfo
from knowme.store.base import ArtifactStore

_COLUMNS = "name, kind, meta, length(blob), updated_at"


class SQLCipherArtifacts(ArtifactStore):
    """The artifact half of :class:`~knowme.store.sqlcipher.SQLCipherStore` (mixed in)."""

    _conn: Any

    if TYPE_CHECKING:  # provided by SQLCipherStore
        from contextlib import AbstractContextManager

        def _q(self, sql: str, params: Sequence[Any] = ()) -> Any: ...

        def transaction(self) -> AbstractContextManager[None]: ...

    @staticmethod
    def _info(row: Sequence[Any]) -> ArtifactInfo:
        name, kind, meta, size, updated = row
        return ArtifactInfo(name, kind, json.loads(meta), int(size or 0), datetime.fromisoformat(updated))

    def save_artifact(self, name: str, kind: str, meta: Mapping[str, Any], blob: bytes) -> ArtifactInfo:
        now = datetime.now(UTC).isoformat(timespec="seconds")
        text = json.dumps(dict(meta), sort_keys=True)
        with self.transaction():
            self._conn.execute(
                "INSERT INTO artifacts(name, kind, meta, blob, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?) "
                "ON CONFLICT(name) DO UPDATE SET kind = excluded.kind, meta = excluded.meta, blob = excluded.blob, "
                "updated_at = excluded.updated_at",
                (name, kind, text, bytes(blob), now, now),
            )
        return ArtifactInfo(name, kind, json.loads(text), len(blob), datetime.fromisoformat(now))

    def load_artifact(self, name: str) -> tuple[ArtifactInfo, bytes] | None:
        row = self._q(f"SELECT {_COLUMNS}, blob FROM artifacts WHERE name = ?", (name,)).fetchone()
        if row is None:
            return None
        return self._info(row[:5]), bytes(row[5])

    def list_artifacts(self, *, prefix: str = "", kind: str | None = None) -> list[ArtifactInfo]:
        sql = f"SELECT {_COLUMNS} FROM artifacts WHERE substr(name, 1, ?) = ?"
        params: list[Any] = [len(prefix), prefix]
        if kind is not None:
            sql += " AND kind = ?"
            params.append(kind)
        return [self._info(row) for row in self._q(sql + " ORDER BY name", params)]

    def delete_artifacts(self, names: Sequence[str]) -> int:
        gone = 0
        with self.transaction():
            for name in dict.fromkeys(names):
                gone += self._conn.execute("DELETE FROM artifacts WHERE name = ?", (name,)).rowcount
        return gone
