"""Forgetting, tombstones, export and import rows in the service store (mixed into ``PostgresStore``).

The semantics are those of the SQLCipher vault (:mod:`knowme.store.forgetting`, :mod:`knowme.store.portable`):
a forget deletes the records, their chunks (with their tsvector and vector), the graph items only they supported
and the feedback given on them, in one transaction; tombstones keep only the record id, content hash and text
fingerprint, here sealed with a blind index for the lookup. Selection by person or text opens the candidates'
sealed fields in code (the database cannot read them). :meth:`compact` VACUUMs the tenant tables so that dead
tuples (which still hold the deleted lexemes and vectors) leave the heap; PostgreSQL 17+ lets the unprivileged role
do it through the MAINTAIN privilege, older servers skip it (return False).

Export rows carry the SQLCipher vault's column names and values, opened, in the same order, so an export from
either backend imports into the other and exports again identically.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import numpy as np

from knowme.errors import VaultCorrupt
from knowme.models import Chunk
from knowme.models.store import ForgetCounts, RecordSelector, RecordSummary
from knowme.store.base import ForgettingStore, PortableStore, text_fingerprint
from knowme.store.forgetting import WORDS, names_person, person_pattern
from knowme.store.pggraph import SEP, target_id, target_key
from knowme.store.pgschema import TENANT_TABLES

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    import psycopg

    from knowme.store.postgres import PostgresStore
    from knowme.store.tenantkeys import TenantCipher


class _DryRun(Exception):
    pass


class PgForgetting(ForgettingStore):
    tenant: str
    c: TenantCipher

    if TYPE_CHECKING:  # provided by PostgresStore
        conn: psycopg.Connection[Any]
        _lock: Any

        def _q(self, sql: str, params: Any = ()) -> list[Any]: ...

        def _x(self, sql: str, params: Any = ()) -> int: ...

        def transaction(self) -> AbstractContextManager[None]: ...

        def _source_indexes(self, prefixes: Sequence[str]) -> list[bytes]: ...

    def select_records(self, selector: RecordSelector) -> list[RecordSummary]:
        if selector.empty:
            return []
        clauses: list[str] = []
        params: list[Any] = []
        if selector.refs:
            clauses.append("ref_bi = ANY(%s)")
            params.append([self.c.blind(r) for r in selector.refs])
        if selector.source_prefixes:
            clauses.append("source_bi = ANY(%s)")
            params.append(self._source_indexes(selector.source_prefixes))
        if selector.before is not None:
            clauses.append("ts >= 0 AND ts < %s")
            params.append(selector.before.timestamp())
        where = " AND ".join(clauses) if clauses else "TRUE"
        pattern = person_pattern(selector.people) if selector.people else None
        full_names = [tuple(w.casefold() for w in WORDS.findall(p)) for p in selector.people if "@" not in p]
        needle = selector.text.casefold() if selector.text else None
        t = self.c.text
        found: list[RecordSummary] = []
        rows = self._q(
            "SELECT id, ref, source, kind, timestamp, title, content_hash, author, participants, text "
            f"FROM records WHERE {where}",
            params,
        )
        for rid, ref, source, kind, timestamp, title, digest, author, participants, text in rows:
            title_text = t(title, "records.title")
            if pattern is not None:
                people = f"{self.c.open(author, 'records.author') or ''} {t(participants, 'records.participants')}"
                if not names_person(people, pattern, full_names):
                    continue
            if needle is not None and needle not in f"{t(text, 'records.text')}\n{title_text}".casefold():
                continue
            when = datetime.fromisoformat(timestamp) if timestamp else None
            found.append(
                RecordSummary(
                    rid,
                    t(ref, "records.ref"),
                    t(source, "records.source"),
                    kind,
                    when,
                    title_text,
                    t(digest, "records.content_hash"),
                )
            )
        epoch = datetime.min.replace(tzinfo=UTC)
        found.sort(key=lambda r: (r.timestamp or epoch, r.id))
        return found

    def entities_named(self, names: Sequence[str]) -> dict[str, list[str]]:
        wanted = [self.c.blind(n.strip().casefold()) for n in names if n.strip()]
        if not wanted:
            return {}
        ids = [
            row[0]
            for row in self._q(
                "SELECT entity_id FROM entity_aliases WHERE alias_ci_bi = ANY(%s) "
                "UNION SELECT id FROM entities WHERE name_ci_bi = ANY(%s)",
                (wanted, wanted),
            )
        ]
        out: dict[str, list[str]] = {}
        for eid in ids:
            aliases = [self.c.text(r[0], "entity_aliases.alias") for r in self._q(
                "SELECT alias FROM entity_aliases WHERE entity_id = %s", (eid,)
            )]  # fmt: skip
            name = self._q("SELECT name FROM entities WHERE id = %s", (eid,))
            out[eid] = sorted({*aliases, *([self.c.text(name[0][0], "entities.name")] if name else [])})
        return out

    def forget(
        self,
        record_ids: Sequence[str],
        *,
        entity_ids: Sequence[str] = (),
        cursors: Sequence[str] = (),
        tombstone: bool = True,
        dry_run: bool = False,
    ) -> ForgetCounts:
        counts: dict[str, int] = {}
        try:
            with self.transaction():
                counts = self._forget(list(dict.fromkeys(record_ids)), list(entity_ids), cursors, tombstone)
                if dry_run:
                    raise _DryRun
        except _DryRun:
            pass
        return ForgetCounts(**counts)

    def _forget(self, ids: list[str], entity_ids: list[str], sources: Sequence[str], tombstone: bool) -> dict[str, int]:
        before = self._graph_sizes()
        targets = {(tt, tid) for tt, tid in self._q(
            "SELECT DISTINCT target_type, target_id FROM provenance WHERE record_id = ANY(%s)", (ids,)
        )}  # fmt: skip
        stones = 0
        now = datetime.now(UTC).isoformat(timespec="seconds")
        rows = self._q("SELECT id, content_hash, kind, title, text, ref FROM records WHERE id = ANY(%s)", (ids,))
        refs = [self.c.blind(self.c.text(r[5], "records.ref")) for r in rows]
        if tombstone:
            for rid, digest, kind_, title, text, _ in rows:
                t = self.c.text
                fingerprint = text_fingerprint(kind_, t(title, "records.title"), t(text, "records.text"))
                for value, kind in (
                    (rid, "record"),
                    (t(digest, "records.content_hash"), "content"),
                    (fingerprint, "text"),
                ):
                    stones += self._x(
                        "INSERT INTO tombstones(tenant, hash_bi, hash, kind, forgotten_at) VALUES (%s, %s, %s, %s, %s) "
                        "ON CONFLICT DO NOTHING",
                        (self.tenant, self.c.blind(value), self.c.seal(value, "tombstones.hash"), kind, now),
                    )  # fmt: skip
        self._x("DELETE FROM feedback WHERE target_bi = ANY(%s)", ([self.c.blind(i) for i in ids] + refs,))
        chunks = self._x("DELETE FROM chunks WHERE record_id = ANY(%s)", (ids,))
        records = self._x("DELETE FROM records WHERE id = ANY(%s)", (ids,))
        supported = {(tt, tid) for tt, tid in self._q("SELECT DISTINCT target_type, target_id FROM provenance")}
        orphans: dict[str, list[str]] = {}
        for tt, tid in targets - supported:
            orphans.setdefault(tt, []).append(tid)
        self._x("DELETE FROM facts WHERE id = ANY(%s)", (orphans.get("fact", []),))
        self._x("DELETE FROM preferences WHERE id = ANY(%s)", (orphans.get("preference", []),))
        for key in orphans.get("alias", []):
            entity, _, hex_bi = key.partition(SEP)
            self._x(
                "DELETE FROM entity_aliases WHERE entity_id = %s AND alias_bi = %s", (entity, bytes.fromhex(hex_bi))
            )
        self._x(
            "DELETE FROM entities e WHERE id = ANY(%s) AND NOT EXISTS "
            "(SELECT 1 FROM facts f WHERE f.subject_id = e.id OR f.object_id = e.id)",
            (orphans.get("entity", []),),
        )
        self._x("DELETE FROM entities WHERE id = ANY(%s)", (entity_ids,))
        self._x("DELETE FROM entity_merges WHERE kept_id NOT IN (SELECT id FROM entities)")
        self._x("DELETE FROM alias_pins WHERE entity_id NOT IN (SELECT id FROM entities)")
        self._x(
            "DELETE FROM alias_pins p WHERE NOT EXISTS (SELECT 1 FROM entity_aliases a WHERE a.alias_bi = p.alias_bi)"
        )
        for target_type, table in (
            ("fact", "facts"),
            ("preference", "preferences"),
            ("entity", "entities"),
            ("commitment", "commitments"),
        ):
            self._x(
                f"DELETE FROM provenance WHERE target_type = %s AND target_id NOT IN (SELECT id FROM {table})",
                (target_type,),
            )
        cursors = 0
        for source in dict.fromkeys(sources):
            cursors += self._x("DELETE FROM source_state WHERE source_bi = %s", (self.c.blind(source),))
        after = self._graph_sizes()
        return {
            "records": records,
            "chunks": chunks,
            "entities": before["entities"] - after["entities"],
            "aliases": before["aliases"] - after["aliases"],
            "facts": before["facts"] - after["facts"],
            "preferences": before["preferences"] - after["preferences"],
            "cursors": cursors,
            "tombstones": stones,
        }

    def _graph_sizes(self) -> dict[str, int]:
        row = self._q(
            "SELECT (SELECT count(*) FROM entities), (SELECT count(*) FROM entity_aliases), "
            "(SELECT count(*) FROM facts), (SELECT count(*) FROM preferences)"
        )[0]
        return dict(zip(("entities", "aliases", "facts", "preferences"), map(int, row), strict=True))

    def compact(self) -> bool:
        if self.conn.info.server_version < 170000:
            return False
        with self._lock:
            for table in TENANT_TABLES:
                self.conn.execute(f"VACUUM {table}")  # outside a transaction: the connection is in autocommit
        return True

    def forgotten(self, hashes: Sequence[str]) -> set[str]:
        values = {self.c.blind(h): h for h in dict.fromkeys(hashes)}
        if not values:
            return set()
        rows = self._q("SELECT hash_bi FROM tombstones WHERE hash_bi = ANY(%s)", (list(values),))
        return {values[bytes(bi)] for (bi,) in rows}

    def unforget(self, hashes: Sequence[str]) -> int:
        return self._x(
            "DELETE FROM tombstones WHERE hash_bi = ANY(%s)", ([self.c.blind(h) for h in dict.fromkeys(hashes)],)
        )


# -- export and import ------------------------------------------------------------------------------------------
#: table -> (its columns as exported, in the SQLCipher vault's order; the key that orders the rows)
COLUMNS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "entities": (("id", "type", "name", "attributes", "created_at", "updated_at"), ("id",)),
    "entity_aliases": (("entity_id", "alias", "alias_kind", "reason"), ("entity_id", "alias")),
    "facts": (
        (
            "id", "subject_id", "predicate", "object_id", "object_value", "valid_from", "valid_to", "recorded_at",
            "invalidated_at", "confidence", "extractor", "extractor_version", "attributes",
        ),
        ("id",),
    ),
    "preferences": (
        ("id", "statement", "polarity", "strength", "scope", "origin", "created_at", "updated_at", "active",
         "provenance"),
        ("id",),
    ),
    "provenance": (
        ("target_type", "target_id", "record_id", "chunk_ordinal"),
        ("target_type", "target_id", "record_id"),
    ),
    "feedback": (("id", "target_type", "target_id", "rating", "correction", "created_at", "detail"), ("id",)),
    "tombstones": (("hash", "kind", "forgotten_at"), ("hash",)),
    "commitments": (
        (
            "id", "direction", "counterparty_id", "what", "due", "status", "made_at", "done_at", "record_id",
            "done_record_id", "thread", "extractor", "extractor_version", "recorded_at",
        ),
        ("id",),
    ),
    "entity_merges": (("id", "kept_id", "merged_id", "merged_name", "reason", "aliases", "at"), ("id",)),
    "alias_pins": (("alias", "entity_id", "reason", "at"), ("alias",)),
}  # fmt: skip
#: Sealed columns (opened on export, sealed on import); JSON columns travel as JSON values.
SEALED = {
    "entities": ("name", "attributes"),
    "entity_aliases": ("alias", "reason"),
    "facts": ("object_value", "attributes"),
    "preferences": ("statement", "scope", "provenance"),
    "feedback": ("target_id", "correction", "detail"),
    "tombstones": ("hash",),
    "commitments": ("what", "thread"),
    "entity_merges": ("merged_name", "reason", "aliases"),
    "alias_pins": ("alias", "reason"),
}
JSON_COLUMNS = {"entities": ("attributes",), "facts": ("attributes",), "entity_merges": ("aliases",)}
#: Blind indexes each table keeps, computed from an exported column: (index column, source column, case-folded).
BLIND = {
    "entities": (("name_ci_bi", "name", True),),
    "entity_aliases": (("alias_bi", "alias", False), ("alias_ci_bi", "alias", True)),
    "feedback": (("target_bi", "target_id", False),),
    "tombstones": (("hash_bi", "hash", False),),
    "alias_pins": (("alias_bi", "alias", False),),
}


class PgPortable(PortableStore):
    tenant: str
    c: TenantCipher

    if TYPE_CHECKING:

        def _q(self, sql: str, params: Any = ()) -> list[Any]: ...

        def _x(self, sql: str, params: Any = ()) -> int: ...

        def transaction(self) -> AbstractContextManager[None]: ...

    def portable_tables(self) -> tuple[str, ...]:
        return tuple(COLUMNS)

    def _spec(self, table: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        if table not in COLUMNS:
            raise ValueError(f"not an exportable table: {table}")
        return COLUMNS[table]

    def export_rows(self, table: str) -> Iterator[dict[str, Any]]:
        columns, key = self._spec(table)
        store: PostgresStore = self  # type: ignore[assignment]
        if table == "provenance":
            sql = (
                "SELECT p.target_type, p.target_id, p.target_sealed, p.record_id, c.ordinal FROM provenance p "
                "LEFT JOIN chunks c ON c.id = p.chunk_id"
            )
            rows = [
                {"target_type": tt, "target_id": target_id(store, tid, sealed), "record_id": rid, "chunk_ordinal": o}
                for tt, tid, sealed, rid, o in self._q(sql)
            ]
        else:
            rows = [dict(zip(columns, r, strict=True)) for r in self._q(f"SELECT {', '.join(columns)} FROM {table}")]
            for item in rows:
                for column in SEALED.get(table, ()):
                    item[column] = self.c.open(item[column], f"{table}.{column}")
                for column in JSON_COLUMNS.get(table, ()):
                    item[column] = json.loads(item[column]) if item[column] is not None else None
                for column in ("confidence", "strength"):
                    if column in item:
                        item[column] = float(item[column])
        rows.sort(key=lambda item: tuple(item[k] for k in key))
        yield from rows

    def import_rows(self, table: str, rows: Iterable[dict[str, Any]]) -> int:
        columns, key = self._spec(table)
        store: PostgresStore = self  # type: ignore[assignment]
        written = 0
        with self.transaction():
            for row in rows:
                item = dict(row)
                unknown = set(item) - set(columns)
                if unknown:
                    raise VaultCorrupt(f"{table}: unknown field(s) {', '.join(sorted(unknown))} in the import")
                if table == "provenance":
                    ordinal = item.pop("chunk_ordinal", None)
                    chunk = (
                        self._q(
                            "SELECT id FROM chunks WHERE record_id = %s AND ordinal = %s", (item["record_id"], ordinal)
                        )
                        if ordinal is not None
                        else []
                    )
                    tkey, sealed = target_key(store, item["target_type"], item["target_id"])
                    self._x(
                        "INSERT INTO provenance(tenant, target_type, target_id, target_sealed, record_id, chunk_id) "
                        "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (tenant, target_type, target_id, record_id) "
                        "DO UPDATE SET chunk_id = excluded.chunk_id",
                        (self.tenant, item["target_type"], tkey, sealed, item["record_id"],
                         chunk[0][0] if chunk else None),
                    )  # fmt: skip
                    written += 1
                    continue
                for column in JSON_COLUMNS.get(table, ()):
                    if column in item:
                        item[column] = json.dumps(item[column], ensure_ascii=False, sort_keys=True)
                for index, column, folded in BLIND.get(table, ()):
                    value = item.get(column)
                    item[index] = self.c.blind(value.casefold() if folded and value is not None else value)
                for column in SEALED.get(table, ()):
                    if column in item:
                        item[column] = self.c.seal(item[column], f"{table}.{column}")
                item["tenant"] = self.tenant
                names = sorted(item)
                conflict = [BLIND[table][0][0] if table in ("tombstones", "alias_pins") else k for k in key]
                if table == "entity_aliases":
                    conflict = ["entity_id", "alias_bi"]
                updates = ", ".join(f"{n} = excluded.{n}" for n in names if n not in ("tenant", *conflict))
                self._x(
                    f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join(['%s'] * len(names))}) "
                    f"ON CONFLICT (tenant, {', '.join(conflict)}) DO "
                    + (f"UPDATE SET {updates}" if updates else "NOTHING"),
                    [item[n] for n in names],
                )
                written += 1
        return written

    def record_chunks(self, record_id: str) -> list[tuple[Chunk, np.ndarray]]:
        t = self.c.text
        rows = self._q(
            "SELECT ordinal, anchor, text, index_text, embedding FROM chunks WHERE record_id = %s ORDER BY ordinal",
            (record_id,),
        )
        return [
            (
                Chunk(record_id, int(ordinal), t(anchor, "chunks.anchor"), t(text, "chunks.text"),
                      t(index_text, "chunks.index_text")),
                np.asarray(vector.to_numpy() if hasattr(vector, "to_numpy") else vector, dtype=np.float32),
            )
            for ordinal, anchor, text, index_text, vector in rows
        ]  # fmt: skip
