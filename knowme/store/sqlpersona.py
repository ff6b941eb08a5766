"""The persona store on the embedded SQLCipher vault (tables ``preferences`` and ``feedback``)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from knowme.models.persona import Feedback, Preference
from knowme.store.persona import PersonaStore

if TYPE_CHECKING:
    from knowme.store.sqlcipher import SQLCipherStore

_PREF = "id, statement, polarity, strength, scope, origin, created_at, updated_at, active, provenance"
_FEEDBACK = "id, target_type, target_id, rating, correction, created_at, detail"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class SQLitePersonaStore(PersonaStore):
    def __init__(self, store: SQLCipherStore) -> None:
        self._store = store

    def _q(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        return self._store._q(sql, params).fetchall()

    @staticmethod
    def _pref(row: Sequence[Any]) -> Preference:
        return Preference(
            id=row[0], statement=row[1], polarity=row[2], strength=float(row[3]), scope=row[4], origin=row[5],
            created_at=row[6], updated_at=row[7], active=bool(row[8]), provenance=json.loads(row[9] or "{}"),
        )  # fmt: skip

    def put_preference(self, preference: Preference) -> None:
        p = preference
        now = _now()
        self._q(
            f"""
            INSERT INTO preferences({_PREF}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(id) DO UPDATE SET statement=excluded.statement, polarity=excluded.polarity,
                strength=excluded.strength, scope=excluded.scope, origin=excluded.origin,
                updated_at=excluded.updated_at, active=excluded.active, provenance=excluded.provenance
            """,
            (p.id, p.statement, p.polarity, p.strength, p.scope, p.origin, p.created_at or now, now, int(p.active),
             json.dumps(dict(p.provenance), ensure_ascii=False)),
        )  # fmt: skip

    def get_preference(self, preference_id: str) -> Preference | None:
        rows = self._q(f"SELECT {_PREF} FROM preferences WHERE id = ?", (preference_id,))
        return self._pref(rows[0]) if rows else None

    def preferences(self) -> list[Preference]:
        return [self._pref(r) for r in self._q(f"SELECT {_PREF} FROM preferences ORDER BY created_at, id")]

    def delete_preference(self, preference_id: str) -> bool:
        with self._store.transaction():
            gone = self._store._conn.execute("DELETE FROM preferences WHERE id = ?", (preference_id,)).rowcount
        return bool(gone)

    def add_feedback(self, feedback: Feedback) -> None:
        f = feedback
        self._q(
            f"INSERT INTO feedback({_FEEDBACK}) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (f.id, f.target_type, f.target_id, f.rating, f.correction, f.created_at or _now(),
             json.dumps(dict(f.detail), ensure_ascii=False, default=str)),
        )  # fmt: skip

    def feedback(self, *, target_type: str | None = None) -> list[Feedback]:
        sql = f"SELECT {_FEEDBACK} FROM feedback"
        rows = (
            self._q(sql + " WHERE target_type = ? ORDER BY created_at, rowid", (target_type,))
            if target_type
            else self._q(sql + " ORDER BY created_at, rowid")
        )
        return [Feedback(r[0], r[1], r[2], r[3], r[4], r[5], json.loads(r[6] or "{}")) for r in rows]

    def clear_ratings(self) -> int:
        with self._store.transaction():
            return int(self._store._conn.execute("DELETE FROM feedback WHERE correction IS NULL").rowcount)
