"""Search latency and memory at 10,000 and 100,000 chunks.

    python benchmarks/bench_search.py [--sizes 10000 100000] [--queries 100] [--json PATH]

Building a vault: mail from the benchmark generator is parsed and chunked by the real connector and chunker, and a
pool of up to 12,000 distinct chunks is embedded by the real model. Larger vaults reuse pool chunks under new ids
(each with its own number appended to the text and a little noise added to its vector), so that building 100,000
chunks does not take an hour of embedding; the index structures and their sizes are the real ones. Then a separate
process opens the vault, loads the model, and times hybrid, BM25-only and dense-only searches (query embedding
included, model already loaded); its peak resident memory is the figure for "a search process".
The measuring process calls ``Vault.warm_up()`` first, as a long-running service would; the first query after
opening (which loads the model) is reported separately.
Targets on a 2-core machine: hybrid p95 under 100 ms at 100,000 chunks; search process under 1.5 GB.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

PASSPHRASE = "benchmark passphrase"
POOL = 12_000


def make_pool(mbox: Path) -> tuple[list, np.ndarray, float]:
    """Real records and chunks from the generated mail, and their real embeddings."""
    import knowme
    from knowme.connectors.email import MboxConnector
    from knowme.extract.chunking import chunk_record
    from knowme.llm.embedders import MiniLMEmbedder

    started = time.perf_counter()
    pool: list[tuple[knowme.Record, list]] = []
    for item in MboxConnector(mbox).iter_records():
        if isinstance(item, knowme.Record):
            pool.append((item, chunk_record(item)))
        if sum(len(c) for _, c in pool) >= POOL:
            break
    vectors = MiniLMEmbedder().embed([c.index_text for _, chunks in pool for c in chunks])
    return pool, vectors, time.perf_counter() - started


def build(home: Path, size: int, pool: list, vectors: np.ndarray) -> dict[str, float]:
    import knowme

    started = time.perf_counter()
    with knowme.open(home, PASSPHRASE) as vault:
        rng = np.random.default_rng(0)
        written, copy, offset_of = 0, 0, []
        offset = 0
        for _, chunks in pool:
            offset_of.append(offset)
            offset += len(chunks)
        while written < size:
            with vault.store.transaction():
                for (record, chunks), offset in zip(pool, offset_of, strict=True):
                    if written >= size:
                        break
                    if copy == 0:
                        rec, vecs = record, vectors[offset : offset + len(chunks)]
                    else:
                        rec = replace(record, native_id=f"{record.native_id}#{copy}", text=f"{record.text} #{copy}")
                        vecs = vectors[offset : offset + len(chunks)] + rng.normal(0, 0.02, (len(chunks), 384))
                        vecs = (vecs / np.linalg.norm(vecs, axis=1, keepdims=True)).astype(np.float32)
                    new_chunks = [
                        replace(c, record_id=rec.id, text=f"{c.text} #{copy}" if copy else c.text) for c in chunks
                    ]
                    vault.store.upsert_record(rec, new_chunks, vecs)
                    written += len(chunks)
            copy += 1
        chunks_total = vault.store.chunk_count()
    return {
        "chunks": chunks_total,
        "build_s": round(time.perf_counter() - started, 1),
        "vault_mb": round((home / "vault.db").stat().st_size / 1e6, 1),
    }


MEASURE = r"""
import json, resource, statistics, sys, time
import knowme
home, queries, passphrase = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3]
warm, queries = queries[:20], queries[20:]
out = {}
with knowme.open(home, passphrase) as vault:
    t = time.perf_counter()
    vault.search("first query after opening the vault", k=10)
    out["first_query_ms"] = round((time.perf_counter() - t) * 1000, 1)
    t = time.perf_counter()
    vault.warm_up()
    out["warm_up_ms"] = round((time.perf_counter() - t) * 1000, 1)
    for q in warm:  # other queries: pages decrypted into the cache, as in any running process
        vault.search(q, k=10)
    for preset in ("hybrid", "bm25", "dense"):
        times = []
        for q in queries:
            t = time.perf_counter()
            vault.search(q, k=10, preset=preset)
            times.append((time.perf_counter() - t) * 1000)
        times.sort()
        out[preset] = {"p50_ms": round(statistics.median(times), 1),
                       "p95_ms": round(times[int(0.95 * (len(times) - 1))], 1),
                       "max_ms": round(times[-1], 1)}
out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
print(json.dumps(out))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--keep", type=Path, default=None, help="build vaults here and reuse them on later runs")
    args = parser.parse_args()
    from knowme.demo.generator import write_mbox

    results = []
    with tempfile.TemporaryDirectory(prefix="knowme-bench-") as tmp:
        root = Path(tmp)
        mbox = root / "pool.mbox"
        write_mbox(mbox, 12_000, seed=2)
        import mailbox

        subjects = [str(m["subject"] or "") for _, m in zip(range(args.queries * 3), mailbox.mbox(mbox), strict=False)]
        queries = [s for s in subjects if s][: args.queries + 20]
        queries = [q if i % 2 else f"what did they say about {q.lower()}" for i, q in enumerate(queries)]
        pool = None
        for size in args.sizes:
            home = (args.keep or root) / f"vault-{size}"
            if (home / "vault.db").exists():
                built: dict[str, float] = {"chunks": size, "build_s": 0.0}
            else:
                if pool is None:
                    pool = make_pool(mbox)
                    print(f"embedded a pool of {len(pool[1])} real chunks in {pool[2]:.1f} s", flush=True)
                built = build(home, size, pool[0], pool[1])
            built["vault_mb"] = round((home / "vault.db").stat().st_size / 1e6, 1)
            proc = subprocess.run(
                [sys.executable, "-c", MEASURE, str(home), json.dumps(queries), PASSPHRASE],
                capture_output=True,
                text=True,
                check=True,
            )
            measured = json.loads(proc.stdout.strip().splitlines()[-1])
            results.append({"size": size, **built, **measured})
    for r in results:
        print(f"chunks={r['chunks']:>7}  vault={r['vault_mb']:>7} MB  built in {r['build_s']} s")
        for preset in ("hybrid", "bm25", "dense"):
            m = r[preset]
            print(f"    {preset:<7} p50 {m['p50_ms']:>6} ms   p95 {m['p95_ms']:>6} ms   max {m['max_ms']:>6} ms")
        print(
            f"    first query after opening {r['first_query_ms']} ms (model load), warm-up {r['warm_up_ms']} ms; "
            f"search process peak RSS {r['peak_rss_mb']} MB"
        )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
