"""The vault's schema as named migrations, applied in order and recorded in the ``migrations`` table.

A migration is a function that takes the open connection; its name is the function's name. Never edit a
migration that has shipped: add a new one. Before any pending migration runs on a vault that already holds data,
the store copies the encrypted file to ``backups/`` (see :meth:`SQLCipherStore._migrate`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Migration = Callable[[Any, int], None]


def _script(conn: Any, sql: str) -> None:
    """Run ``sql`` statement by statement inside the caller's transaction (``executescript`` would commit)."""
    from sqlcipher3 import dbapi2 as sqlite

    buffer = ""
    for line in sql.splitlines(keepends=True):
        buffer += line
        if sqlite.complete_statement(buffer):
            statement = buffer.strip()
            buffer = ""
            if statement:
                conn.execute(statement)
    if buffer.strip():
        raise ValueError(f"incomplete SQL statement in migration: {buffer.strip()[:80]}")


def m001_records_and_chunks(conn: Any, dim: int) -> None:
    _script(
        conn,
        """
        CREATE TABLE records (
            id TEXT PRIMARY KEY,
            source TEXT NOT NULL,
            kind TEXT NOT NULL,
            native_id TEXT NOT NULL,
            ref TEXT NOT NULL,
            ts REAL NOT NULL,              -- epoch seconds; -1 when the item has no date
            timestamp TEXT,                -- ISO 8601 with the source's offset
            author TEXT,
            participants TEXT NOT NULL,    -- JSON list
            title TEXT NOT NULL,
            text TEXT NOT NULL,
            sections TEXT NOT NULL,        -- JSON list of [anchor, text]
            meta TEXT NOT NULL,            -- JSON object
            content_hash TEXT NOT NULL,
            ingested_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX records_ref ON records(ref);
        CREATE INDEX records_source ON records(source);
        CREATE INDEX records_kind_ts ON records(kind, ts);

        CREATE TABLE chunks (
            id INTEGER PRIMARY KEY,
            record_id TEXT NOT NULL REFERENCES records(id) ON DELETE CASCADE,
            ordinal INTEGER NOT NULL,
            anchor TEXT NOT NULL,
            text TEXT NOT NULL,
            index_text TEXT NOT NULL,
            kind TEXT NOT NULL,            -- the record's kind, time and source, repeated so that filtered
            ts REAL NOT NULL,              -- full-text queries need one lookup per match, not two
            source TEXT NOT NULL
        );
        CREATE INDEX chunks_record ON chunks(record_id);

        CREATE VIRTUAL TABLE chunks_fts USING fts5(
            index_text, content='chunks', content_rowid='id',
            tokenize='porter unicode61 remove_diacritics 2'
        );
        CREATE VIRTUAL TABLE chunks_vocab USING fts5vocab(chunks_fts, 'row');
        CREATE TRIGGER chunks_ai AFTER INSERT ON chunks BEGIN
            INSERT INTO chunks_fts(rowid, index_text) VALUES (new.id, new.index_text);
        END;
        CREATE TRIGGER chunks_ad AFTER DELETE ON chunks BEGIN
            INSERT INTO chunks_fts(chunks_fts, rowid, index_text) VALUES ('delete', old.id, old.index_text);
            DELETE FROM chunks_vec WHERE chunk_id = old.id;
        END;

        CREATE TABLE source_state (
            source TEXT PRIMARY KEY,
            cursor TEXT NOT NULL,          -- JSON object the connector understands
            items INTEGER NOT NULL,
            last_ingest_at TEXT NOT NULL
        );
        """,
    )
    conn.execute(
        f"CREATE VIRTUAL TABLE chunks_vec USING vec0("
        f"chunk_id INTEGER PRIMARY KEY, embedding float[{int(dim)}] distance_metric=cosine, "
        f"kind TEXT, ts FLOAT)"
    )


#: The tables of migration m002.
M002_GRAPH_AND_GOVERNANCE = """
        CREATE TABLE entities (
            id TEXT PRIMARY KEY,
            type TEXT NOT NULL,            -- person, organisation, place, project, topic, thing
            name TEXT NOT NULL,
            attributes TEXT NOT NULL DEFAULT '{}',
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE TABLE entity_aliases (
            entity_id TEXT NOT NULL REFERENCES entities(id) ON DELETE CASCADE,
            alias TEXT NOT NULL,
            alias_kind TEXT NOT NULL,      -- email, name, nickname, phone
            PRIMARY KEY (entity_id, alias)
        );
        CREATE INDEX entity_aliases_alias ON entity_aliases(alias);
        CREATE TABLE facts (
            id TEXT PRIMARY KEY,
            subject_id TEXT NOT NULL REFERENCES entities(id) ON DELETE CASCADE,
            predicate TEXT NOT NULL,
            object_id TEXT REFERENCES entities(id) ON DELETE CASCADE,
            object_value TEXT,
            valid_from TEXT,
            valid_to TEXT,
            recorded_at TEXT NOT NULL,
            invalidated_at TEXT,
            confidence REAL NOT NULL DEFAULT 1.0,
            extractor TEXT NOT NULL,
            extractor_version TEXT NOT NULL
        );
        CREATE INDEX facts_subject ON facts(subject_id, predicate);
        CREATE TABLE preferences (
            id TEXT PRIMARY KEY,
            statement TEXT NOT NULL,
            polarity TEXT NOT NULL DEFAULT 'prefer',   -- prefer, avoid, rule, value
            strength REAL NOT NULL DEFAULT 1.0,
            scope TEXT NOT NULL DEFAULT 'general',
            origin TEXT NOT NULL,                      -- stated, inferred, feedback
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            active INTEGER NOT NULL DEFAULT 1
        );
        -- what every derived item (entity, fact, preference, ...) was derived from
        CREATE TABLE provenance (
            target_type TEXT NOT NULL,
            target_id TEXT NOT NULL,
            record_id TEXT NOT NULL REFERENCES records(id) ON DELETE CASCADE,
            chunk_id INTEGER,
            PRIMARY KEY (target_type, target_id, record_id)
        );
        CREATE INDEX provenance_record ON provenance(record_id);
        CREATE TABLE feedback (
            id TEXT PRIMARY KEY,
            target_type TEXT NOT NULL,     -- answer, draft, suggestion, hit
            target_id TEXT NOT NULL,
            rating INTEGER,
            correction TEXT,
            created_at TEXT NOT NULL
        );
        CREATE TABLE grants (
            id TEXT PRIMARY KEY,
            client TEXT NOT NULL,
            scopes TEXT NOT NULL,          -- JSON list
            token_hash TEXT NOT NULL,
            created_at TEXT NOT NULL,
            expires_at TEXT,
            revoked_at TEXT
        );
        CREATE TABLE audit_events (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            detail TEXT NOT NULL DEFAULT '{}'
        );
        """


def m002_graph_and_governance(conn: Any, dim: int) -> None:
    """Tables the knowledge graph, persona and privacy features fill; real and empty until then."""
    _script(conn, M002_GRAPH_AND_GOVERNANCE)


def m003_privacy(conn: Any, dim: int) -> None:
    """Tombstones of forgotten items (hashes only), grant lookups, and an append-only audit log."""
    _script(
        conn,
        """
        -- record ids and content hashes of forgotten items: no content, so ingest can skip them
        CREATE TABLE tombstones (
            hash TEXT PRIMARY KEY,
            kind TEXT NOT NULL,            -- record (stable id), content (content hash), text (kind+title+text)
            forgotten_at TEXT NOT NULL
        );
        CREATE UNIQUE INDEX grants_token ON grants(token_hash);
        -- the audit log only grows: rows cannot be deleted, and who/what/when cannot change (only the detail,
        -- so that forgetting can replace the refs of forgotten items by their tombstone hash)
        CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events BEGIN
            SELECT RAISE(ABORT, 'the audit log is append-only');
        END;
        CREATE TRIGGER audit_events_no_rewrite BEFORE UPDATE OF id, at, actor, action ON audit_events BEGIN
            SELECT RAISE(ABORT, 'the audit log is append-only');
        END;
        """,
    )


def m004_graph_facts(conn: Any, dim: int) -> None:
    """What the knowledge graph needs beyond m002: why aliases and merges happened, pinned aliases (so a user's
    merge or split survives later ingests), fact details, and commitments. Independent of other migrations."""
    _script(
        conn,
        """
        ALTER TABLE entity_aliases ADD COLUMN reason TEXT NOT NULL DEFAULT '';
        ALTER TABLE facts ADD COLUMN attributes TEXT NOT NULL DEFAULT '{}';
        CREATE INDEX facts_object ON facts(object_id);
        CREATE INDEX facts_extractor ON facts(extractor, extractor_version);
        CREATE TABLE entity_merges (
            id INTEGER PRIMARY KEY,
            kept_id TEXT NOT NULL,
            merged_id TEXT NOT NULL,
            merged_name TEXT NOT NULL,
            reason TEXT NOT NULL,
            aliases TEXT NOT NULL DEFAULT '[]',   -- JSON list of the aliases that came with the merged entity
            at TEXT NOT NULL
        );
        CREATE INDEX entity_merges_kept ON entity_merges(kept_id);
        -- a user's decision: this alias belongs to this entity (merge) or stands alone (split)
        CREATE TABLE alias_pins (
            alias TEXT PRIMARY KEY,
            entity_id TEXT NOT NULL,
            reason TEXT NOT NULL,
            at TEXT NOT NULL
        );
        CREATE TABLE commitments (
            id TEXT PRIMARY KEY,
            direction TEXT NOT NULL,       -- made (the user promised) or received (someone asked the user)
            counterparty_id TEXT REFERENCES entities(id) ON DELETE SET NULL,
            what TEXT NOT NULL,
            due TEXT,                      -- ISO date
            status TEXT NOT NULL,          -- open or done
            made_at TEXT,                  -- when the promise was made (the message date)
            done_at TEXT,
            record_id TEXT NOT NULL REFERENCES records(id) ON DELETE CASCADE,
            done_record_id TEXT REFERENCES records(id) ON DELETE SET NULL,
            thread TEXT,
            extractor TEXT NOT NULL,
            extractor_version TEXT NOT NULL,
            recorded_at TEXT NOT NULL
        );
        CREATE INDEX commitments_counterparty ON commitments(counterparty_id);
        """,
    )


def m005_record_follows(conn: Any, dim: int) -> None:
    """Thread order: the ref each record replies to or follows, so search can read a turn with its neighbours."""
    _script(
        conn,
        """
        ALTER TABLE records ADD COLUMN follows TEXT;
        CREATE INDEX records_follows ON records(follows);
        """,
    )


def m006_persona(conn: Any, dim: int) -> None:
    """Where preferences and feedback came from and what they carry: a preference's provenance (source refs, or the
    feedback that made it) and a feedback row's detail (the rated hit's features, what a correction became)."""
    _script(
        conn,
        """
        ALTER TABLE preferences ADD COLUMN provenance TEXT NOT NULL DEFAULT '{}';
        ALTER TABLE feedback ADD COLUMN detail TEXT NOT NULL DEFAULT '{}';
        CREATE INDEX feedback_target ON feedback(target_type, created_at);
        """,
    )


def m007_sources(conn: Any, dim: int) -> None:
    """Registered sources (``knowme sources add``): their URI, settings without secrets and the last sync."""
    _script(
        conn,
        """
        CREATE TABLE sources (
            name TEXT PRIMARY KEY,
            uri TEXT NOT NULL,
            kind TEXT NOT NULL,
            settings TEXT NOT NULL,        -- JSON object: user, password_env; never a password
            created_at TEXT NOT NULL,
            last_sync_at TEXT,
            last_error TEXT,
            items INTEGER NOT NULL DEFAULT 0
        );
        """,
    )


def m008_adapters(conn: Any, dim: int) -> None:
    """Learned artifacts kept inside the vault (encrypted with it): voice adapters, their training checkpoints and
    the manifest of which records trained which shard (``knowme learn``)."""
    _script(
        conn,
        """
        CREATE TABLE artifacts (
            name TEXT PRIMARY KEY,         -- e.g. voice/shard-0/slice-1
            kind TEXT NOT NULL,            -- adapter, checkpoint, manifest
            meta TEXT NOT NULL,            -- JSON object describing the blob (never training text)
            blob BLOB NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX artifacts_kind ON artifacts(kind);
        """,
    )


MIGRATIONS: tuple[Migration, ...] = (
    m001_records_and_chunks,
    m002_graph_and_governance,
    m003_privacy,
    m004_graph_facts,
    m005_record_follows,
    m006_persona,
    m007_sources,
    m008_adapters,
)
