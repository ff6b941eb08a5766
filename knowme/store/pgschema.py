"""The service store's PostgreSQL schema as named migrations, applied in order and recorded in ``migrations``.

Everything lives in the schema ``knowme``. Every table of user data carries ``tenant`` (the user's name) in its
primary key, and has row-level security ENABLED and FORCED with one policy::

    USING (tenant = current_setting('knowme.tenant', true)) WITH CHECK (same)

so a query without a tenant filter still sees only the rows of the tenant set for the transaction, and a query in
a transaction that set no tenant sees nothing. Two tables hold no user content and have no tenant policy:
``migrations`` (names of applied migrations) and ``tenants`` (each user's name, wrapped data key, API token hash).

The migrations run as the role the operator's URL names (it must own the schema, or be able to create it); data
queries run as the unprivileged role :data:`APP_ROLE`, which owns nothing (owners and superusers bypass RLS), so the
policies bind it. Free text is stored sealed (``bytea``, see :mod:`knowme.store.tenantkeys`); columns ending in
``_bi`` are blind indexes. Never edit a migration that has shipped: append a new one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

SCHEMA = "knowme"
APP_ROLE = "knowme_app"

Migration = Callable[[Any, int], None]

#: The tables of user data made by ``pg001_tables`` (row security from ``pg002_row_security``).
BASE_TABLES = (
    "meta",
    "records",
    "chunks",
    "source_state",
    "sources",
    "entities",
    "entity_aliases",
    "facts",
    "preferences",
    "provenance",
    "feedback",
    "grants",
    "audit_events",
    "tombstones",
    "commitments",
    "entity_merges",
    "alias_pins",
)
#: Every table of user data (all under RLS), in creation order.
TENANT_TABLES = (*BASE_TABLES, "artifacts")


def _run(conn: Any, sql: str) -> None:
    for statement in sql.split(";\n"):
        if statement.strip():
            conn.execute(statement)


#: The tables of migration pg001 ({dim} is the vector dimension).
PG001_TABLES = """
        CREATE TABLE tenants (
            tenant TEXT PRIMARY KEY,
            wrapped_key BYTEA NOT NULL,       -- the data key under the operator's KEK (never the KEK itself)
            token_hash TEXT NOT NULL UNIQUE,  -- SHA-256 of the user's API token
            created_at TIMESTAMPTZ NOT NULL DEFAULT now()
        );
        CREATE TABLE meta (
            tenant TEXT NOT NULL, key TEXT NOT NULL, value BYTEA NOT NULL, PRIMARY KEY (tenant, key)
        );
        CREATE TABLE records (
            tenant TEXT NOT NULL,
            id TEXT NOT NULL,
            source_bi BYTEA NOT NULL, source BYTEA NOT NULL,
            kind TEXT NOT NULL,
            native_id BYTEA NOT NULL,
            ref_bi BYTEA NOT NULL, ref BYTEA NOT NULL,
            ts DOUBLE PRECISION NOT NULL,     -- epoch seconds; -1 when undated
            timestamp TEXT,
            author_bi BYTEA, author BYTEA, participants BYTEA NOT NULL, title BYTEA NOT NULL, text BYTEA NOT NULL,
            sections BYTEA NOT NULL, meta BYTEA NOT NULL, content_hash BYTEA NOT NULL,
            ingested_at TEXT NOT NULL, updated_at TEXT NOT NULL,
            follows_bi BYTEA, follows BYTEA,
            PRIMARY KEY (tenant, id)
        );
        CREATE INDEX records_ref ON records (tenant, ref_bi);
        CREATE INDEX records_follows ON records (tenant, follows_bi);
        CREATE INDEX records_source ON records (tenant, source_bi);
        CREATE INDEX records_kind_ts ON records (tenant, kind, ts);
        CREATE TABLE chunks (
            id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            tenant TEXT NOT NULL,
            record_id TEXT NOT NULL,
            ordinal INTEGER NOT NULL,
            anchor BYTEA NOT NULL, text BYTEA NOT NULL, index_text BYTEA NOT NULL,
            kind TEXT NOT NULL, ts DOUBLE PRECISION NOT NULL, source_bi BYTEA NOT NULL,
            tsv TSVECTOR NOT NULL,            -- strip(to_tsvector('english', index_text)): lexemes, no positions
            embedding public.vector({dim}) NOT NULL,
            FOREIGN KEY (tenant, record_id) REFERENCES records (tenant, id) ON DELETE CASCADE
        );
        CREATE INDEX chunks_record ON chunks (tenant, record_id);
        CREATE INDEX chunks_kind_ts ON chunks (tenant, kind, ts);
        CREATE INDEX chunks_tsv ON chunks USING GIN (tsv);
        CREATE INDEX chunks_embedding ON chunks USING hnsw (embedding public.vector_cosine_ops);
        CREATE TABLE source_state (
            tenant TEXT NOT NULL, source_bi BYTEA NOT NULL, source BYTEA NOT NULL, cursor BYTEA NOT NULL,
            items INTEGER NOT NULL, last_ingest_at TEXT NOT NULL, PRIMARY KEY (tenant, source_bi)
        );
        CREATE TABLE sources (
            tenant TEXT NOT NULL, name_bi BYTEA NOT NULL, name BYTEA NOT NULL, uri BYTEA NOT NULL, kind TEXT NOT NULL,
            settings BYTEA NOT NULL, created_at TEXT NOT NULL, last_sync_at TEXT, last_error BYTEA,
            items INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (tenant, name_bi)
        );
        CREATE TABLE entities (
            tenant TEXT NOT NULL, id TEXT NOT NULL, type TEXT NOT NULL, name BYTEA NOT NULL, name_ci_bi BYTEA NOT NULL,
            attributes BYTEA NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL, PRIMARY KEY (tenant, id)
        );
        CREATE INDEX entities_name ON entities (tenant, name_ci_bi);
        CREATE TABLE entity_aliases (
            tenant TEXT NOT NULL, entity_id TEXT NOT NULL, alias_bi BYTEA NOT NULL, alias BYTEA NOT NULL,
            alias_ci_bi BYTEA NOT NULL, alias_kind TEXT NOT NULL, reason BYTEA NOT NULL,
            seq BIGINT GENERATED ALWAYS AS IDENTITY,
            PRIMARY KEY (tenant, entity_id, alias_bi),
            FOREIGN KEY (tenant, entity_id) REFERENCES entities (tenant, id) ON DELETE CASCADE
        );
        CREATE INDEX entity_aliases_alias ON entity_aliases (tenant, alias_ci_bi);
        CREATE TABLE facts (
            tenant TEXT NOT NULL, id TEXT NOT NULL, subject_id TEXT NOT NULL, predicate TEXT NOT NULL,
            object_id TEXT, object_value BYTEA, valid_from TEXT, valid_to TEXT, recorded_at TEXT NOT NULL,
            invalidated_at TEXT, confidence DOUBLE PRECISION NOT NULL DEFAULT 1.0, extractor TEXT NOT NULL,
            extractor_version TEXT NOT NULL, attributes BYTEA NOT NULL,
            PRIMARY KEY (tenant, id),
            FOREIGN KEY (tenant, subject_id) REFERENCES entities (tenant, id) ON DELETE CASCADE,
            FOREIGN KEY (tenant, object_id) REFERENCES entities (tenant, id) ON DELETE CASCADE
        );
        CREATE INDEX facts_subject ON facts (tenant, subject_id, predicate);
        CREATE INDEX facts_object ON facts (tenant, object_id);
        CREATE TABLE preferences (
            tenant TEXT NOT NULL, id TEXT NOT NULL, statement BYTEA NOT NULL, polarity TEXT NOT NULL,
            strength DOUBLE PRECISION NOT NULL, scope BYTEA NOT NULL, origin TEXT NOT NULL, created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL, active INTEGER NOT NULL, provenance BYTEA NOT NULL, PRIMARY KEY (tenant, id)
        );
        CREATE TABLE provenance (
            tenant TEXT NOT NULL, target_type TEXT NOT NULL,
            target_id TEXT NOT NULL,          -- for aliases: entity id, char 31, hex blind index of the alias
            target_sealed BYTEA,              -- for aliases: the real target id, sealed
            record_id TEXT NOT NULL, chunk_id BIGINT,
            PRIMARY KEY (tenant, target_type, target_id, record_id),
            FOREIGN KEY (tenant, record_id) REFERENCES records (tenant, id) ON DELETE CASCADE
        );
        CREATE INDEX provenance_record ON provenance (tenant, record_id);
        CREATE TABLE feedback (
            tenant TEXT NOT NULL, id TEXT NOT NULL, target_type TEXT NOT NULL, target_bi BYTEA NOT NULL,
            target_id BYTEA NOT NULL, rating INTEGER, correction BYTEA, created_at TEXT NOT NULL,
            detail BYTEA NOT NULL, seq BIGINT GENERATED ALWAYS AS IDENTITY, PRIMARY KEY (tenant, id)
        );
        CREATE INDEX feedback_target ON feedback (tenant, target_type, created_at);
        CREATE TABLE grants (
            tenant TEXT NOT NULL, id TEXT NOT NULL, client_bi BYTEA NOT NULL, client BYTEA NOT NULL,
            scopes TEXT NOT NULL, token_hash TEXT NOT NULL, created_at TEXT NOT NULL, expires_at TEXT,
            revoked_at TEXT, PRIMARY KEY (tenant, id), UNIQUE (tenant, token_hash)
        );
        CREATE TABLE audit_events (
            id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, tenant TEXT NOT NULL, at TEXT NOT NULL,
            actor_bi BYTEA NOT NULL, actor BYTEA NOT NULL, action TEXT NOT NULL, detail BYTEA NOT NULL
        );
        CREATE INDEX audit_events_tenant ON audit_events (tenant, id);
        CREATE TABLE tombstones (
            tenant TEXT NOT NULL, hash_bi BYTEA NOT NULL, hash BYTEA NOT NULL, kind TEXT NOT NULL,
            forgotten_at TEXT NOT NULL, PRIMARY KEY (tenant, hash_bi)
        );
        CREATE TABLE commitments (
            tenant TEXT NOT NULL, id TEXT NOT NULL, direction TEXT NOT NULL, counterparty_id TEXT, what BYTEA NOT NULL,
            due TEXT, status TEXT NOT NULL, made_at TEXT, done_at TEXT, record_id TEXT NOT NULL, done_record_id TEXT,
            thread BYTEA, extractor TEXT NOT NULL, extractor_version TEXT NOT NULL, recorded_at TEXT NOT NULL,
            PRIMARY KEY (tenant, id),
            FOREIGN KEY (tenant, counterparty_id) REFERENCES entities (tenant, id) ON DELETE SET NULL (counterparty_id),
            FOREIGN KEY (tenant, record_id) REFERENCES records (tenant, id) ON DELETE CASCADE,
            FOREIGN KEY (tenant, done_record_id) REFERENCES records (tenant, id) ON DELETE SET NULL (done_record_id)
        );
        CREATE TABLE entity_merges (
            tenant TEXT NOT NULL, id BIGINT NOT NULL, kept_id TEXT NOT NULL, merged_id TEXT NOT NULL,
            merged_name BYTEA NOT NULL, reason BYTEA NOT NULL, aliases BYTEA NOT NULL, at TEXT NOT NULL,
            PRIMARY KEY (tenant, id)
        );
        CREATE TABLE alias_pins (
            tenant TEXT NOT NULL, alias_bi BYTEA NOT NULL, alias BYTEA NOT NULL, entity_id TEXT NOT NULL,
            reason BYTEA NOT NULL, at TEXT NOT NULL, PRIMARY KEY (tenant, alias_bi)
        )
        """


def pg001_tables(conn: Any, dim: int) -> None:
    """Records, chunks (stripped tsvector, pgvector embedding), graph, persona, governance and small state."""
    _run(conn, PG001_TABLES.replace("{dim}", str(int(dim))))


def pg002_row_security(conn: Any, dim: int) -> None:
    """Row-level security on every table of user data, the append-only audit log, and the app role's rights."""
    for table in BASE_TABLES:
        conn.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        conn.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        conn.execute(
            f"CREATE POLICY tenant_only ON {table} USING (tenant = current_setting('knowme.tenant', true)) "
            f"WITH CHECK (tenant = current_setting('knowme.tenant', true))"
        )
    conn.execute(
        """
        CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            -- rows go only with their user (after `knowme users remove` destroyed the data key)
            IF TG_OP = 'DELETE' THEN
                IF EXISTS (SELECT 1 FROM knowme.tenants t WHERE t.tenant = OLD.tenant) THEN
                    RAISE EXCEPTION 'the audit log is append-only';
                END IF;
                RETURN OLD;
            END IF;
            IF NEW.id <> OLD.id OR NEW.at <> OLD.at OR NEW.actor_bi <> OLD.actor_bi OR NEW.action <> OLD.action
               OR NEW.tenant <> OLD.tenant THEN
                RAISE EXCEPTION 'the audit log is append-only';
            END IF;
            RETURN NEW;
        END $$
        """
    )
    conn.execute(
        "CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events "
        "FOR EACH ROW EXECUTE FUNCTION audit_append_only()"
    )
    conn.execute(f"GRANT USAGE ON SCHEMA {SCHEMA} TO {APP_ROLE}")
    conn.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {SCHEMA} TO {APP_ROLE}")
    conn.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {SCHEMA} TO {APP_ROLE}")
    conn.execute(f"REVOKE INSERT, UPDATE, DELETE ON migrations FROM {APP_ROLE}")
    conn.execute(f"REVOKE UPDATE ON tenants FROM {APP_ROLE}")  # a wrapped key or token is never rewritten


def pg003_service_tokens(conn: Any, dim: int) -> None:
    """``grant_tokens``: which tenant each grant token belongs to, so ``knowme serve --store`` finds a client's user
    without scanning tenants. It holds no user content (the SHA-256 of a random token, the tenant's name), has no
    tenant policy (like ``tenants``), and is kept by triggers on ``grants``; a removed user's rows go with them."""
    _run(
        conn,
        """
        CREATE TABLE grant_tokens (
            token_hash TEXT PRIMARY KEY,
            tenant TEXT NOT NULL REFERENCES tenants (tenant) ON DELETE CASCADE
        );
        CREATE INDEX grant_tokens_tenant ON grant_tokens (tenant)
        """,
    )
    conn.execute(
        """
        CREATE FUNCTION grant_tokens_sync() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP IN ('DELETE', 'UPDATE') THEN
                DELETE FROM knowme.grant_tokens g WHERE g.token_hash = OLD.token_hash AND g.tenant = OLD.tenant;
            END IF;
            IF TG_OP = 'DELETE' THEN
                RETURN OLD;
            END IF;
            IF EXISTS (SELECT 1 FROM knowme.tenants t WHERE t.tenant = NEW.tenant) THEN
                INSERT INTO knowme.grant_tokens(token_hash, tenant) VALUES (NEW.token_hash, NEW.tenant)
                ON CONFLICT (token_hash) DO NOTHING;
            END IF;
            RETURN NEW;
        END $$
        """
    )
    conn.execute(
        "CREATE TRIGGER grants_token_index AFTER INSERT OR DELETE OR UPDATE OF token_hash, tenant ON grants "
        "FOR EACH ROW EXECUTE FUNCTION grant_tokens_sync()"
    )
    for (tenant,) in conn.execute("SELECT tenant FROM tenants").fetchall():  # grants made before this migration
        conn.execute("SELECT set_config('knowme.tenant', %s, true)", (tenant,))
        conn.execute(
            "INSERT INTO grant_tokens(token_hash, tenant) SELECT token_hash, tenant FROM grants "
            "ON CONFLICT (token_hash) DO NOTHING"
        )
    conn.execute("SELECT set_config('knowme.tenant', '', true)")
    conn.execute(f"GRANT SELECT, INSERT, DELETE ON grant_tokens TO {APP_ROLE}")


def pg004_artifacts(conn: Any, dim: int) -> None:
    """Learned artifacts (voice adapters, checkpoints, the SISA manifest): names and kinds are knowme's own labels,
    in clear; the description and the bytes are sealed with the tenant's key. Under RLS like every user table."""
    conn.execute(
        """
        CREATE TABLE artifacts (
            tenant text NOT NULL,
            name text NOT NULL,
            kind text NOT NULL,
            meta bytea NOT NULL,
            blob bytea NOT NULL,
            size bigint NOT NULL,
            created_at text NOT NULL,
            updated_at text NOT NULL,
            PRIMARY KEY (tenant, name)
        )
        """
    )
    conn.execute("ALTER TABLE artifacts ENABLE ROW LEVEL SECURITY")
    conn.execute("ALTER TABLE artifacts FORCE ROW LEVEL SECURITY")
    conn.execute(
        "CREATE POLICY tenant_only ON artifacts USING (tenant = current_setting('knowme.tenant', true)) "
        "WITH CHECK (tenant = current_setting('knowme.tenant', true))"
    )
    conn.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON artifacts TO {APP_ROLE}")


PG_MIGRATIONS: tuple[Migration, ...] = (pg001_tables, pg002_row_security, pg003_service_tokens, pg004_artifacts)
