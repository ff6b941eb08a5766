"""The graph store on the embedded SQLCipher vault (the tables of migrations m002 and m004_graph_facts).

Shares the vault's connection, lock and transactions: a graph update inside ``store.transaction()`` commits with
the records it was derived from. Provenance rows cascade when a record is deleted; :meth:`prune` then removes the
facts, commitments, aliases and entities nothing supports any more.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from knowme.models.graph import Alias, Commitment, Entity, Fact, Merge, Source
from knowme.store.graph import GraphStore

if TYPE_CHECKING:
    from knowme.store.sqlcipher import SQLCipherStore


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _chunks(items: Sequence[Any], size: int = 500) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


_FACT_COLUMNS = (
    "id, subject_id, predicate, object_id, object_value, valid_from, valid_to, recorded_at, invalidated_at, "
    "confidence, extractor, extractor_version, attributes"
)
_COMMITMENT_COLUMNS = (
    "id, direction, counterparty_id, what, due, status, made_at, record_id, done_at, done_record_id, thread, "
    "extractor, extractor_version, recorded_at"
)


class SQLiteGraphStore(GraphStore):
    def __init__(self, store: SQLCipherStore) -> None:
        self._store = store

    def _q(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        return self._store._q(sql, params).fetchall()

    # -- entities ----------------------------------------------------------------------------------------------
    def put_entity(self, entity: Entity) -> None:
        now = _now()
        self._q(
            """
            INSERT INTO entities(id, type, name, attributes, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT(id) DO UPDATE SET type=excluded.type, name=excluded.name, attributes=excluded.attributes,
                updated_at=excluded.updated_at
            """,
            (entity.id, entity.type, entity.name, json.dumps(dict(entity.attributes), ensure_ascii=False), now, now),
        )

    @staticmethod
    def _entity(row: Sequence[Any]) -> Entity:
        return Entity(id=row[0], type=row[1], name=row[2], attributes=json.loads(row[3]))

    def get_entity(self, entity_id: str) -> Entity | None:
        rows = self._q("SELECT id, type, name, attributes FROM entities WHERE id = ?", (entity_id,))
        return self._entity(rows[0]) if rows else None

    def entities(self, *, type: str | None = None) -> list[Entity]:  # noqa: A002
        if type:
            rows = self._q("SELECT id, type, name, attributes FROM entities WHERE type = ? ORDER BY name", (type,))
        else:
            rows = self._q("SELECT id, type, name, attributes FROM entities ORDER BY type, name")
        return [self._entity(r) for r in rows]

    def add_alias(self, alias: Alias) -> None:
        self._q(
            "INSERT OR IGNORE INTO entity_aliases(entity_id, alias, alias_kind, reason) VALUES (?, ?, ?, ?)",
            (alias.entity_id, alias.alias, alias.kind, alias.reason),
        )

    def remove_alias(self, entity_id: str, alias: str) -> None:
        self._q("DELETE FROM entity_aliases WHERE entity_id = ? AND alias = ?", (entity_id, alias))
        self._q("DELETE FROM provenance WHERE target_type = 'alias' AND target_id = ?", (f"{entity_id}\x1f{alias}",))

    def aliases(self, entity_id: str | None = None) -> list[Alias]:
        sql = "SELECT entity_id, alias, alias_kind, reason FROM entity_aliases"
        rows = self._q(sql + " WHERE entity_id = ? ORDER BY rowid", (entity_id,)) if entity_id else self._q(sql)
        return [Alias(entity_id=r[0], alias=r[1], kind=r[2], reason=r[3]) for r in rows]

    def reassign_entity(self, old_id: str, new_id: str) -> None:
        if old_id == new_id:
            return
        with self._store.transaction():
            for alias in self.aliases(old_id):
                self.add_alias(Alias(new_id, alias.alias, alias.kind, alias.reason))
                self.move_provenance(
                    "alias",
                    f"{old_id}\x1f{alias.alias}",
                    f"{new_id}\x1f{alias.alias}",
                    [s.record_id for s in self.sources("alias", f"{old_id}\x1f{alias.alias}")],
                )
            self._q("DELETE FROM entity_aliases WHERE entity_id = ?", (old_id,))
            self._q("UPDATE facts SET subject_id = ? WHERE subject_id = ?", (new_id, old_id))
            self._q("UPDATE facts SET object_id = ? WHERE object_id = ?", (new_id, old_id))
            self._q("UPDATE commitments SET counterparty_id = ? WHERE counterparty_id = ?", (new_id, old_id))
            self._q("UPDATE alias_pins SET entity_id = ? WHERE entity_id = ?", (new_id, old_id))
            self._q(
                """
                INSERT OR IGNORE INTO provenance(target_type, target_id, record_id, chunk_id)
                SELECT target_type, ?, record_id, chunk_id FROM provenance WHERE target_type = 'entity'
                AND target_id = ?
                """,
                (new_id, old_id),
            )
            self._q("DELETE FROM provenance WHERE target_type = 'entity' AND target_id = ?", (old_id,))
            self._q("DELETE FROM entities WHERE id = ?", (old_id,))

    def add_merge(self, merge: Merge) -> None:
        self._q(
            "INSERT INTO entity_merges(kept_id, merged_id, merged_name, reason, aliases, at) VALUES (?, ?, ?, ?, ?, ?)",
            (
                merge.kept_id,
                merge.merged_id,
                merge.merged_name,
                merge.reason,
                json.dumps(list(merge.aliases)),
                merge.at,
            ),
        )

    def merges(self, entity_id: str | None = None) -> list[Merge]:
        sql = "SELECT kept_id, merged_id, merged_name, reason, aliases, at FROM entity_merges"
        rows = self._q(sql + " WHERE kept_id = ? ORDER BY id", (entity_id,)) if entity_id else self._q(sql)
        return [Merge(r[0], r[1], r[2], r[3], tuple(json.loads(r[4])), r[5]) for r in rows]

    def pin_alias(self, alias: str, entity_id: str, reason: str) -> None:
        self._q(
            """
            INSERT INTO alias_pins(alias, entity_id, reason, at) VALUES (?, ?, ?, ?)
            ON CONFLICT(alias) DO UPDATE SET entity_id=excluded.entity_id, reason=excluded.reason, at=excluded.at
            """,
            (alias, entity_id, reason, _now()),
        )

    def pins(self) -> dict[str, str]:
        return {alias: entity_id for alias, entity_id in self._q("SELECT alias, entity_id FROM alias_pins")}

    # -- provenance --------------------------------------------------------------------------------------------
    def add_provenance(self, target_type: str, target_id: str, record_ids: Iterable[str]) -> None:
        for rid in dict.fromkeys(record_ids):
            self._q(
                "INSERT OR IGNORE INTO provenance(target_type, target_id, record_id) VALUES (?, ?, ?)",
                (target_type, target_id, rid),
            )

    def sources(self, target_type: str, target_id: str) -> list[Source]:
        rows = self._q(
            """
            SELECT r.id, r.ref, r.kind, r.timestamp FROM provenance p JOIN records r ON r.id = p.record_id
            WHERE p.target_type = ? AND p.target_id = ? ORDER BY r.ts, r.id
            """,
            (target_type, target_id),
        )
        return [Source(record_id=r[0], ref=r[1], kind=r[2], timestamp=r[3]) for r in rows]

    def supported_by(self, target_type: str, record_ids: Sequence[str]) -> dict[str, set[str]]:
        found: dict[str, set[str]] = {}
        for part in _chunks(list(record_ids)):
            marks = ",".join("?" * len(part))
            for target, rid in self._q(
                f"SELECT target_id, record_id FROM provenance WHERE target_type = ? AND record_id IN ({marks})",
                [target_type, *part],
            ):
                found.setdefault(target, set()).add(rid)
        return found

    def move_provenance(self, target_type: str, old_id: str, new_id: str, record_ids: Sequence[str]) -> None:
        for rid in record_ids:
            self._q(
                "INSERT OR IGNORE INTO provenance(target_type, target_id, record_id) VALUES (?, ?, ?)",
                (target_type, new_id, rid),
            )
            self._q(
                "DELETE FROM provenance WHERE target_type = ? AND target_id = ? AND record_id = ?",
                (target_type, old_id, rid),
            )

    def clear_provenance(self, record_ids: Sequence[str], target_types: Sequence[str]) -> None:
        kinds = ",".join("?" * len(target_types))
        for part in _chunks(list(record_ids)):
            marks = ",".join("?" * len(part))
            self._q(
                f"DELETE FROM provenance WHERE target_type IN ({kinds}) AND record_id IN ({marks})",
                [*target_types, *part],
            )

    def prune(self, *, keep: Sequence[str] = ()) -> int:
        gone = 0
        with self._store.transaction():
            conn = self._store._conn
            gone += conn.execute(
                "DELETE FROM facts WHERE id NOT IN (SELECT target_id FROM provenance WHERE target_type = 'fact')"
            ).rowcount
            gone += conn.execute(
                "DELETE FROM commitments WHERE id NOT IN "
                "(SELECT target_id FROM provenance WHERE target_type = 'commitment')"
            ).rowcount
            pinned = {a for a, _ in conn.execute("SELECT alias, entity_id FROM alias_pins").fetchall()}
            orphans = conn.execute(
                "SELECT entity_id, alias FROM entity_aliases WHERE entity_id || char(31) || alias NOT IN "
                "(SELECT target_id FROM provenance WHERE target_type = 'alias')"
            ).fetchall()
            for entity_id, alias in orphans:
                if alias not in pinned:
                    conn.execute("DELETE FROM entity_aliases WHERE entity_id = ? AND alias = ?", (entity_id, alias))
                    gone += 1
            marks = ",".join("?" * len(keep)) or "''"
            gone += conn.execute(
                f"""
                DELETE FROM entities WHERE id NOT IN ({marks})
                AND id NOT IN (SELECT target_id FROM provenance WHERE target_type = 'entity')
                AND id NOT IN (SELECT entity_id FROM alias_pins)
                """,
                list(keep),
            ).rowcount
        return gone

    # -- facts ---------------------------------------------------------------------------------------------------
    def put_fact(self, fact: Fact) -> None:
        self._q(
            f"INSERT OR REPLACE INTO facts({_FACT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                fact.id,
                fact.subject_id,
                fact.predicate,
                fact.object_id,
                fact.object_value,
                fact.valid_from,
                fact.valid_to,
                fact.recorded_at or _now(),
                fact.invalidated_at,
                fact.confidence,
                fact.extractor,
                fact.extractor_version,
                json.dumps(dict(fact.attributes), ensure_ascii=False, default=str),
            ),
        )

    @staticmethod
    def _fact(row: Sequence[Any]) -> Fact:
        fid, subject, predicate, obj, value, start, end, recorded, invalidated, confidence, name, version = row[:12]
        return Fact(
            fid, subject, predicate, obj, value, start, end, recorded, invalidated, confidence, name, version,
            attributes=json.loads(row[12]),
        )  # fmt: skip

    def facts(
        self,
        *,
        subject_id: str | None = None,
        predicate: str | None = None,
        object_id: str | None = None,
        extractor: str | None = None,
    ) -> list[Fact]:
        clauses: list[str] = []
        params: list[Any] = []
        for column, value in (
            ("subject_id", subject_id),
            ("predicate", predicate),
            ("object_id", object_id),
            ("extractor", extractor),
        ):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
        rows = self._q(f"SELECT {_FACT_COLUMNS} FROM facts{where} ORDER BY valid_from, recorded_at, id", params)
        return [self._fact(r) for r in rows]

    def delete_facts(self, fact_ids: Sequence[str]) -> None:
        for part in _chunks(list(fact_ids)):
            marks = ",".join("?" * len(part))
            self._q(f"DELETE FROM facts WHERE id IN ({marks})", part)
            self._q(f"DELETE FROM provenance WHERE target_type = 'fact' AND target_id IN ({marks})", part)

    # -- commitments ---------------------------------------------------------------------------------------------
    def put_commitment(self, commitment: Commitment) -> None:
        c = commitment
        self._q(
            f"INSERT OR REPLACE INTO commitments({_COMMITMENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",  # noqa: E501
            (
                c.id,
                c.direction,
                c.counterparty_id,
                c.what,
                c.due,
                c.status,
                c.made_at,
                c.record_id,
                c.done_at,
                c.done_record_id,
                c.thread,
                c.extractor,
                c.extractor_version,
                c.recorded_at or _now(),
            ),
        )

    def commitments(self, *, counterparty_id: str | None = None) -> list[Commitment]:
        sql = f"SELECT {_COMMITMENT_COLUMNS} FROM commitments"
        if counterparty_id:
            rows = self._q(sql + " WHERE counterparty_id = ? ORDER BY made_at, id", (counterparty_id,))
        else:
            rows = self._q(sql + " ORDER BY made_at, id")
        return [Commitment(*r) for r in rows]

    def delete_commitments(self, ids: Sequence[str]) -> None:
        for part in _chunks(list(ids)):
            marks = ",".join("?" * len(part))
            self._q(f"DELETE FROM commitments WHERE id IN ({marks})", part)
            self._q(f"DELETE FROM provenance WHERE target_type = 'commitment' AND target_id IN ({marks})", part)
