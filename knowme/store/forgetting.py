"""Forgetting in the SQLCipher vault: select records, delete them and everything derived, leave no trace in the file.

A forget runs in one transaction: chunks (and through their trigger the FTS5 and ``vec0`` entries), the records
(provenance rows cascade), then every graph item whose provenance pointed only at the forgotten records: facts,
preferences, entity aliases and entities. Entities named by the caller (``--person``) go outright, with their
aliases and every fact about them. Feedback given on a forgotten item (by its ref or record id) goes too.
Tombstones keep the record ids and content hashes (never content) so the next ingest of the same source skips the
items.

Deleted bytes must not survive anywhere in the files: ``secure_delete`` zeroes freed cells, :meth:`compact` merges
the FTS5 segments (whose older b-trees still hold the deleted terms until a merge), checkpoints the write-ahead log
into the main file and truncates it, then VACUUMs (rebuilding every page) and truncates the log again.

Provenance ``target_type`` values understood: ``entity``, ``fact``, ``preference``, and ``alias`` with a
``target_id`` of ``<entity id>\\x1f<alias>``; other target types lose their provenance rows with the records.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from knowme.models.store import ForgetCounts, RecordSelector, RecordSummary
from knowme.store.base import ForgettingStore, text_fingerprint

ALIAS_SEPARATOR = "\x1f"
_SCAN_BATCH = 2000


class _DryRun(Exception):
    """Raised inside the forget transaction to roll a dry run back."""


def _like_prefix(prefix: str) -> str:
    return prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def person_pattern(needles: Sequence[str]) -> re.Pattern[str]:
    """Whole-word, case-insensitive match of any of ``needles`` (names or email addresses)."""
    alternatives = "|".join(re.escape(n.strip()) for n in sorted(needles, key=len, reverse=True) if n.strip())
    return re.compile(rf"(?<![\w.@-])(?:{alternatives})(?![\w@-]|\.\w)", re.IGNORECASE)


_EMAIL = re.compile(r"([\w.+-]+)@[\w-]+(?:\.[\w-]+)+")
WORDS = re.compile(r"[^\W\d_]+|\d+")


def names_person(value: str, pattern: re.Pattern[str], names: Sequence[tuple[str, ...]]) -> bool:
    """Whether ``value`` (an author or participants field) is one of the people: a whole-word name or address, or an
    address whose local part spells a full name (``tom.baker@`` for ``Tom Baker``)."""
    if pattern.search(value):
        return True
    for local in _EMAIL.findall(value):
        words = tuple(w.casefold() for w in WORDS.findall(local))
        if len(words) > 1 and words in names:
            return True
    return False


class SQLCipherForgetting(ForgettingStore):
    """The forgetting half of :class:`~knowme.store.sqlcipher.SQLCipherStore` (mixed in; uses its connection)."""

    _conn: Any

    if TYPE_CHECKING:  # provided by SQLCipherStore

        def _q(self, sql: str, params: Sequence[Any] = ()) -> Any: ...

        def transaction(self) -> AbstractContextManager[None]: ...

        def _bump_vectors(self) -> None: ...

    # -- selection -------------------------------------------------------------------------------------------
    def select_records(self, selector: RecordSelector) -> list[RecordSummary]:
        if selector.empty:
            return []
        clauses: list[str] = []
        params: list[Any] = []
        if selector.refs:
            clauses.append(f"ref IN ({','.join('?' * len(selector.refs))})")
            params.extend(selector.refs)
        if selector.source_prefixes:
            clauses.append("(" + " OR ".join("source LIKE ? ESCAPE '\\'" for _ in selector.source_prefixes) + ")")
            params.extend(_like_prefix(p) for p in selector.source_prefixes)
        if selector.before is not None:
            clauses.append("ts >= 0 AND ts < ?")
            params.append(selector.before.timestamp())
        if selector.people:
            # a cheap ASCII-insensitive prefilter; the exact whole-word test runs below
            clauses.append(
                "("
                + " OR ".join("(author LIKE ? ESCAPE '\\' OR participants LIKE ? ESCAPE '\\')" for _ in selector.people)
                + ")"
            )
            for person in selector.people:
                first = (WORDS.findall(person) or [person.strip()])[0]
                like = "%" + _like_prefix(first)[:-1] + "%"
                params.extend([like, like])
        where = " AND ".join(clauses) if clauses else "1"
        pattern = person_pattern(selector.people) if selector.people else None
        full_names = [tuple(w.casefold() for w in WORDS.findall(p)) for p in selector.people if "@" not in p]
        needle = selector.text.casefold() if selector.text else None
        found: list[RecordSummary] = []
        last = 0
        while True:
            rows = self._q(
                "SELECT rowid, id, ref, source, kind, timestamp, title, content_hash, author, participants, text "
                f"FROM records WHERE rowid > ? AND ({where}) ORDER BY rowid LIMIT ?",
                [last, *params, _SCAN_BATCH],
            ).fetchall()
            if not rows:
                break
            for rowid, rid, ref, source, kind, timestamp, title, digest, author, participants, text in rows:
                last = rowid
                if pattern is not None and not names_person(f"{author or ''} {participants}", pattern, full_names):
                    continue
                if needle is not None and needle not in text.casefold() and needle not in title.casefold():
                    continue
                when = datetime.fromisoformat(timestamp) if timestamp else None
                found.append(RecordSummary(rid, ref, source, kind, when, title, digest))
        epoch = datetime.min.replace(tzinfo=UTC)
        found.sort(key=lambda r: (r.timestamp or epoch, r.id))
        return found

    def entities_named(self, names: Sequence[str]) -> dict[str, list[str]]:
        wanted = [n.strip().casefold() for n in names if n.strip()]
        if not wanted:
            return {}
        marks = ",".join("?" * len(wanted))
        ids = [
            row[0]
            for row in self._q(
                f"SELECT entity_id FROM entity_aliases WHERE lower(alias) IN ({marks}) "
                f"UNION SELECT id FROM entities WHERE lower(name) IN ({marks})",
                wanted + wanted,
            )
        ]
        out: dict[str, list[str]] = {}
        for eid in ids:
            aliases = [r[0] for r in self._q("SELECT alias FROM entity_aliases WHERE entity_id = ?", (eid,))]
            name = self._q("SELECT name FROM entities WHERE id = ?", (eid,)).fetchone()
            out[eid] = sorted({*aliases, *([name[0]] if name else [])})
        return out

    # -- deletion --------------------------------------------------------------------------------------------
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
                counts = self._forget(record_ids, entity_ids, cursors, tombstone)
                if dry_run:
                    raise _DryRun
        except _DryRun:
            pass
        return ForgetCounts(**counts)

    def _forget(
        self, record_ids: Sequence[str], entity_ids: Sequence[str], sources: Sequence[str], tombstone: bool
    ) -> dict[str, int]:
        conn = self._conn
        ids = list(dict.fromkeys(record_ids))
        before = self._graph_sizes()
        records, chunks, stones = self._delete_records(ids, tombstone)
        self._prune_graph(entity_ids)
        cursors = 0
        for source in dict.fromkeys(sources):
            cursors += conn.execute("DELETE FROM source_state WHERE source = ?", (source,)).rowcount
        conn.execute("DELETE FROM forget_targets")
        after = self._graph_sizes()
        if chunks:
            self._bump_vectors()
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

    def _delete_records(self, ids: list[str], tombstone: bool) -> tuple[int, int, int]:
        """Delete the records, their chunks and the feedback on them, noting what they supported in
        ``forget_targets`` and leaving tombstones; returns records, chunks and tombstones written."""
        conn = self._conn
        chunks = records = stones = 0
        conn.execute("CREATE TEMP TABLE IF NOT EXISTS forget_targets (target_type TEXT, target_id TEXT)")
        conn.execute("DELETE FROM forget_targets")
        now = datetime.now(UTC).isoformat(timespec="seconds")
        for start in range(0, len(ids), 500):
            part = ids[start : start + 500]
            marks = ",".join("?" * len(part))
            conn.execute(
                f"INSERT INTO forget_targets SELECT DISTINCT target_type, target_id FROM provenance "
                f"WHERE record_id IN ({marks})",
                part,
            )
            if tombstone:
                for rid, digest, kind_, title, text in conn.execute(
                    f"SELECT id, content_hash, kind, title, text FROM records WHERE id IN ({marks})", part
                ).fetchall():
                    fingerprint = text_fingerprint(kind_, title, text)
                    for value, kind in ((rid, "record"), (digest, "content"), (fingerprint, "text")):
                        stones += conn.execute(
                            "INSERT OR IGNORE INTO tombstones(hash, kind, forgotten_at) VALUES (?, ?, ?)",
                            (value, kind, now),
                        ).rowcount
            # feedback given on these items themselves (by ref or record id)
            conn.execute(
                f"DELETE FROM feedback WHERE target_id IN ({marks}) OR target_id IN "
                f"(SELECT ref FROM records WHERE id IN ({marks}))",
                part + part,
            )
            chunks += conn.execute(f"DELETE FROM chunks WHERE record_id IN ({marks})", part).rowcount
            records += conn.execute(f"DELETE FROM records WHERE id IN ({marks})", part).rowcount
        return records, chunks, stones

    def _prune_graph(self, entity_ids: Sequence[str]) -> None:
        """Remove graph items no record supports any more, the entities named, and what pointed at them."""
        conn = self._conn
        # graph items whose every supporting record is gone
        orphaned = (
            "SELECT target_id FROM forget_targets t WHERE t.target_type = ? AND NOT EXISTS "
            "(SELECT 1 FROM provenance p WHERE p.target_type = t.target_type AND p.target_id = t.target_id)"
        )
        conn.execute(f"DELETE FROM facts WHERE id IN ({orphaned})", ("fact",))
        conn.execute(f"DELETE FROM preferences WHERE id IN ({orphaned})", ("preference",))
        for (target,) in conn.execute(orphaned, ("alias",)).fetchall():
            entity, _, alias = str(target).partition(ALIAS_SEPARATOR)
            conn.execute("DELETE FROM entity_aliases WHERE entity_id = ? AND alias = ?", (entity, alias))
        # an entity nothing else supports goes, unless a fact that is still supported is about it
        conn.execute(
            f"DELETE FROM entities WHERE id IN ({orphaned}) AND NOT EXISTS "
            "(SELECT 1 FROM facts f WHERE f.subject_id = entities.id OR f.object_id = entities.id)",
            ("entity",),
        )
        for start in range(0, len(entity_ids), 500):
            part = list(entity_ids[start : start + 500])
            conn.execute(f"DELETE FROM entities WHERE id IN ({','.join('?' * len(part))})", part)
        # what the graph remembered about entities that are gone: merge logs (names, aliases) and pinned aliases
        conn.execute("DELETE FROM entity_merges WHERE kept_id NOT IN (SELECT id FROM entities)")
        conn.execute("DELETE FROM alias_pins WHERE entity_id NOT IN (SELECT id FROM entities)")
        conn.execute(
            "DELETE FROM alias_pins WHERE NOT EXISTS (SELECT 1 FROM entity_aliases a WHERE a.alias = alias_pins.alias)"
        )
        # provenance rows of graph items that no longer exist
        for target_type, table in (
            ("fact", "facts"),
            ("preference", "preferences"),
            ("entity", "entities"),
            ("commitment", "commitments"),
        ):
            conn.execute(
                f"DELETE FROM provenance WHERE target_type = ? AND target_id NOT IN (SELECT id FROM {table})",
                (target_type,),
            )

    def _graph_sizes(self) -> dict[str, int]:
        conn = self._conn
        return {
            name: int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
            for name, table in (
                ("entities", "entities"),
                ("aliases", "entity_aliases"),
                ("facts", "facts"),
                ("preferences", "preferences"),
            )
        }

    def compact(self) -> bool:
        with self.transaction():
            self._conn.execute("INSERT INTO chunks_fts(chunks_fts) VALUES ('optimize')")
        with self._exclusive():
            self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self._conn.execute("VACUUM")
            busy, _, _ = self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        return not busy

    @contextmanager
    def _exclusive(self) -> Iterator[None]:
        lock = getattr(self, "_lock", None)
        if lock is None:  # pragma: no cover - SQLCipherStore always has one
            yield
            return
        with lock:
            yield

    # -- tombstones ------------------------------------------------------------------------------------------
    def forgotten(self, hashes: Sequence[str]) -> set[str]:
        found: set[str] = set()
        values = list(dict.fromkeys(hashes))
        for start in range(0, len(values), 500):
            part = values[start : start + 500]
            marks = ",".join("?" * len(part))
            found.update(row[0] for row in self._q(f"SELECT hash FROM tombstones WHERE hash IN ({marks})", part))
        return found

    def unforget(self, hashes: Sequence[str]) -> int:
        gone = 0
        with self.transaction():
            for value in dict.fromkeys(hashes):
                gone += self._conn.execute("DELETE FROM tombstones WHERE hash = ?", (value,)).rowcount
        return gone
