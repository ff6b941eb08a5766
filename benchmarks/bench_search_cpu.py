"""CPU cost of one search in process: a figure that holds on a busy machine, where wall-clock latency does not.

    python benchmarks/bench_search_cpu.py --vault DIR [--backend auto|onnx|torch] [--searches 400] [--unique]
                                          [--profile] [--json PATH]

Opens the vault made by ``benchmarks/bench_server.py --vault DIR`` (10,000 generated emails), wraps its embedder in
the server's :class:`~knowme.llm.batching.BatchingEmbedder` (so repeated queries hit the query-vector cache,
as on the server), warms up as ``knowme serve`` does, then runs ``--searches`` owner searches (``Vault.search``, the
path ``GET /api/search`` takes) one after the other with the bench_server queries (``--unique``: every query
different, every one embedded). Prints the process CPU time (``time.process_time``: every thread, user and system)
per search, the same for embedding one query alone, and the wall time for reference. ``--profile`` prints where
the CPU goes (cProfile, cumulative, top 25).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_server import PASSPHRASE, query  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--vault", type=Path, required=True)
    parser.add_argument("--backend", choices=["auto", "onnx", "torch"], default=None)
    parser.add_argument("--searches", type=int, default=400)
    parser.add_argument("--unique", action="store_true")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    if args.backend:
        os.environ["KNOWME_EMBED_BACKEND"] = args.backend

    import knowme
    from knowme.llm.batching import BatchingEmbedder

    with knowme.open(args.vault, PASSPHRASE) as vault:
        vault.embedder = BatchingEmbedder(vault.embedder)
        vault.warm_up()
        backend = getattr(vault.embedder.inner, "backend", vault.embedder.name)
        for i in range(20):
            vault.search(query(i, 0, args.unique) + " warm", k=10)

        texts = [f"embedding alone {i} {query(i, 0, True)}" for i in range(100)]
        cpu = time.process_time()
        for text in texts:
            vault.embedder.inner.embed_query(text)
        embed_ms = (time.process_time() - cpu) * 1000 / len(texts)

        profiler = cProfile.Profile() if args.profile else None
        cpu, wall = time.process_time(), time.perf_counter()
        if profiler:
            profiler.enable()
        for i in range(args.searches):
            hits = vault.search(query(i, 0, args.unique), k=10)
            assert hits, "a search found nothing"
        if profiler:
            profiler.disable()
        cpu_ms = (time.process_time() - cpu) * 1000 / args.searches
        wall_ms = (time.perf_counter() - wall) * 1000 / args.searches
    result = {
        "backend": backend,
        "unique_queries": args.unique,
        "searches": args.searches,
        "cpu_ms_per_search": round(cpu_ms, 2),
        "wall_ms_per_search": round(wall_ms, 2),
        "cpu_ms_per_query_embedding": round(embed_ms, 2),
        "load_average": round(os.getloadavg()[0], 2),
    }
    print(
        f"{args.searches} searches ({'unique' if args.unique else 'repeated'} queries), embedder {backend}: "
        f"CPU {result['cpu_ms_per_search']} ms per search (wall {result['wall_ms_per_search']} ms); "
        f"one query embedding alone: CPU {result['cpu_ms_per_query_embedding']} ms; load {result['load_average']}"
    )
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
