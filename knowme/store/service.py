"""The vault service: many users in one PostgreSQL database, chosen with ``KNOWME_STORE`` and ``KNOWME_USER``.

:class:`Service` takes the operator's database URL and key-encryption key. On first contact it brings the schema up
to date (named migrations of :mod:`knowme.store.pgschema`, under an advisory lock so that several processes may
start at once) when the URL's role may (a superuser, or the owner of schema ``knowme``), and makes sure the
unprivileged role ``knowme_app`` exists, with a password derived from the KEK. All data queries then run as
``knowme_app`` so that row-level security binds them. A URL that already names an unprivileged role is used as is
(the schema must then be migrated already); a URL naming a role that bypasses RLS is never used for data.

Users: :meth:`Service.add_user` makes a random data key, stores it wrapped under the KEK with the hash of a new API
token, and returns the token (shown once). :meth:`Service.remove_user` crypto-shreds: it first deletes the wrapped
key (committed on its own, so every sealed value of the user is unreadable from that moment even if the rest fails),
then every row of the user. :meth:`Service.open_store` unwraps a user's key and returns their
:class:`~knowme.store.postgres.PostgresStore`.

Errors: unknown user (VaultNotFound), user exists (VaultExists), missing KEK (PassphraseMissing), wrong KEK
(WrongPassphrase), database unreachable (StoreUnreachable), bad URL or name (ConfigError).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from knowme.config import environment
from knowme.errors import ConfigError, StoreUnreachable, VaultExists, VaultNotFound
from knowme.store.pgschema import APP_ROLE, PG_MIGRATIONS, SCHEMA, TENANT_TABLES
from knowme.store.postgres import PostgresStore, connect, driver_reason
from knowme.store.tenantkeys import TenantCipher, app_role_password, new_data_key, unwrap_key, wrap_key

USER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
_LOCK_ID = 0x6B6E6F77  # "know": the advisory lock taken while migrating


def is_service_url(value: str | None) -> bool:
    return bool(value) and str(value).startswith(("postgresql://", "postgres://"))


@dataclass(frozen=True)
class ServiceUser:
    name: str
    created_at: datetime


def _check_name(name: str) -> str:
    if not USER_NAME.match(name or ""):
        raise ConfigError(
            f"not a valid user name: {name!r} (letters, digits and . _ @ -, starting with a letter or digit)"
        )
    return name


class Service:
    """The operator's view of the service database: schema, users, and each user's store."""

    def __init__(self, url: str, kek: bytes, *, dim: int = 384) -> None:
        self.dim_hint = dim  # the vector dimension a new schema is made with
        if not is_service_url(url):
            raise ConfigError("KNOWME_STORE must be a postgresql://... URL")
        try:
            self._params = conninfo_to_dict(url)
        except psycopg.ProgrammingError:
            raise ConfigError("KNOWME_STORE is not a valid postgresql:// URL") from None
        self._url = url
        self._kek = kek
        self.app_conninfo = self._prepare()

    # -- schema and roles --------------------------------------------------------------------------------------
    def _prepare(self) -> str:
        conn = connect(self._url, vectors=False)
        try:
            superuser, bypass = conn.execute(
                "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user"
            ).fetchone() or (False, False)
            owner = conn.execute("SELECT nspowner::regrole::text FROM pg_namespace WHERE nspname = %s", (SCHEMA,))
            schema_owner = (owner.fetchone() or (None,))[0]
            user = conn.execute("SELECT current_user").fetchone()[0]  # type: ignore[index]
            if superuser or schema_owner == user or (schema_owner is None and not bypass and user != APP_ROLE):
                self._migrate(conn, superuser=bool(superuser))
                params: dict[str, Any] = {**self._params, "user": APP_ROLE, "password": app_role_password(self._kek)}
                return make_conninfo("", **params)
            if bypass:
                raise ConfigError(f"the role {user} bypasses row-level security: the service will not use it for data")
            pending = self._pending(conn)
            if pending:
                raise ConfigError(
                    "the service schema is not up to date: run any knowme command once with a KNOWME_STORE URL of "
                    "the schema's owner"
                )
            return self._url
        except psycopg.OperationalError as exc:
            raise StoreUnreachable(f"cannot reach the service database ({driver_reason(exc)})") from None
        finally:
            conn.close()

    @staticmethod
    def _pending(conn: psycopg.Connection[Any]) -> list[str]:
        exists = conn.execute("SELECT to_regclass(%s)", (f"{SCHEMA}.migrations",)).fetchone()
        done: set[str] = set()
        if exists and exists[0] is not None:
            done = {row[0] for row in conn.execute(f"SELECT name FROM {SCHEMA}.migrations")}
        return [m.__name__ for m in PG_MIGRATIONS if m.__name__ not in done]

    def _migrate(self, conn: psycopg.Connection[Any], *, superuser: bool) -> None:
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_ID,))
            role = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (APP_ROLE,)).fetchone()
            password = sql.Literal(app_role_password(self._kek))
            verb = "ALTER" if role else "CREATE"
            conn.execute(
                sql.SQL("{} ROLE {} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE PASSWORD {}").format(
                    sql.SQL(verb), sql.Identifier(APP_ROLE), password
                )
            )
            pending = self._pending(conn)
            if not pending:
                return
            conn.execute("CREATE EXTENSION IF NOT EXISTS vector WITH SCHEMA public")
            conn.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
            conn.execute(f"SET LOCAL search_path = {SCHEMA}, public")
            conn.execute(
                "CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL)"
            )
            dim = self.dim_hint
            for migration in PG_MIGRATIONS:
                if migration.__name__ in pending:
                    migration(conn, dim)
                    conn.execute(
                        "INSERT INTO migrations(name, applied_at) VALUES (%s, clock_timestamp())", (migration.__name__,)
                    )
            if conn.info.server_version >= 170000:
                conn.execute(f"GRANT MAINTAIN ON ALL TABLES IN SCHEMA {SCHEMA} TO {APP_ROLE}")

    # -- users -------------------------------------------------------------------------------------------------
    def _app(self) -> psycopg.Connection[Any]:
        return connect(self.app_conninfo, vectors=False)

    def add_user(self, name: str, token_hash: str) -> None:
        """Create user ``name`` whose API token hashes to ``token_hash`` (tokens are made and hashed by
        :func:`knowme.privacy.grants.enrol`; the service keeps only the hash)."""
        _check_name(name)
        conn = self._app()
        try:
            conn.execute(
                "INSERT INTO tenants(tenant, wrapped_key, token_hash) VALUES (%s, %s, %s)",
                (name, wrap_key(self._kek, name, new_data_key()), token_hash),
            )
        except psycopg.errors.UniqueViolation:
            raise VaultExists(f"the service already has a user named {name!r}") from None
        finally:
            conn.close()

    def users(self) -> list[ServiceUser]:
        conn = self._app()
        try:
            rows = conn.execute('SELECT tenant, created_at FROM tenants ORDER BY tenant COLLATE "C"').fetchall()
        finally:
            conn.close()
        return [ServiceUser(name, created.astimezone(UTC)) for name, created in rows]

    def user_for_token_hash(self, token_hash: str) -> str | None:
        """The user whose API token hashes to ``token_hash``, or None."""
        conn = self._app()
        try:
            row = conn.execute("SELECT tenant FROM tenants WHERE token_hash = %s", (token_hash,)).fetchone()
        finally:
            conn.close()
        return row[0] if row else None

    def remove_user(self, name: str) -> dict[str, int]:
        """Crypto-shred ``name``: destroy the wrapped data key, then delete every row; return rows per table."""
        conn = self._app()
        try:
            gone = conn.execute("DELETE FROM tenants WHERE tenant = %s", (name,)).rowcount
            if not gone:
                raise VaultNotFound(f"the service has no user named {name!r}")
            counts: dict[str, int] = {}
            with conn.transaction():
                conn.execute("SELECT set_config('knowme.tenant', %s, true)", (name,))
                for table in reversed(TENANT_TABLES):
                    counts[table] = conn.execute(f"DELETE FROM {table}").rowcount
            return counts
        finally:
            conn.close()

    def open_store(self, name: str, *, dim: int) -> PostgresStore:
        conn = self._app()
        try:
            row = conn.execute("SELECT wrapped_key FROM tenants WHERE tenant = %s", (name,)).fetchone()
        finally:
            conn.close()
        if row is None:
            raise VaultNotFound(f"the service has no user named {name!r}; add one with `knowme users add {name}`")
        cipher = TenantCipher(unwrap_key(self._kek, name, bytes(row[0])))
        return PostgresStore(self.app_conninfo, name, cipher, dim=dim)


def service_from_env(environ: dict[str, str] | None = None, *, dim: int = 384) -> Service:
    """The service named by ``KNOWME_STORE`` with the KEK from ``KNOWME_KEK``/``KNOWME_KEK_FILE``."""

    from knowme.store.tenantkeys import load_kek

    env = environment().as_environ() if environ is None else environ
    url = env.get("KNOWME_STORE", "")
    if not is_service_url(url):
        raise ConfigError("set KNOWME_STORE=postgresql://... to use the vault service")
    return Service(url, load_kek(env), dim=dim)
