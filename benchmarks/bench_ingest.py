"""Ingest throughput: a generated mbox of N messages into a fresh encrypted vault, with embeddings.

    python benchmarks/bench_ingest.py [--messages 10000] [--json PATH]

Prints parse-only speed (the connector alone), then end-to-end records/s and chunks/s, the vault size, and the
process's peak memory. Target on a 2-core machine: 10,000 emails ingested in under 3 minutes.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import knowme  # noqa: E402
from knowme.connectors.email import MboxConnector  # noqa: E402
from knowme.demo.generator import write_mbox  # noqa: E402
from knowme.store.sqlcipher import VAULT_FILE  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="knowme-bench-") as tmp:
        root = Path(tmp)
        mbox = root / "bench.mbox"
        t0 = time.perf_counter()
        write_mbox(mbox, args.messages, seed=1)
        gen_s = time.perf_counter() - t0

        t0 = time.perf_counter()
        parsed = sum(1 for item in MboxConnector(mbox).iter_records() if isinstance(item, knowme.Record))
        parse_s = time.perf_counter() - t0

        with knowme.open(root / "home", "benchmark passphrase") as vault:
            vault.embedder.embed(["warm up the model"])
            t0 = time.perf_counter()
            report = vault.ingest(mbox)
            ingest_s = time.perf_counter() - t0
            again0 = time.perf_counter()
            again = vault.ingest(mbox)
            reingest_s = time.perf_counter() - again0
        size = (root / "home" / VAULT_FILE).stat().st_size
        records = sum(report.added.values())
        figures = {
            "messages": args.messages,
            "mbox_mb": round(mbox.stat().st_size / 1e6, 1),
            "generate_s": round(gen_s, 1),
            "parse_only_s": round(parse_s, 1),
            "parse_only_records_per_s": round(parsed / parse_s, 1),
            "ingest_s": round(ingest_s, 1),
            "records": records,
            "chunks": report.chunks,
            "records_per_s": round(records / ingest_s, 1),
            "chunks_per_s": round(report.chunks / ingest_s, 1),
            "problems": len(report.problems),
            "reingest_s": round(reingest_s, 1),
            "reingest_unchanged": sum(again.unchanged.values()),
            "vault_mb": round(size / 1e6, 1),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        }
    width = max(map(len, figures))
    for key, value in figures.items():
        print(f"{key:<{width}}  {value}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
