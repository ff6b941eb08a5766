"""Fixtures for the server tests: one small real vault per module (the sample life, extractive answers), its API
token, and the app over it in process.

Opening a vault loads the embedding model, so each test module shares one; tests that change the vault add records
of their own and never assume exact totals.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

import knowme
from knowme.interfaces.http.auth import issue_token
from tests.conftest import PASSPHRASE
from tests.samples import write_life


def make_vault(root: Path, *, llm: str = 'backend = "extractive"') -> knowme.Vault:
    home = root / "home"
    home.mkdir(parents=True)
    (home / "config.toml").write_text(f"[llm]\n{llm}\n", encoding="utf-8")
    vault = knowme.open(home, PASSPHRASE)
    vault.ingest(list(write_life(root / "life").values()))
    return vault


@pytest.fixture(scope="module")
def server_vault(tmp_path_factory: pytest.TempPathFactory) -> Iterator[knowme.Vault]:
    vault = make_vault(tmp_path_factory.mktemp("server"))
    try:
        yield vault
    finally:
        vault.close()


@pytest.fixture(scope="module")
def token(server_vault: knowme.Vault) -> str:
    return issue_token(server_vault.store)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Running:
    url: str
    server: uvicorn.Server


@pytest.fixture(scope="module")
def serve_on_socket() -> Iterator[object]:
    """Call with an app: runs it under uvicorn on 127.0.0.1 (a random free port) in a thread until the module ends."""
    started: list[tuple[uvicorn.Server, threading.Thread]] = []

    def start(app: FastAPI) -> Running:
        port = free_port()
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        started.append((server, thread))
        deadline = time.monotonic() + 30
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                pytest.fail("uvicorn did not start")
            time.sleep(0.05)
        return Running(url=f"http://127.0.0.1:{port}", server=server)

    yield start
    for server, thread in started:
        server.should_exit = True
        thread.join(timeout=15)
        assert not thread.is_alive(), "uvicorn did not stop"


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def client(server_vault: knowme.Vault, token: str) -> Iterator[TestClient]:
    from knowme.interfaces.http import create_app

    with TestClient(create_app(server_vault), headers=auth(token), raise_server_exceptions=False) as c:
        yield c
