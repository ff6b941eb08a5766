"""The service store: one tenant's data in a shared PostgreSQL database with pgvector, behind the ``Store`` ABC.

A :class:`PostgresStore` is bound to one tenant (a user of the service) and one connection made as the unprivileged
role of :mod:`knowme.store.pgschema`. Every unit of work runs in a transaction that first sets the tenant
(``set_config('knowme.tenant', name, true)``); row-level security then confines every statement to that tenant's
rows, so the queries below carry no tenant filter of their own and could not leak another tenant's rows if they
tried. A statement outside a transaction sees nothing. Nothing is cached between calls: N processes may share one
database (every read goes to PostgreSQL).

Free text is sealed with the tenant's data key (:class:`knowme.store.tenantkeys.TenantCipher`) before it leaves the
process; exact lookups (refs, thread links, source names, authors) use blind indexes. What stays in clear for the
database to search: ids (hashes), kinds, timestamps, the stripped ``tsvector`` of each chunk (stemmed lexemes, no
positions) and its embedding.

Search: full text scores are BM25 with term frequency saturated to 1 (the tsvector is stripped): idf from the
tenant's document frequencies, length normalisation against the mean length of the matching chunks. Vectors are
searched exactly (a scan of the tenant's rows, ``ORDER BY distance + 0`` keeps the planner off the shared HNSW index)
up to :data:`EXACT_VECTOR_LIMIT` chunks; above that, the HNSW index with pgvector's strict iterative scan, so tenant
and filter predicates cannot starve the result list.
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import numpy as np
import psycopg

from knowme.errors import VaultCorrupt
from knowme.models import Chunk, Record, Section, SourceEntry
from knowme.models.graph import USER_ID
from knowme.models.store import UNDATED, SearchFilters, StoredChunk, ThreadLinks
from knowme.store.base import Store
from knowme.store.pgartifacts import PgArtifacts
from knowme.store.pgforget import PgForgetting, PgPortable
from knowme.store.pggovernance import PgGovernance
from knowme.store.pgschema import SCHEMA, TENANT_TABLES
from knowme.store.tenantkeys import TenantCipher

if TYPE_CHECKING:
    from knowme.store.pggraph import PgGraphStore, PgPersonaStore

#: Up to this many chunks a tenant's vector search is an exact scan; above it the HNSW index answers.
EXACT_VECTOR_LIMIT = 20_000
FTS_CONFIG = "english"
_K1, _B = 1.2, 0.75


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def connect(conninfo: str, *, vectors: bool = True) -> psycopg.Connection[Any]:
    """A connection in autocommit mode (transactions are explicit) with the schema on the path and, unless
    ``vectors`` is False (before the extension exists), pgvector's type registered."""
    from pgvector.psycopg import register_vector

    from knowme.errors import StoreUnreachable

    try:
        conn = psycopg.connect(conninfo, autocommit=True, options=f"-c search_path={SCHEMA},public")
    except psycopg.OperationalError as exc:
        raise StoreUnreachable(f"cannot reach the service database ({driver_reason(exc)})") from None
    if vectors:
        register_vector(conn)
    return conn


def driver_reason(exc: BaseException) -> str:
    """The first line of a driver error, without the connection string (which may hold a password)."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text.split("password")[0].strip() or type(exc).__name__


@contextmanager
def _reachable() -> Iterator[None]:
    """Turn a lost connection into :class:`~knowme.errors.StoreUnreachable` (other database errors are bugs)."""
    from knowme.errors import StoreUnreachable

    try:
        yield
    except psycopg.OperationalError as exc:
        raise StoreUnreachable(f"lost the service database ({driver_reason(exc)})") from None


class PostgresStore(PgForgetting, PgPortable, PgGovernance, PgArtifacts, Store):
    """:class:`~knowme.store.base.Store` for one tenant of the service database."""

    def __init__(self, conninfo: str, tenant: str, cipher: TenantCipher, *, dim: int) -> None:
        self.tenant = tenant
        self.dim = dim
        self.c = cipher
        self._lock = threading.RLock()
        self._depth = 0
        self._conn: psycopg.Connection[Any] | None = connect(conninfo)
        stored_dim = self.get_meta("embedding_dim")
        if stored_dim is None:
            self.set_meta("embedding_dim", str(dim))
        elif int(stored_dim) != dim:
            self.close()
            raise VaultCorrupt(
                f"this user's data holds {stored_dim}-dimensional vectors but the embedder makes {dim}; "
                "use the embedder the data was made with"
            )

    # -- lifecycle ---------------------------------------------------------------------------------------------
    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    @property
    def conn(self) -> psycopg.Connection[Any]:  # type: ignore[override]
        if self._conn is None:
            raise VaultCorrupt("the service store is closed")
        return self._conn

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            conn = self.conn
            self._run("BEGIN")
            self._depth = 1
            try:
                conn.execute("SELECT set_config('knowme.tenant', %s, true)", (self.tenant,))
                yield
            except BaseException:
                if not conn.closed:
                    with suppress(psycopg.Error):  # a lost connection has nothing to roll back
                        conn.execute("ROLLBACK")
                raise
            else:
                self._run("COMMIT")
            finally:
                self._depth = 0

    def _run(self, sql: str) -> None:
        from knowme.errors import StoreUnreachable

        try:
            self.conn.execute(sql)
        except psycopg.OperationalError as exc:
            raise StoreUnreachable(f"lost the service database ({driver_reason(exc)})") from None

    def _q(self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> list[Any]:
        """Run a statement in the tenant's transaction; return its rows (none for a statement without result)."""
        with self.transaction(), _reachable():
            cur = self.conn.execute(sql, params)  # type: ignore[arg-type]
            return cur.fetchall() if cur.description else []

    def _x(self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> int:
        """Run a statement in the tenant's transaction; return how many rows it changed."""
        with self.transaction(), _reachable():
            return int(self.conn.execute(sql, params).rowcount)  # type: ignore[arg-type]

    def _many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            with self.transaction(), self.conn.cursor() as cur:
                cur.executemany(sql, rows)

    def applied_migrations(self) -> list[str]:
        return [row[0] for row in self._q("SELECT name FROM migrations ORDER BY applied_at, name")]

    # -- records -----------------------------------------------------------------------------------------------
    def content_hashes(self, record_ids: Sequence[str]) -> dict[str, str]:
        rows = self._q("SELECT id, content_hash FROM records WHERE id = ANY(%s)", (list(record_ids),))
        return {rid: self.c.text(digest, "records.content_hash") for rid, digest in rows}

    def upsert_record(self, record: Record, chunks: Sequence[Chunk], vectors: np.ndarray) -> None:
        if len(chunks) != len(vectors):
            raise ValueError(f"{len(chunks)} chunks but {len(vectors)} vectors")
        c = self.c
        ts = record.timestamp.timestamp() if record.timestamp else float(UNDATED)
        now = _now()
        source_bi = c.blind(record.source)
        with self.transaction():
            self._x("DELETE FROM chunks WHERE record_id = %s", (record.id,))
            self._x(
                """
                INSERT INTO records(tenant, id, source_bi, source, kind, native_id, ref_bi, ref, ts, timestamp,
                    author_bi, author, participants, title, text, sections, meta, content_hash, ingested_at,
                    updated_at, follows_bi, follows)
                VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
                ON CONFLICT (tenant, id) DO UPDATE SET
                    source_bi=excluded.source_bi, source=excluded.source, kind=excluded.kind,
                    native_id=excluded.native_id, ref_bi=excluded.ref_bi, ref=excluded.ref, ts=excluded.ts,
                    timestamp=excluded.timestamp, author_bi=excluded.author_bi, author=excluded.author,
                    participants=excluded.participants, title=excluded.title, text=excluded.text,
                    sections=excluded.sections, meta=excluded.meta, content_hash=excluded.content_hash,
                    updated_at=excluded.updated_at, follows_bi=excluded.follows_bi, follows=excluded.follows
                """,
                (
                    self.tenant,
                    record.id,
                    source_bi,
                    c.seal(record.source, "records.source"),
                    record.kind,
                    c.seal(record.native_id, "records.native_id"),
                    c.blind(record.ref),
                    c.seal(record.ref, "records.ref"),
                    ts,
                    record.timestamp.isoformat() if record.timestamp else None,
                    c.blind(record.author),
                    c.seal(record.author, "records.author"),
                    c.seal(json.dumps(list(record.participants), ensure_ascii=False), "records.participants"),
                    c.seal(record.title, "records.title"),
                    c.seal(record.text, "records.text"),
                    c.seal(
                        json.dumps([[s.anchor, s.text] for s in record.sections], ensure_ascii=False),
                        "records.sections",
                    ),
                    c.seal(json.dumps(record.meta, ensure_ascii=False, sort_keys=True, default=str), "records.meta"),
                    c.seal(record.content_hash, "records.content_hash"),
                    now,
                    now,
                    c.blind(record.follows),
                    c.seal(record.follows, "records.follows"),
                ),
            )
            vecs = np.ascontiguousarray(vectors, dtype=np.float32)
            self._many(
                f"""
                INSERT INTO chunks(tenant, record_id, ordinal, anchor, text, index_text, kind, ts, source_bi, tsv,
                    embedding)
                VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, strip(to_tsvector('{FTS_CONFIG}', %s)), %s)
                """,
                [
                    (
                        self.tenant,
                        record.id,
                        chunk.ordinal,
                        c.seal(chunk.anchor, "chunks.anchor"),
                        c.seal(chunk.text, "chunks.text"),
                        c.seal(chunk.index_text, "chunks.index_text"),
                        record.kind,
                        ts,
                        source_bi,
                        chunk.index_text,
                        vec,
                    )
                    for chunk, vec in zip(chunks, vecs, strict=True)
                ],
            )

    def delete_records(self, record_ids: Sequence[str]) -> int:
        with self.transaction():
            gone = self._x("DELETE FROM records WHERE id = ANY(%s)", (list(record_ids),))
            if gone:
                self.graph().prune(keep=(USER_ID,))
        return gone

    _RECORD_COLUMNS = (
        "source, kind, native_id, ref, timestamp, author, participants, title, text, sections, meta, follows"
    )

    def _record(self, row: Sequence[Any]) -> Record:
        source, kind, native_id, ref, timestamp, author, participants, title, text, sections, meta, follows = row
        o = self.c.open
        return Record(
            source=self.c.text(source, "records.source"),
            kind=kind,
            native_id=self.c.text(native_id, "records.native_id"),
            ref=self.c.text(ref, "records.ref"),
            timestamp=datetime.fromisoformat(timestamp) if timestamp else None,
            author=o(author, "records.author"),
            participants=tuple(json.loads(self.c.text(participants, "records.participants"))),
            title=self.c.text(title, "records.title"),
            text=self.c.text(text, "records.text"),
            sections=tuple(Section(anchor=a, text=t) for a, t in json.loads(self.c.text(sections, "records.sections"))),
            meta=json.loads(self.c.text(meta, "records.meta")),
            follows=o(follows, "records.follows"),
        )

    def get_record(self, record_id: str) -> Record | None:
        rows = self._q(f"SELECT {self._RECORD_COLUMNS} FROM records WHERE id = %s", (record_id,))
        return self._record(rows[0]) if rows else None

    def iter_records(self, *, kind: str | None = None) -> Iterator[Record]:
        sql = f"SELECT {self._RECORD_COLUMNS} FROM records"
        order = ' ORDER BY ts, id COLLATE "C"'
        rows = self._q(sql + " WHERE kind = %s" + order, (kind,)) if kind else self._q(sql + order)
        for row in rows:
            yield self._record(row)

    def records_by_ref(self, ref: str) -> list[Record]:
        rows = self._q(
            f'SELECT {self._RECORD_COLUMNS} FROM records WHERE ref_bi = %s ORDER BY ts, id COLLATE "C"',
            (self.c.blind(ref),),
        )
        return [self._record(row) for row in rows]

    def recent_records(self, limit: int, *, kinds: Sequence[str] = (), until: datetime | None = None) -> list[Record]:
        where = [f"ts > {UNDATED}"]
        params: list[Any] = []
        if kinds:
            where.append("kind = ANY(%s)")
            params.append(list(kinds))
        if until is not None:
            where.append("ts <= %s")
            params.append(until.timestamp())
        sql = (
            f"SELECT {self._RECORD_COLUMNS} FROM records WHERE {' AND '.join(where)} "
            'ORDER BY ts DESC, id COLLATE "C" LIMIT %s'
        )
        return [self._record(row) for row in self._q(sql, [*params, max(0, int(limit))])]

    def counts(self) -> dict[str, int]:
        return {
            kind: int(n)
            for kind, n in self._q('SELECT kind, count(*) FROM records GROUP BY kind ORDER BY kind COLLATE "C"')
        }

    def chunk_count(self) -> int:
        return int(self._q("SELECT count(*) FROM chunks")[0][0])

    def size_bytes(self) -> int:
        """The tenant's rows as stored (row-level security shows only them), without the shared indexes."""
        parts = " + ".join(f"(SELECT coalesce(sum(pg_column_size(t.*)), 0) FROM {table} t)" for table in TENANT_TABLES)
        return int(self._q(f"SELECT {parts}")[0][0])

    # -- retrieval ---------------------------------------------------------------------------------------------
    def _source_indexes(self, prefixes: Sequence[str]) -> list[bytes]:
        """Blind indexes of the tenant's sources that start with one of ``prefixes`` (sources are few)."""
        rows = self._q("SELECT DISTINCT ON (source_bi) source_bi, source FROM records")
        return [bytes(bi) for bi, sealed in rows if self.c.text(sealed, "records.source").startswith(tuple(prefixes))]

    def _filters(self, filters: SearchFilters, alias: str) -> tuple[str, list[Any]]:
        clauses: list[str] = []
        params: list[Any] = []
        if filters.kinds:
            clauses.append(f"{alias}.kind = ANY(%s)")
            params.append(list(filters.kinds))
        if filters.sources:
            clauses.append(f"{alias}.source_bi = ANY(%s)")
            params.append(self._source_indexes(filters.sources))
        if filters.since is not None:
            clauses.append(f"{alias}.ts >= %s")
            params.append(filters.since_epoch)
        if filters.until is not None:
            clauses.append(f"{alias}.ts <= %s")
            params.append(filters.until_epoch)
        return (" AND " + " AND ".join(clauses) if clauses else ""), params

    def fts_search(self, terms: Sequence[str], k: int, filters: SearchFilters) -> list[tuple[int, float]]:
        terms = list(dict.fromkeys(t for t in terms if t.strip()))
        if not terms or k <= 0:
            return []
        query = f"plainto_tsquery('{FTS_CONFIG}', %s)"
        with self.transaction():
            any_term = " || ".join([query] * len(terms))
            stats = self._q(
                "SELECT "
                + ", ".join(f"count(*) FILTER (WHERE tsv @@ {query})" for _ in terms)
                + f", avg(length(tsv)) FROM chunks WHERE tsv @@ ({any_term})",
                [*terms, *terms],
            )[0]
            found, mean = stats[:-1], float(stats[-1] or 1.0)
            total = self.chunk_count()
            kept = [(t, int(df)) for t, df in zip(terms, found, strict=True) if df]
            if not kept:
                return []
            weights = [math.log(1 + (total - df + 0.5) / (df + 0.5)) for _, df in kept]
            score = " + ".join(f"(CASE WHEN c.tsv @@ {query} THEN %s ELSE 0 END)" for _ in kept)
            where, params = self._filters(filters, "c")
            sql = (
                f"SELECT c.id, ({score}) * {_K1 + 1} / ({_K1} * ({1 - _B} + {_B} * length(c.tsv) / %s) + 1) AS score "
                f"FROM chunks c WHERE c.tsv @@ ({' || '.join([query] * len(kept))}) {where} "
                "ORDER BY score DESC, c.id LIMIT %s"
            )
            args: list[Any] = []
            for (term, _), weight in zip(kept, weights, strict=True):
                args.extend([term, weight])
            rows = self._q(sql, [*args, max(mean, 1.0), *(t for t, _ in kept), *params, k])
        return [(int(cid), float(score)) for cid, score in rows]

    def vector_search(self, vector: np.ndarray, k: int, filters: SearchFilters) -> list[tuple[int, float]]:
        if k <= 0:
            return []
        query = np.asarray(vector, dtype=np.float32)
        where, params = self._filters(filters, "c")
        with self.transaction():
            if self.chunk_count() <= EXACT_VECTOR_LIMIT:
                order = "(c.embedding <=> %s) + 0"  # not the index's operator form: an exact scan of this tenant
            else:
                self._q("SELECT set_config('hnsw.iterative_scan', 'strict_order', true)")
                self._q("SELECT set_config('hnsw.ef_search', %s, true)", (str(max(40, min(1000, 2 * k))),))
                order = "c.embedding <=> %s"
            rows = self._q(
                f"SELECT c.id, 1 - (c.embedding <=> %s) FROM chunks c WHERE TRUE {where} ORDER BY {order}, c.id "
                "LIMIT %s",
                [query, *params, query, k],
            )
        return [(int(cid), float(sim)) for cid, sim in rows]

    def thread_links(self, chunk_ids: Sequence[int], filters: SearchFilters) -> ThreadLinks:
        ids = list(dict.fromkeys(int(i) for i in chunk_ids))
        if not ids:
            return ThreadLinks({}, {})
        previous: dict[int, list[int]] = {}
        following: dict[int, list[int]] = {}
        where, params = self._filters(filters, "n")
        for target, join in ((previous, "o.ref_bi = r.follows_bi"), (following, "o.follows_bi = r.ref_bi")):
            rows = self._q(
                f"""
                SELECT c.id, n.id FROM chunks c
                JOIN records r ON r.id = c.record_id
                JOIN records o ON {join}
                JOIN chunks n ON n.record_id = o.id
                WHERE c.id = ANY(%s) AND o.id <> r.id {where} ORDER BY c.id, n.id
                """,
                [ids, *params],
            )
            for cid, nid in rows:
                target.setdefault(int(cid), []).append(int(nid))
        return ThreadLinks({k: tuple(v) for k, v in previous.items()}, {k: tuple(v) for k, v in following.items()})

    def speakers(self) -> frozenset[str]:
        rows = self._q(
            "SELECT DISTINCT ON (author_bi) author FROM records WHERE kind = 'chat_message' AND author IS NOT NULL"
        )
        names = (self.c.text(a, "records.author") for (a,) in rows)
        return frozenset(n for n in names if n.strip())

    def contact_cards(self) -> dict[int, str]:
        rows = self._q(
            "SELECT c.id, r.title FROM records r JOIN chunks c ON c.record_id = r.id WHERE r.kind = 'contact'"
        )
        return {int(cid): self.c.text(title, "records.title") for cid, title in rows if title is not None}

    def load_chunks(self, chunk_ids: Sequence[int]) -> dict[int, StoredChunk]:
        ids = list(dict.fromkeys(int(i) for i in chunk_ids))
        if not ids:
            return {}
        out: dict[int, StoredChunk] = {}
        t = self.c.text
        for row in self._q(
            """
            SELECT c.id, r.id, r.ref, r.source, r.kind, r.timestamp, r.title, r.author, c.anchor, c.text
            FROM chunks c JOIN records r ON r.id = c.record_id WHERE c.id = ANY(%s)
            """,
            (ids,),
        ):
            cid, rid, ref, source, kind, timestamp, title, author, anchor, text = row
            out[int(cid)] = StoredChunk(
                chunk_id=int(cid),
                record_id=rid,
                ref=t(ref, "records.ref"),
                source=t(source, "records.source"),
                kind=kind,
                timestamp=datetime.fromisoformat(timestamp) if timestamp else None,
                title=t(title, "records.title"),
                author=self.c.open(author, "records.author"),
                anchor=t(anchor, "chunks.anchor"),
                text=t(text, "chunks.text"),
            )
        return out

    # -- small state -------------------------------------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        rows = self._q("SELECT value FROM meta WHERE key = %s", (key,))
        return self.c.open(rows[0][0], "meta.value") if rows else None

    def set_meta(self, key: str, value: str) -> None:
        self._x(
            "INSERT INTO meta(tenant, key, value) VALUES (%s, %s, %s) "
            "ON CONFLICT (tenant, key) DO UPDATE SET value = excluded.value",
            (self.tenant, key, self.c.seal(value, "meta.value")),
        )

    def get_cursor(self, source: str) -> Mapping[str, Any] | None:
        rows = self._q("SELECT cursor FROM source_state WHERE source_bi = %s", (self.c.blind(source),))
        return json.loads(self.c.text(rows[0][0], "source_state.cursor")) if rows else None

    def set_cursor(self, source: str, cursor: Mapping[str, Any], *, items: int) -> None:
        self._x(
            """
            INSERT INTO source_state(tenant, source_bi, source, cursor, items, last_ingest_at)
            VALUES (%s, %s, %s, %s, %s, %s)
            ON CONFLICT (tenant, source_bi) DO UPDATE SET cursor=excluded.cursor, items=excluded.items,
                last_ingest_at=excluded.last_ingest_at
            """,
            (
                self.tenant,
                self.c.blind(source),
                self.c.seal(source, "source_state.source"),
                self.c.seal(json.dumps(cursor, sort_keys=True), "source_state.cursor"),
                items,
                _now(),
            ),
        )

    def graph(self) -> PgGraphStore:
        from knowme.store.pggraph import PgGraphStore

        return PgGraphStore(self)

    def persona(self) -> PgPersonaStore:
        from knowme.store.pggraph import PgPersonaStore

        return PgPersonaStore(self)

    # -- registered sources ------------------------------------------------------------------------------------
    def save_source(self, entry: SourceEntry) -> None:
        s = self.c.seal
        self._x(
            """
            INSERT INTO sources(tenant, name_bi, name, uri, kind, settings, created_at, last_sync_at, last_error, items)
            VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
            ON CONFLICT (tenant, name_bi) DO UPDATE SET uri=excluded.uri, kind=excluded.kind,
                settings=excluded.settings, last_sync_at=excluded.last_sync_at, last_error=excluded.last_error,
                items=excluded.items
            """,
            (
                self.tenant,
                self.c.blind(entry.name),
                s(entry.name, "sources.name"),
                s(entry.uri, "sources.uri"),
                entry.kind,
                s(json.dumps(dict(entry.settings), sort_keys=True), "sources.settings"),
                entry.created_at.isoformat() if entry.created_at else _now(),
                entry.last_sync_at.isoformat() if entry.last_sync_at else None,
                s(entry.last_error, "sources.last_error"),
                entry.items,
            ),
        )

    def list_sources(self) -> list[SourceEntry]:
        t = self.c.text
        rows = self._q("SELECT name, uri, kind, settings, created_at, last_sync_at, last_error, items FROM sources")
        entries = [
            SourceEntry(
                name=t(name, "sources.name"),
                uri=t(uri, "sources.uri"),
                kind=kind,
                settings=json.loads(t(settings, "sources.settings")),
                created_at=datetime.fromisoformat(created) if created else None,
                last_sync_at=datetime.fromisoformat(synced) if synced else None,
                last_error=self.c.open(error, "sources.last_error"),
                items=items,
            )
            for name, uri, kind, settings, created, synced, error, items in rows
        ]
        return sorted(entries, key=lambda e: e.name)

    def delete_source(self, name: str) -> bool:
        with self.transaction():
            gone = self._x("DELETE FROM sources WHERE name_bi = %s", (self.c.blind(name),))
            self._x("DELETE FROM source_state WHERE source_bi = %s", (self.c.blind(f"source:{name}"),))
        return bool(gone)

    def source_record_ids(self, source: str) -> dict[str, str]:
        rows = self._q("SELECT native_id, id FROM records WHERE source_bi = %s", (self.c.blind(source),))
        return {self.c.text(native, "records.native_id"): rid for native, rid in rows}
