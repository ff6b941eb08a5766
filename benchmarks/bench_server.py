"""Load test of the HTTP API's search endpoint on 127.0.0.1: concurrent clients against a real ``knowme serve``.

    python benchmarks/bench_server.py [--records 10000] [--clients 8] [--requests 800] [--seconds 120]
                                      [--vault DIR] [--unique] [--json PATH]

Builds a vault of ``--records`` generated emails (``knowme.demo.generator.write_mbox``, the real connector, chunker
and embedder; kept in ``--vault DIR`` when given, so later runs skip the ingest), makes an API token, starts
``knowme serve`` in its own process on a free 127.0.0.1 port, waits for it, and then ``--clients`` threads each
with its own HTTP connection send ``GET /api/search?q=...&k=10`` with varied queries until ``--requests`` have
been answered or ``--seconds`` have passed (bounded either way). The server's own CPU time per request
(from ``/proc``) is printed too: on a shared machine it is the figure that holds when latency does not.
The 16 queries repeat, as a few users asking
the same things would; ``--unique`` makes every request's query different (a query word plus a varying second
word), so no cache of query embeddings can help. Prints p50, p95, p99 and max latency as seen by
the clients (HTTP included) and the throughput, then stops the server. Target on 2 cores: p95 under 150 ms at
10,000 records with 8 clients.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PASSPHRASE = "benchmark passphrase"
QUERIES = [
    "quarterly budget review",
    "offsite agenda",
    "invoice overdue",
    "flight to Lisbon",
    "dentist appointment",
    "project deadline moved",
    "birthday party",
    "contract renewal terms",
    "team lunch on Friday",
    "apartment rent",
    "conference talk slides",
    "password reset",
    "meeting notes from Monday",
    "hiring plan",
    "train tickets",
    "doctor results",
]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def build(home: Path, records: int) -> None:
    import knowme
    from knowme.demo.generator import write_mbox

    with knowme.open(home, PASSPHRASE) as vault:
        have = sum(vault.store.counts().values())
        if have >= records:
            print(f"vault in {home} already holds {have} records")
            return
        mbox = home.parent / f"bench-{records}.mbox"
        write_mbox(mbox, records, seed=3)
        started = time.perf_counter()
        report = vault.ingest(mbox)
        print(f"ingested {report.total} emails ({report.chunks} chunks) in {time.perf_counter() - started:.0f} s")


def server_cpu(pid: int) -> float | None:
    """CPU seconds (user + system, every thread) the server process has used so far; None where /proc is missing.

    Unlike latency, this holds on a machine that other work keeps busy."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def make_token(home: Path) -> str:
    import knowme
    from knowme.interfaces.http.auth import issue_token

    with knowme.open(home, PASSPHRASE) as vault:
        return issue_token(vault.store)


WORDS = ["notes", "email", "march", "update", "plan", "team", "call", "list", "draft", "week", "friday", "question"]


def query(i: int, n: int, unique: bool) -> str:
    base = QUERIES[(i + n) % len(QUERIES)]
    if not unique:
        return base
    return f"{base} {WORDS[i % len(WORDS)]} {i}"


def load(
    url: str, token: str, clients: int, requests: int, seconds: float, *, unique: bool = False
) -> tuple[list[float], int, float]:
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    counter = iter(range(requests))
    deadline = time.monotonic() + seconds

    def worker(n: int) -> None:
        nonlocal errors
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=30) as http:
            while time.monotonic() < deadline:
                with lock:
                    i = next(counter, None)
                if i is None:
                    return
                started = time.perf_counter()
                response = http.get("/api/search", params={"q": query(i, n, unique), "k": 10})
                elapsed = time.perf_counter() - started
                with lock:
                    if response.status_code == 200 and response.json()["hits"]:
                        latencies.append(elapsed)
                    else:
                        errors += 1

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, errors, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=800)
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--vault", "--home", type=Path, default=None, help="keep the vault here (reused by later runs)")
    parser.add_argument("--unique", action="store_true", help="a different query on every request (no cache hits)")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="knowme-bench-server-") as tmp:
        home = args.vault or Path(tmp) / "home"
        home.parent.mkdir(parents=True, exist_ok=True)
        build(home, args.records)
        token = make_token(home)
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        env = {**os.environ, "KNOWME_PASSPHRASE": PASSPHRASE, "PYTHONPATH": str(ROOT)}
        command = [sys.executable, "-m", "knowme.interfaces.cli", "serve", "--home", str(home), "--port", str(port)]
        log = Path(tmp) / "serve.log"
        with log.open("wb") as out:
            server = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
            try:
                deadline = time.monotonic() + 180
                while True:
                    if server.poll() is not None:
                        sys.exit(f"knowme serve exited with {server.returncode}:\n{log.read_text()[-2000:]}")
                    try:
                        if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                            break
                    except httpx.HTTPError:
                        pass
                    if time.monotonic() > deadline:
                        sys.exit("knowme serve did not start in 180 s")
                    time.sleep(0.2)
                load(url, token, 2, 20, 30)  # warm the connection pool and caches
                cpu_before = server_cpu(server.pid)
                latencies, errors, wall = load(
                    url, token, args.clients, args.requests, args.seconds, unique=args.unique
                )
                cpu_after = server_cpu(server.pid)
            finally:
                server.terminate()
                server.wait(timeout=30)
    ms = np.array(latencies) * 1000
    result = {
        "records": args.records,
        "clients": args.clients,
        "unique_queries": args.unique,
        "answered": len(latencies),
        "errors": errors,
        "p50_ms": round(float(np.percentile(ms, 50)), 1),
        "p95_ms": round(float(np.percentile(ms, 95)), 1),
        "p99_ms": round(float(np.percentile(ms, 99)), 1),
        "max_ms": round(float(ms.max()), 1),
        "requests_per_s": round(len(latencies) / wall, 1),
        "server_cpu_ms_per_request": (
            round((cpu_after - cpu_before) * 1000 / len(latencies), 2)
            if cpu_before is not None and cpu_after is not None and latencies
            else None
        ),
        "load_average": round(os.getloadavg()[0], 2),
    }
    print(
        f"search over HTTP, {result['records']} records, {result['clients']} clients"
        f"{', unique queries' if args.unique else ''}: {result['answered']} requests, "
        f"{result['errors']} errors; p50 {result['p50_ms']} ms, p95 {result['p95_ms']} ms, p99 {result['p99_ms']} ms, "
        f"max {result['max_ms']} ms; {result['requests_per_s']} requests/s (target p95 < 150 ms); "
        f"server CPU {result['server_cpu_ms_per_request']} ms per request; load {result['load_average']}"
    )
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
