"""The graph and persona stores on the service database (one tenant, the store's connection and transactions).

Names, aliases, fact values, commitment text, merge logs, preference statements and feedback are sealed with the
tenant's data key; aliases are found by blind index (exact, and case-folded for :meth:`entities_named`). A
provenance row of an alias names its target as ``<entity id>\\x1f<hex blind index of the alias>`` in clear (so the
database can join it to ``entity_aliases``) and keeps the real target id sealed beside it. Orderings by a sealed
column (entity names, pinned aliases) happen here, after opening, in code-point order like SQLite's.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from knowme.models.graph import Alias, Commitment, Entity, Fact, Merge, Source
from knowme.models.persona import Feedback, Preference
from knowme.store.graph import GraphStore
from knowme.store.persona import PersonaStore

if TYPE_CHECKING:
    from knowme.store.postgres import PostgresStore

SEP = "\x1f"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


_FACT_COLUMNS = (
    "id, subject_id, predicate, object_id, object_value, valid_from, valid_to, recorded_at, invalidated_at, "
    "confidence, extractor, extractor_version, attributes"
)
_COMMITMENT_COLUMNS = (
    "id, direction, counterparty_id, what, due, status, made_at, record_id, done_at, done_record_id, thread, "
    "extractor, extractor_version, recorded_at"
)


def target_key(store: PostgresStore, target_type: str, target_id: str) -> tuple[str, bytes | None]:
    """The provenance key stored in clear for a target, and the sealed real id when the two differ (aliases)."""
    if target_type != "alias":
        return target_id, None
    entity, _, alias = target_id.partition(SEP)
    bi = store.c.blind(alias)
    assert bi is not None
    return f"{entity}{SEP}{bi.hex()}", store.c.seal(target_id, "provenance.target")


def target_id(store: PostgresStore, key: str, sealed: Any) -> str:
    return key if sealed is None else store.c.text(sealed, "provenance.target")


class PgGraphStore(GraphStore):
    def __init__(self, store: PostgresStore) -> None:
        self.s = store
        self.c = store.c

    # -- entities ----------------------------------------------------------------------------------------------
    def put_entity(self, entity: Entity) -> None:
        now = _now()
        self.s._x(
            """
            INSERT INTO entities(tenant, id, type, name, name_ci_bi, attributes, created_at, updated_at)
            VALUES (%s, %s, %s, %s, %s, %s, %s, %s)
            ON CONFLICT (tenant, id) DO UPDATE SET type=excluded.type, name=excluded.name,
                name_ci_bi=excluded.name_ci_bi, attributes=excluded.attributes, updated_at=excluded.updated_at
            """,
            (
                self.s.tenant,
                entity.id,
                entity.type,
                self.c.seal(entity.name, "entities.name"),
                self.c.blind(entity.name.casefold()),
                self.c.seal(json.dumps(dict(entity.attributes), ensure_ascii=False), "entities.attributes"),
                now,
                now,
            ),
        )

    def _entity(self, row: Sequence[Any]) -> Entity:
        return Entity(
            id=row[0],
            type=row[1],
            name=self.c.text(row[2], "entities.name"),
            attributes=json.loads(self.c.text(row[3], "entities.attributes")),
        )

    def get_entity(self, entity_id: str) -> Entity | None:
        rows = self.s._q("SELECT id, type, name, attributes FROM entities WHERE id = %s", (entity_id,))
        return self._entity(rows[0]) if rows else None

    def entities(self, *, type: str | None = None) -> list[Entity]:  # noqa: A002
        if type:
            rows = self.s._q("SELECT id, type, name, attributes FROM entities WHERE type = %s", (type,))
        else:
            rows = self.s._q("SELECT id, type, name, attributes FROM entities")
        return sorted((self._entity(r) for r in rows), key=lambda e: (e.type, e.name, e.id))

    def add_alias(self, alias: Alias) -> None:
        self.s._x(
            """
            INSERT INTO entity_aliases(tenant, entity_id, alias_bi, alias, alias_ci_bi, alias_kind, reason)
            VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING
            """,
            (
                self.s.tenant,
                alias.entity_id,
                self.c.blind(alias.alias),
                self.c.seal(alias.alias, "entity_aliases.alias"),
                self.c.blind(alias.alias.casefold()),
                alias.kind,
                self.c.seal(alias.reason, "entity_aliases.reason"),
            ),
        )

    def remove_alias(self, entity_id: str, alias: str) -> None:
        with self.s.transaction():
            self.s._x(
                "DELETE FROM entity_aliases WHERE entity_id = %s AND alias_bi = %s", (entity_id, self.c.blind(alias))
            )
            key, _ = target_key(self.s, "alias", f"{entity_id}{SEP}{alias}")
            self.s._x("DELETE FROM provenance WHERE target_type = 'alias' AND target_id = %s", (key,))

    def aliases(self, entity_id: str | None = None) -> list[Alias]:
        sql = "SELECT entity_id, alias, alias_kind, reason FROM entity_aliases"
        rows = (
            self.s._q(sql + " WHERE entity_id = %s ORDER BY seq", (entity_id,))
            if entity_id
            else self.s._q(sql + " ORDER BY seq")
        )
        return [
            Alias(
                entity_id=r[0],
                alias=self.c.text(r[1], "entity_aliases.alias"),
                kind=r[2],
                reason=self.c.text(r[3], "entity_aliases.reason"),
            )
            for r in rows
        ]

    def reassign_entity(self, old_id: str, new_id: str) -> None:
        if old_id == new_id:
            return
        s = self.s
        with s.transaction():
            for alias in self.aliases(old_id):
                self.add_alias(Alias(new_id, alias.alias, alias.kind, alias.reason))
                self.move_provenance(
                    "alias",
                    f"{old_id}{SEP}{alias.alias}",
                    f"{new_id}{SEP}{alias.alias}",
                    [src.record_id for src in self.sources("alias", f"{old_id}{SEP}{alias.alias}")],
                )
            s._x("DELETE FROM entity_aliases WHERE entity_id = %s", (old_id,))
            s._x("UPDATE facts SET subject_id = %s WHERE subject_id = %s", (new_id, old_id))
            s._x("UPDATE facts SET object_id = %s WHERE object_id = %s", (new_id, old_id))
            s._x("UPDATE commitments SET counterparty_id = %s WHERE counterparty_id = %s", (new_id, old_id))
            s._x("UPDATE alias_pins SET entity_id = %s WHERE entity_id = %s", (new_id, old_id))
            s._x(
                """
                INSERT INTO provenance(tenant, target_type, target_id, record_id, chunk_id)
                SELECT tenant, target_type, %s, record_id, chunk_id FROM provenance
                WHERE target_type = 'entity' AND target_id = %s ON CONFLICT DO NOTHING
                """,
                (new_id, old_id),
            )
            s._x("DELETE FROM provenance WHERE target_type = 'entity' AND target_id = %s", (old_id,))
            s._x("DELETE FROM entities WHERE id = %s", (old_id,))

    def add_merge(self, merge: Merge) -> None:
        with self.s.transaction():
            next_id = int(self.s._q("SELECT coalesce(max(id), 0) + 1 FROM entity_merges")[0][0])
            self.s._x(
                "INSERT INTO entity_merges(tenant, id, kept_id, merged_id, merged_name, reason, aliases, at) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                (
                    self.s.tenant,
                    next_id,
                    merge.kept_id,
                    merge.merged_id,
                    self.c.seal(merge.merged_name, "entity_merges.merged_name"),
                    self.c.seal(merge.reason, "entity_merges.reason"),
                    self.c.seal(json.dumps(list(merge.aliases)), "entity_merges.aliases"),
                    merge.at,
                ),
            )

    def merges(self, entity_id: str | None = None) -> list[Merge]:
        sql = "SELECT kept_id, merged_id, merged_name, reason, aliases, at FROM entity_merges"
        rows = (
            self.s._q(sql + " WHERE kept_id = %s ORDER BY id", (entity_id,))
            if entity_id
            else self.s._q(sql + " ORDER BY id")
        )
        t = self.c.text
        return [
            Merge(
                r[0],
                r[1],
                t(r[2], "entity_merges.merged_name"),
                t(r[3], "entity_merges.reason"),
                tuple(json.loads(t(r[4], "entity_merges.aliases"))),
                r[5],
            )
            for r in rows
        ]

    def pin_alias(self, alias: str, entity_id: str, reason: str) -> None:
        self.s._x(
            """
            INSERT INTO alias_pins(tenant, alias_bi, alias, entity_id, reason, at) VALUES (%s, %s, %s, %s, %s, %s)
            ON CONFLICT (tenant, alias_bi) DO UPDATE SET entity_id=excluded.entity_id, reason=excluded.reason,
                at=excluded.at
            """,
            (
                self.s.tenant,
                self.c.blind(alias),
                self.c.seal(alias, "alias_pins.alias"),
                entity_id,
                self.c.seal(reason, "alias_pins.reason"),
                _now(),
            ),
        )

    def pins(self) -> dict[str, str]:
        rows = self.s._q("SELECT alias, entity_id FROM alias_pins")
        return {self.c.text(alias, "alias_pins.alias"): entity_id for alias, entity_id in rows}

    # -- provenance --------------------------------------------------------------------------------------------
    def add_provenance(self, target_type: str, target_id: str, record_ids: Iterable[str]) -> None:
        key, sealed = target_key(self.s, target_type, target_id)
        self.s._many(
            "INSERT INTO provenance(tenant, target_type, target_id, target_sealed, record_id) "
            "VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
            [(self.s.tenant, target_type, key, sealed, rid) for rid in dict.fromkeys(record_ids)],
        )

    def sources(self, target_type: str, target_id: str) -> list[Source]:
        key, _ = target_key(self.s, target_type, target_id)
        rows = self.s._q(
            """
            SELECT r.id, r.ref, r.kind, r.timestamp FROM provenance p JOIN records r ON r.id = p.record_id
            WHERE p.target_type = %s AND p.target_id = %s ORDER BY r.ts, r.id COLLATE "C"
            """,
            (target_type, key),
        )
        return [Source(record_id=r[0], ref=self.c.text(r[1], "records.ref"), kind=r[2], timestamp=r[3]) for r in rows]

    def supported_by(self, target_type: str, record_ids: Sequence[str]) -> dict[str, set[str]]:
        found: dict[str, set[str]] = {}
        for key, sealed, rid in self.s._q(
            "SELECT target_id, target_sealed, record_id FROM provenance WHERE target_type = %s AND record_id = ANY(%s)",
            (target_type, list(record_ids)),
        ):
            found.setdefault(target_id(self.s, key, sealed), set()).add(rid)
        return found

    def move_provenance(self, target_type: str, old_id: str, new_id: str, record_ids: Sequence[str]) -> None:
        old_key, _ = target_key(self.s, target_type, old_id)
        new_key, sealed = target_key(self.s, target_type, new_id)
        with self.s.transaction():
            for rid in record_ids:
                self.s._x(
                    "INSERT INTO provenance(tenant, target_type, target_id, target_sealed, record_id) "
                    "VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                    (self.s.tenant, target_type, new_key, sealed, rid),
                )
                self.s._x(
                    "DELETE FROM provenance WHERE target_type = %s AND target_id = %s AND record_id = %s",
                    (target_type, old_key, rid),
                )

    def clear_provenance(self, record_ids: Sequence[str], target_types: Sequence[str]) -> None:
        self.s._x(
            "DELETE FROM provenance WHERE target_type = ANY(%s) AND record_id = ANY(%s)",
            (list(target_types), list(record_ids)),
        )

    def prune(self, *, keep: Sequence[str] = ()) -> int:
        s = self.s
        with s.transaction():
            gone = s._x(
                "DELETE FROM facts WHERE id NOT IN (SELECT target_id FROM provenance WHERE target_type = 'fact')"
            )
            gone += s._x(
                "DELETE FROM commitments WHERE id NOT IN "
                "(SELECT target_id FROM provenance WHERE target_type = 'commitment')"
            )
            gone += s._x(
                """
                DELETE FROM entity_aliases a WHERE a.entity_id || chr(31) || encode(a.alias_bi, 'hex') NOT IN
                    (SELECT target_id FROM provenance WHERE target_type = 'alias')
                AND a.alias_bi NOT IN (SELECT alias_bi FROM alias_pins)
                """
            )
            gone += s._x(
                """
                DELETE FROM entities WHERE NOT (id = ANY(%s))
                AND id NOT IN (SELECT target_id FROM provenance WHERE target_type = 'entity')
                AND id NOT IN (SELECT entity_id FROM alias_pins)
                """,
                (list(keep),),
            )
        return gone

    # -- facts ---------------------------------------------------------------------------------------------------
    def put_fact(self, fact: Fact) -> None:
        cols = _FACT_COLUMNS.split(", ")
        updates = ", ".join(f"{c}=excluded.{c}" for c in cols if c != "id")
        self.s._x(
            f"INSERT INTO facts(tenant, {_FACT_COLUMNS}) VALUES ({', '.join(['%s'] * (len(cols) + 1))}) "
            f"ON CONFLICT (tenant, id) DO UPDATE SET {updates}",
            (
                self.s.tenant,
                fact.id,
                fact.subject_id,
                fact.predicate,
                fact.object_id,
                self.c.seal(fact.object_value, "facts.object_value"),
                fact.valid_from,
                fact.valid_to,
                fact.recorded_at or _now(),
                fact.invalidated_at,
                fact.confidence,
                fact.extractor,
                fact.extractor_version,
                self.c.seal(json.dumps(dict(fact.attributes), ensure_ascii=False, default=str), "facts.attributes"),
            ),
        )

    def _fact(self, row: Sequence[Any]) -> Fact:
        fid, subject, predicate, obj, value, start, end, recorded, invalidated, confidence, name, version = row[:12]
        return Fact(
            fid, subject, predicate, obj, self.c.open(value, "facts.object_value"), start, end, recorded, invalidated,
            float(confidence), name, version, attributes=json.loads(self.c.text(row[12], "facts.attributes")),
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
                clauses.append(f"{column} = %s")
                params.append(value)
        where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
        rows = self.s._q(
            f'SELECT {_FACT_COLUMNS} FROM facts{where} ORDER BY valid_from COLLATE "C" NULLS FIRST, '
            'recorded_at COLLATE "C", id COLLATE "C"',
            params,
        )
        return [self._fact(r) for r in rows]

    def delete_facts(self, fact_ids: Sequence[str]) -> None:
        with self.s.transaction():
            self.s._x("DELETE FROM facts WHERE id = ANY(%s)", (list(fact_ids),))
            self.s._x("DELETE FROM provenance WHERE target_type = 'fact' AND target_id = ANY(%s)", (list(fact_ids),))

    # -- commitments ---------------------------------------------------------------------------------------------
    def put_commitment(self, commitment: Commitment) -> None:
        c = commitment
        cols = _COMMITMENT_COLUMNS.split(", ")
        updates = ", ".join(f"{name}=excluded.{name}" for name in cols if name != "id")
        self.s._x(
            f"INSERT INTO commitments(tenant, {_COMMITMENT_COLUMNS}) VALUES ({', '.join(['%s'] * (len(cols) + 1))}) "
            f"ON CONFLICT (tenant, id) DO UPDATE SET {updates}",
            (
                self.s.tenant, c.id, c.direction, c.counterparty_id, self.c.seal(c.what, "commitments.what"), c.due,
                c.status, c.made_at, c.record_id, c.done_at, c.done_record_id,
                self.c.seal(c.thread, "commitments.thread"), c.extractor, c.extractor_version, c.recorded_at or _now(),
            ),
        )  # fmt: skip

    def commitments(self, *, counterparty_id: str | None = None) -> list[Commitment]:
        sql = f"SELECT {_COMMITMENT_COLUMNS} FROM commitments"
        order = ' ORDER BY made_at COLLATE "C" NULLS FIRST, id COLLATE "C"'
        rows = (
            self.s._q(sql + " WHERE counterparty_id = %s" + order, (counterparty_id,))
            if counterparty_id
            else self.s._q(sql + order)
        )
        out = []
        for r in rows:
            values = list(r)
            values[3] = self.c.text(values[3], "commitments.what")
            values[10] = self.c.open(values[10], "commitments.thread")
            out.append(Commitment(*values))
        return out

    def delete_commitments(self, ids: Sequence[str]) -> None:
        with self.s.transaction():
            self.s._x("DELETE FROM commitments WHERE id = ANY(%s)", (list(ids),))
            self.s._x("DELETE FROM provenance WHERE target_type = 'commitment' AND target_id = ANY(%s)", (list(ids),))


_PREF = "id, statement, polarity, strength, scope, origin, created_at, updated_at, active, provenance"
_FEEDBACK = "id, target_type, target_id, rating, correction, created_at, detail"


class PgPersonaStore(PersonaStore):
    def __init__(self, store: PostgresStore) -> None:
        self.s = store
        self.c = store.c

    def _pref(self, row: Sequence[Any]) -> Preference:
        t = self.c.text
        return Preference(
            id=row[0], statement=t(row[1], "preferences.statement"), polarity=row[2], strength=float(row[3]),
            scope=t(row[4], "preferences.scope"), origin=row[5], created_at=row[6], updated_at=row[7],
            active=bool(row[8]), provenance=json.loads(t(row[9], "preferences.provenance") or "{}"),
        )  # fmt: skip

    def put_preference(self, preference: Preference) -> None:
        p = preference
        now = _now()
        self.s._x(
            f"""
            INSERT INTO preferences(tenant, {_PREF}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
            ON CONFLICT (tenant, id) DO UPDATE SET statement=excluded.statement, polarity=excluded.polarity,
                strength=excluded.strength, scope=excluded.scope, origin=excluded.origin,
                updated_at=excluded.updated_at, active=excluded.active, provenance=excluded.provenance
            """,
            (self.s.tenant, p.id, self.c.seal(p.statement, "preferences.statement"), p.polarity, p.strength,
             self.c.seal(p.scope, "preferences.scope"), p.origin, p.created_at or now, now, int(p.active),
             self.c.seal(json.dumps(dict(p.provenance), ensure_ascii=False), "preferences.provenance")),
        )  # fmt: skip

    def get_preference(self, preference_id: str) -> Preference | None:
        rows = self.s._q(f"SELECT {_PREF} FROM preferences WHERE id = %s", (preference_id,))
        return self._pref(rows[0]) if rows else None

    def preferences(self) -> list[Preference]:
        rows = self.s._q(f'SELECT {_PREF} FROM preferences ORDER BY created_at COLLATE "C", id COLLATE "C"')
        return [self._pref(r) for r in rows]

    def delete_preference(self, preference_id: str) -> bool:
        return bool(self.s._x("DELETE FROM preferences WHERE id = %s", (preference_id,)))

    def add_feedback(self, feedback: Feedback) -> None:
        f = feedback
        self.s._x(
            "INSERT INTO feedback(tenant, id, target_type, target_bi, target_id, rating, correction, created_at, "
            "detail) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (self.s.tenant, f.id, f.target_type, self.c.blind(f.target_id),
             self.c.seal(f.target_id, "feedback.target_id"), f.rating, self.c.seal(f.correction, "feedback.correction"),
             f.created_at or _now(),
             self.c.seal(json.dumps(dict(f.detail), ensure_ascii=False, default=str), "feedback.detail")),
        )  # fmt: skip

    def feedback(self, *, target_type: str | None = None) -> list[Feedback]:
        sql = f"SELECT {_FEEDBACK} FROM feedback"
        order = ' ORDER BY created_at COLLATE "C", seq'
        rows = (
            self.s._q(sql + " WHERE target_type = %s" + order, (target_type,))
            if target_type
            else self.s._q(sql + order)
        )
        t = self.c.text
        return [
            Feedback(r[0], r[1], t(r[2], "feedback.target_id"), r[3], self.c.open(r[4], "feedback.correction"), r[5],
                     json.loads(t(r[6], "feedback.detail") or "{}"))
            for r in rows
        ]  # fmt: skip

    def clear_ratings(self) -> int:
        return self.s._x("DELETE FROM feedback WHERE correction IS NULL")
