"""The embedded vault: one SQLCipher 4 file holding records, chunks, FTS5, sqlite-vec vectors and the graph.

The raw 256-bit key (derived with Argon2id in :mod:`knowme.store.keys`) is handed to SQLCipher as a hex blob, so
SQLCipher's own PBKDF2 is skipped. Pages, the write-ahead log and temporary tables are all encrypted or kept in
memory: the file on disk holds no plaintext. ``secure_delete`` overwrites freed content.
"""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import sqlite_vec
from sqlcipher3 import dbapi2 as sqlite

from knowme.errors import VaultCorrupt, WrongPassphrase
from knowme.models import Chunk, Record, Section, SourceEntry
from knowme.models.graph import USER_ID
from knowme.models.store import UNDATED, SearchFilters, StoredChunk, ThreadLinks
from knowme.store.artifacts import SQLCipherArtifacts
from knowme.store.base import Store
from knowme.store.forgetting import SQLCipherForgetting
from knowme.store.governance import SQLCipherGovernance
from knowme.store.portable import SQLCipherPortable
from knowme.store.rekey import SQLCipherRekey
from knowme.store.schema import MIGRATIONS
from knowme.store.vectors import VectorMatrix

if TYPE_CHECKING:
    from knowme.store.sqlgraph import SQLiteGraphStore
    from knowme.store.sqlpersona import SQLitePersonaStore

VAULT_FILE = "vault.db"
BACKUP_DIR = "backups"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@cache
def _stemmer() -> Any:
    import Stemmer

    return Stemmer.Stemmer("porter")


def _stem(term: str) -> str:
    """The stem FTS5's porter tokenizer stores for ``term`` (both are the original Porter algorithm)."""
    return str(_stemmer().stemWord(term))


def _fts_phrase(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


class _Rows(list[Any]):
    """Fetched rows, with the two cursor methods callers use."""

    def fetchone(self) -> Any:
        return self[0] if self else None

    def fetchall(self) -> list[Any]:
        return list(self)


#: Above this many chunks, full-text queries drop terms found in more than ``COMMON_TERM_SHARE`` of them: such terms
#: weigh almost nothing in BM25 (idf < 2.4) but make the query score most of the index.
LARGE_INDEX = 20_000
COMMON_TERM_SHARE = 0.1


class SQLCipherStore(
    SQLCipherForgetting, SQLCipherRekey, SQLCipherPortable, SQLCipherGovernance, SQLCipherArtifacts, Store
):
    """:class:`~knowme.store.base.Store` on an encrypted SQLite file."""

    def __init__(self, path: Path, key: bytes, *, dim: int, cache_mb: int = 256) -> None:
        self.path = path
        self.dim = dim
        self._lock = threading.RLock()
        self._depth = 0
        self._matrix: VectorMatrix | None = None
        self._derived: dict[str, tuple[str, Any]] = {}  # name -> (vector generation, value): see _per_generation
        self._generation_memo: tuple[int, str] | None = None  # (PRAGMA data_version, vector_generation)
        conn = sqlite.connect(str(path), check_same_thread=False, isolation_level=None)
        try:
            conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
            try:
                conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            except sqlite.DatabaseError as exc:
                raise WrongPassphrase(
                    f"{path} cannot be decrypted with this key (wrong passphrase, or not a knowme vault)"
                ) from exc
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA secure_delete = ON")
            conn.execute("PRAGMA temp_store = MEMORY")
            conn.execute(f"PRAGMA cache_size = -{int(cache_mb) * 1024}")
            conn.enable_load_extension(True)
            sqlite_vec.load(conn)
            conn.enable_load_extension(False)
        except BaseException:
            conn.close()
            raise
        self._conn = conn
        self._migrate()
        stored_dim = self.get_meta("embedding_dim")
        if stored_dim is None:
            self.set_meta("embedding_dim", str(dim))
        elif int(stored_dim) != dim:
            raise VaultCorrupt(
                f"this vault stores {stored_dim}-dimensional vectors but the embedder makes {dim}; "
                "use the embedder the vault was made with"
            )

    # -- lifecycle ---------------------------------------------------------------------------------------------
    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                try:
                    self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                finally:
                    self._conn.close()
                    self._conn = None  # type: ignore[assignment]

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
            self._conn.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            else:
                self._conn.execute("COMMIT")
            finally:
                self._depth = 0
                self._generation_memo = None  # our own writes do not move PRAGMA data_version

    def _q(self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> _Rows:
        """Run a statement and fetch every row while holding the lock (the connection is shared by threads)."""
        with self._lock:
            try:
                return _Rows(self._conn.execute(sql, params).fetchall())
            except sqlite.DatabaseError as exc:
                if "malformed" in str(exc) or "not a database" in str(exc):
                    raise VaultCorrupt(f"{self.path} is damaged: {exc}") from exc
                raise

    # -- migrations ------------------------------------------------------------------------------------------
    def _migrate(self) -> None:
        self._conn.execute("CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
        self._conn.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        done = set(self.applied_migrations())
        pending = [m for m in MIGRATIONS if m.__name__ not in done]
        if not pending:
            return
        if done:
            self._backup(f"before-{pending[0].__name__}")
        for migration in pending:
            with self.transaction():
                migration(self._conn, self.dim)
                self._conn.execute(
                    "INSERT INTO migrations(name, applied_at) VALUES (?, ?)", (migration.__name__, _now())
                )

    def _backup(self, label: str) -> Path:
        """Copy the encrypted vault (checkpointed) to ``backups/``; the copy opens with the same key."""
        self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        folder = self.path.parent / BACKUP_DIR
        folder.mkdir(exist_ok=True)
        target = folder / f"vault-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S')}-{label}.db"
        shutil.copy2(self.path, target)
        return target

    def applied_migrations(self) -> list[str]:
        return [row[0] for row in self._q("SELECT name FROM migrations ORDER BY rowid")]

    # -- records -----------------------------------------------------------------------------------------------
    def content_hashes(self, record_ids: Sequence[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        ids = list(record_ids)
        for start in range(0, len(ids), 500):
            part = ids[start : start + 500]
            marks = ",".join("?" * len(part))
            for rid, digest in self._q(f"SELECT id, content_hash FROM records WHERE id IN ({marks})", part):
                found[rid] = digest
        return found

    def upsert_record(self, record: Record, chunks: Sequence[Chunk], vectors: np.ndarray) -> None:
        if len(chunks) != len(vectors):
            raise ValueError(f"{len(chunks)} chunks but {len(vectors)} vectors")
        ts = record.timestamp.timestamp() if record.timestamp else float(UNDATED)
        now = _now()
        with self.transaction():
            conn = self._conn
            conn.execute("DELETE FROM chunks WHERE record_id = ?", (record.id,))
            conn.execute(
                """
                INSERT INTO records(id, source, kind, native_id, ref, ts, timestamp, author, participants, title,
                                    text, sections, meta, content_hash, ingested_at, updated_at, follows)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(id) DO UPDATE SET
                    source=excluded.source, kind=excluded.kind, native_id=excluded.native_id, ref=excluded.ref,
                    ts=excluded.ts, timestamp=excluded.timestamp, author=excluded.author,
                    participants=excluded.participants, title=excluded.title, text=excluded.text,
                    sections=excluded.sections, meta=excluded.meta, content_hash=excluded.content_hash,
                    updated_at=excluded.updated_at, follows=excluded.follows
                """,
                (
                    record.id,
                    record.source,
                    record.kind,
                    record.native_id,
                    record.ref,
                    ts,
                    record.timestamp.isoformat() if record.timestamp else None,
                    record.author,
                    json.dumps(list(record.participants), ensure_ascii=False),
                    record.title,
                    record.text,
                    json.dumps([[s.anchor, s.text] for s in record.sections], ensure_ascii=False),
                    json.dumps(record.meta, ensure_ascii=False, sort_keys=True, default=str),
                    record.content_hash,
                    now,
                    now,
                    record.follows,
                ),
            )
            vecs = np.ascontiguousarray(vectors, dtype=np.float32)
            for chunk, vec in zip(chunks, vecs, strict=True):
                cur = conn.execute(
                    "INSERT INTO chunks(record_id, ordinal, anchor, text, index_text, kind, ts, source) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        record.id,
                        chunk.ordinal,
                        chunk.anchor,
                        chunk.text,
                        chunk.index_text,
                        record.kind,
                        ts,
                        record.source,
                    ),
                )
                conn.execute(
                    "INSERT INTO chunks_vec(chunk_id, embedding, kind, ts) VALUES (?, ?, ?, ?)",
                    (cur.lastrowid, vec.tobytes(), record.kind, ts),
                )
            self._bump_vectors()

    def delete_records(self, record_ids: Sequence[str]) -> int:
        gone = 0
        with self.transaction():
            for rid in record_ids:
                self._conn.execute("DELETE FROM chunks WHERE record_id = ?", (rid,))
                gone += self._conn.execute("DELETE FROM records WHERE id = ?", (rid,)).rowcount
            self._bump_vectors()
            if gone:
                self.graph().prune(keep=(USER_ID,))  # what only these records supported goes with them
        return gone

    _RECORD_COLUMNS = (
        "source, kind, native_id, ref, timestamp, author, participants, title, text, sections, meta, follows"
    )

    @staticmethod
    def _record(row: Sequence[Any]) -> Record:
        source, kind, native_id, ref, timestamp, author, participants, title, text, sections, meta, follows = row
        return Record(
            source=source,
            kind=kind,
            native_id=native_id,
            ref=ref,
            timestamp=datetime.fromisoformat(timestamp) if timestamp else None,
            author=author,
            participants=tuple(json.loads(participants)),
            title=title,
            text=text,
            sections=tuple(Section(anchor=a, text=t) for a, t in json.loads(sections)),
            meta=json.loads(meta),
            follows=follows,
        )

    def get_record(self, record_id: str) -> Record | None:
        row = self._q(f"SELECT {self._RECORD_COLUMNS} FROM records WHERE id = ?", (record_id,)).fetchone()
        return self._record(row) if row else None

    def iter_records(self, *, kind: str | None = None) -> Iterator[Record]:
        sql = f"SELECT {self._RECORD_COLUMNS} FROM records"
        rows = self._q(sql + " WHERE kind = ? ORDER BY ts, id", (kind,)) if kind else self._q(sql + " ORDER BY ts, id")
        for row in rows.fetchall():
            yield self._record(row)

    def records_by_ref(self, ref: str) -> list[Record]:
        rows = self._q(f"SELECT {self._RECORD_COLUMNS} FROM records WHERE ref = ? ORDER BY ts", (ref,)).fetchall()
        return [self._record(row) for row in rows]

    def recent_records(self, limit: int, *, kinds: Sequence[str] = (), until: datetime | None = None) -> list[Record]:
        where: list[str] = [f"ts > {UNDATED}"]  # undated records have no place on a timeline
        params: list[Any] = []
        if kinds:
            where.append(f"kind IN ({', '.join('?' * len(kinds))})")
            params.extend(kinds)
        if until is not None:
            where.append("ts <= ?")
            params.append(until.timestamp())
        sql = f"SELECT {self._RECORD_COLUMNS} FROM records WHERE {' AND '.join(where)} ORDER BY ts DESC, id LIMIT ?"
        return [self._record(row) for row in self._q(sql, [*params, max(0, int(limit))]).fetchall()]

    def counts(self) -> dict[str, int]:
        return {kind: n for kind, n in self._q("SELECT kind, count(*) FROM records GROUP BY kind ORDER BY kind")}

    def chunk_count(self) -> int:
        return int(self._q("SELECT count(*) FROM chunks").fetchone()[0])

    def size_bytes(self) -> int:
        files = (self.path, self.path.with_name(self.path.name + "-wal"))
        return sum(p.stat().st_size for p in files if p.exists())

    # -- retrieval ---------------------------------------------------------------------------------------------
    @staticmethod
    def _record_filters(filters: SearchFilters, alias: str = "r") -> tuple[str, list[Any]]:
        clauses: list[str] = []
        params: list[Any] = []
        if filters.kinds:
            clauses.append(f"{alias}.kind IN ({','.join('?' * len(filters.kinds))})")
            params.extend(filters.kinds)
        if filters.sources:
            clauses.append("(" + " OR ".join(f"{alias}.source LIKE ? ESCAPE '\\'" for _ in filters.sources) + ")")
            params.extend(
                s.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%" for s in filters.sources
            )
        if filters.since is not None:
            clauses.append(f"{alias}.ts >= ?")
            params.append(filters.since_epoch)
        if filters.until is not None:
            clauses.append(f"{alias}.ts <= ?")
            params.append(filters.until_epoch)
        return (" AND " + " AND ".join(clauses) if clauses else ""), params

    def _common_terms(self, terms: Sequence[str]) -> set[str]:
        """Terms found in more than COMMON_TERM_SHARE of the chunks, when the index is large."""
        if len(terms) < 2:
            return set()
        total: int = self._per_generation("chunk_count", self.chunk_count)  # counting scans the table
        if total < LARGE_INDEX:
            return set()
        stems = {term: _stem(term) for term in terms}
        df: dict[str, int] = self._per_generation("term_df", dict)  # document frequencies seen so far
        missing = sorted(set(stems.values()) - df.keys())
        if missing:
            marks = ",".join("?" * len(missing))
            found = dict(self._q(f"SELECT term, doc FROM chunks_vocab WHERE term IN ({marks})", missing))
            with self._lock:
                df.update({stem: int(found.get(stem, 0)) for stem in missing})
        return {term for term, stem in stems.items() if df.get(stem, 0) > COMMON_TERM_SHARE * total}

    def fts_search(self, terms: Sequence[str], k: int, filters: SearchFilters) -> list[tuple[int, float]]:
        terms = [t for t in terms if t.strip()]
        if not terms or k <= 0:
            return []
        common = self._common_terms(terms)
        kept = [t for t in terms if t not in common] or terms
        match = " OR ".join(_fts_phrase(t) for t in kept)
        where, params = self._record_filters(filters, alias="c")
        if where:
            sql = (
                "SELECT c.id, bm25(chunks_fts) AS score FROM chunks_fts JOIN chunks c ON c.id = chunks_fts.rowid "
                f"WHERE chunks_fts MATCH ? {where} ORDER BY score LIMIT ?"
            )
        else:
            sql = (
                "SELECT rowid, bm25(chunks_fts) AS score FROM chunks_fts "
                "WHERE chunks_fts MATCH ? ORDER BY score LIMIT ?"
            )
        rows = self._q(sql, [match, *params, k])
        return [(int(cid), -float(score)) for cid, score in rows]

    #: Most chunks whose unfiltered thread links are remembered per generation (about 200 bytes each).
    THREAD_LINKS_MEMO = 200_000

    def thread_links(self, chunk_ids: Sequence[int], filters: SearchFilters) -> ThreadLinks:
        ids = list(dict.fromkeys(chunk_ids))
        if not ids:
            return ThreadLinks({}, {})
        if replace(filters, kinds=()) != SearchFilters():  # neighbours must pass the filters: ask every time
            return self._thread_links(ids, filters)
        # Links filtered by kind alone change only when records are written: remember them per kind filter and chunk
        # until the next write (a search asks for about 200 chunks, most of them asked for by earlier searches).
        memo: dict[tuple[str, ...], dict[int, tuple[tuple[int, ...], tuple[int, ...]]]]
        memo = self._per_generation("thread_links", dict)
        with self._lock:
            known = memo.setdefault(filters.kinds, {})
            links = {cid: known[cid] for cid in ids if cid in known}
        missing = [cid for cid in ids if cid not in links]
        if missing:
            found = self._thread_links(missing, filters)
            fresh = {cid: (found.previous.get(cid, ()), found.following.get(cid, ())) for cid in missing}
            links.update(fresh)
            with self._lock:
                if len(known) + len(fresh) > self.THREAD_LINKS_MEMO:
                    known.clear()
                known.update(fresh)
        return ThreadLinks(
            {cid: before for cid, (before, _) in links.items() if before},
            {cid: after for cid, (_, after) in links.items() if after},
        )

    def _thread_links(self, ids: Sequence[int], filters: SearchFilters) -> ThreadLinks:
        previous: dict[int, list[int]] = {}
        following: dict[int, list[int]] = {}
        where, params = self._record_filters(filters, alias="n")
        for start in range(0, len(ids), 500):
            part = ids[start : start + 500]
            marks = ",".join("?" * len(part))
            for target, join in ((previous, "o.ref = r.follows"), (following, "o.follows = r.ref")):
                rows = self._q(
                    f"""
                    SELECT c.id, n.id FROM chunks c
                    JOIN records r ON r.id = c.record_id
                    JOIN records o ON {join}
                    JOIN chunks n ON n.record_id = o.id
                    WHERE c.id IN ({marks}) AND o.id != r.id {where}
                    """,
                    [*part, *params],
                )
                for cid, nid in rows:
                    target.setdefault(int(cid), []).append(int(nid))
        return ThreadLinks({k: tuple(v) for k, v in previous.items()}, {k: tuple(v) for k, v in following.items()})

    def speakers(self) -> frozenset[str]:
        def load() -> frozenset[str]:
            rows = self._q("SELECT DISTINCT author FROM records WHERE kind = 'chat_message' AND author IS NOT NULL")
            return frozenset(str(a) for (a,) in rows if str(a).strip())

        result: frozenset[str] = self._per_generation("speakers", load)
        return result

    def contact_cards(self) -> dict[int, str]:
        def load() -> dict[int, str]:
            rows = self._q(
                "SELECT c.id, r.title FROM records r JOIN chunks c ON c.record_id = r.id WHERE r.kind = 'contact'"
            )
            return {int(cid): str(title) for cid, title in rows if title}

        result: dict[int, str] = self._per_generation("contact_cards", load)
        return result

    def _generation(self) -> str:
        """``vector_generation``, read again only when the file may have changed: ``PRAGMA data_version`` moves when
        another connection commits (a cheap header check instead of a query per search), and every commit of this
        connection forgets the memo."""
        with self._lock:
            version = int(self._conn.execute("PRAGMA data_version").fetchone()[0])
            memo = self._generation_memo
            if memo is not None and memo[0] == version:
                return memo[1]
            generation = self.get_meta("vector_generation") or "0"
            if not self._depth:  # inside a transaction the value may still roll back
                self._generation_memo = (version, generation)
            return generation

    def _per_generation(self, name: str, compute: Callable[[], Any]) -> Any:
        """``compute()``, cached until the next write of records (every write bumps ``vector_generation``)."""
        generation = self._generation()
        with self._lock:
            cached = self._derived.get(name)
            if cached is None or cached[0] != generation:
                cached = self._derived[name] = (generation, compute())
            return cached[1]

    def _bump_vectors(self) -> None:
        """Tell every reader (this process or another) that the set of vectors changed."""
        self._conn.execute(
            "INSERT INTO meta(key, value) VALUES ('vector_generation', '1') "
            "ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1"
        )

    def _vector_matrix(self) -> VectorMatrix:
        with self._lock:
            generation = self._generation()
            if self._matrix is None or self._matrix.generation != generation:
                rows = self._q("SELECT chunk_id, embedding, kind, ts FROM chunks_vec").fetchall()
                self._matrix = VectorMatrix.from_rows(generation, rows, self.dim)
            return self._matrix

    def vector_search(self, vector: np.ndarray, k: int, filters: SearchFilters) -> list[tuple[int, float]]:
        if k <= 0:
            return []
        matrix = self._vector_matrix()
        if not filters.sources:
            return matrix.search(vector, k, filters)
        # source prefixes are not in the matrix: widen the search, then keep the chunks whose source matches
        hits = matrix.search(vector, max(k * 20, 200), filters)
        where, extra = self._record_filters(SearchFilters(sources=filters.sources), alias="c")
        marks = ",".join("?" * len(hits))
        keep = (
            {
                row[0]
                for row in self._q(
                    f"SELECT c.id FROM chunks c WHERE c.id IN ({marks}) {where}",
                    [cid for cid, _ in hits] + extra,
                )
            }
            if hits
            else set()
        )
        return [h for h in hits if h[0] in keep][:k]

    def load_chunks(self, chunk_ids: Sequence[int]) -> dict[int, StoredChunk]:
        ids = list(dict.fromkeys(chunk_ids))
        out: dict[int, StoredChunk] = {}
        for start in range(0, len(ids), 500):
            part = ids[start : start + 500]
            marks = ",".join("?" * len(part))
            for row in self._q(
                f"""
                SELECT c.id, r.id, r.ref, r.source, r.kind, r.timestamp, r.title, r.author, c.anchor, c.text
                FROM chunks c JOIN records r ON r.id = c.record_id WHERE c.id IN ({marks})
                """,
                part,
            ):
                cid, rid, ref, source, kind, timestamp, title, author, anchor, text = row
                out[int(cid)] = StoredChunk(
                    chunk_id=int(cid),
                    record_id=rid,
                    ref=ref,
                    source=source,
                    kind=kind,
                    timestamp=datetime.fromisoformat(timestamp) if timestamp else None,
                    title=title,
                    author=author,
                    anchor=anchor,
                    text=text,
                )
        return out

    # -- small state -------------------------------------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        row = self._q("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self.transaction():
            self._conn.execute(
                "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    def get_cursor(self, source: str) -> Mapping[str, Any] | None:
        row = self._q("SELECT cursor FROM source_state WHERE source = ?", (source,)).fetchone()
        return json.loads(row[0]) if row else None

    def set_cursor(self, source: str, cursor: Mapping[str, Any], *, items: int) -> None:
        with self.transaction():
            self._conn.execute(
                """
                INSERT INTO source_state(source, cursor, items, last_ingest_at) VALUES (?, ?, ?, ?)
                ON CONFLICT(source) DO UPDATE SET cursor=excluded.cursor, items=excluded.items,
                    last_ingest_at=excluded.last_ingest_at
                """,
                (source, json.dumps(cursor, sort_keys=True), items, _now()),
            )

    def graph(self) -> SQLiteGraphStore:
        from knowme.store.sqlgraph import SQLiteGraphStore

        return SQLiteGraphStore(self)

    def persona(self) -> SQLitePersonaStore:
        from knowme.store.sqlpersona import SQLitePersonaStore

        return SQLitePersonaStore(self)

    def integrity_check(self) -> str:
        return str(self._q("PRAGMA integrity_check").fetchone()[0])

    # -- registered sources ------------------------------------------------------------------------------------
    def save_source(self, entry: SourceEntry) -> None:
        with self.transaction():
            self._conn.execute(
                """
                INSERT INTO sources(name, uri, kind, settings, created_at, last_sync_at, last_error, items)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(name) DO UPDATE SET uri=excluded.uri, kind=excluded.kind, settings=excluded.settings,
                    last_sync_at=excluded.last_sync_at, last_error=excluded.last_error, items=excluded.items
                """,
                (
                    entry.name,
                    entry.uri,
                    entry.kind,
                    json.dumps(dict(entry.settings), sort_keys=True),
                    (entry.created_at.isoformat() if entry.created_at else _now()),
                    entry.last_sync_at.isoformat() if entry.last_sync_at else None,
                    entry.last_error,
                    entry.items,
                ),
            )

    def list_sources(self) -> list[SourceEntry]:
        rows = self._q(
            "SELECT name, uri, kind, settings, created_at, last_sync_at, last_error, items FROM sources ORDER BY name"
        ).fetchall()
        return [
            SourceEntry(
                name=name,
                uri=uri,
                kind=kind,
                settings=json.loads(settings),
                created_at=datetime.fromisoformat(created) if created else None,
                last_sync_at=datetime.fromisoformat(synced) if synced else None,
                last_error=error,
                items=items,
            )
            for name, uri, kind, settings, created, synced, error, items in rows
        ]

    def delete_source(self, name: str) -> bool:
        with self.transaction():
            gone = self._conn.execute("DELETE FROM sources WHERE name = ?", (name,)).rowcount
            self._conn.execute("DELETE FROM source_state WHERE source = ?", (f"source:{name}",))
        return bool(gone)

    def source_record_ids(self, source: str) -> dict[str, str]:
        rows = self._q("SELECT native_id, id FROM records WHERE source = ?", (source,)).fetchall()
        return {native_id: rid for native_id, rid in rows}
