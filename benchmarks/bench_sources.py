"""Sync cost of registered sources: an unchanged 10,000-message IMAP mailbox, and a new message under ``watch``.

    python benchmarks/bench_sources.py [--messages 10000] [--vault DIR]

Fills a Maildir with ``--messages`` generated emails, serves it with a real Dovecot on 127.0.0.1 (as the IMAP tests
do), registers ``imap://127.0.0.1:PORT/INBOX`` and syncs it once (everything is fetched, parsed and embedded),
then three more times with nothing changed: the "nothing to do" cost, which should be one SELECT and a state
read. Then it starts ``knowme watch`` on a small Maildir source in its own process, delivers one message and
measures how long until ``search`` finds it, and stops the watcher with SIGINT. Targets: unchanged sync under
10 s, new message searchable under 5 s.
"""

from __future__ import annotations

import argparse
import os
import resource
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import knowme  # noqa: E402
from tests.ingest.sources.mail import deliver, make_maildir, message  # noqa: E402
from tests.ingest.sources.servers import Dovecot  # noqa: E402

PASSPHRASE = "bench sources passphrase"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--vault", type=Path, default=None)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="knowme-bench-sources-"))
    home = args.vault or work / "home"
    os.environ.update({"KNOWME_HOME": str(home), "KNOWME_PASSPHRASE": PASSPHRASE, "CI": "true", "BENCH_PW": "pw"})
    server = Dovecot(work / "dovecot", password="pw")
    for n in range(args.messages):
        (server.maildir / "cur" / f"1700000000.{n}.bench:2,S").write_bytes(message(n))
    server.start()
    try:
        with knowme.open(home, PASSPHRASE) as vault:
            if "mailbox" not in {e.name for e in vault.sources()}:
                vault.add_source(server.uri, name="mailbox", user=server.user, password_env="BENCH_PW")
            started = time.perf_counter()
            [first] = vault.sync(["mailbox"])
            print(f"first sync: {first.items} messages in {time.perf_counter() - started:.1f} s (error: {first.error})")
            for attempt in range(1, 4):
                started = time.perf_counter()
                [again] = vault.sync(["mailbox"])
                took = time.perf_counter() - started
                read, items = again.ingest.total, again.items
                print(f"unchanged sync #{attempt}: {took * 1000:.0f} ms, read {read} messages, {items} items")
            drop = make_maildir(work / "Drop", 3)
            if "drop" not in {e.name for e in vault.sources()}:
                vault.add_source(drop, name="drop")
            vault.sync(["drop"])
        watch_latency(home, drop)
    finally:
        server.stop()
    print(f"peak RSS of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


def watch_latency(home: Path, drop: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "knowme.interfaces.cli", "watch", "drop"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    ready = threading.Event()

    def read() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            if "Watching" in line:
                ready.set()

    threading.Thread(target=read, daemon=True).start()
    try:
        if not ready.wait(300):
            print("watch did not start within 300 s")
            return
        time.sleep(1.5)  # let the watcher's first step pass, so this measures an event, not the start-up sync
        with knowme.open(home, PASSPHRASE) as vault:
            vault.warm_up()
            delivered = time.monotonic()
            deliver(drop, "1800000000.1.bench", message(10**6, subject="Bench drop", body="Quokka lantern marmalade."))
            while time.monotonic() - delivered < 60:
                hits = vault.search("quokka lantern marmalade", k=1)
                if hits and hits[0].ref == f"mail:note-{10**6}@example.org":
                    print(f"new message searchable under watch after {time.monotonic() - delivered:.2f} s")
                    break
                time.sleep(0.1)
            else:
                print("new message not searchable within 60 s")
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
            print(f"watch stopped on SIGINT with exit code {proc.returncode}")
        except subprocess.TimeoutExpired:
            proc.kill()
            print("watch did not stop on SIGINT within 30 s")


if __name__ == "__main__":
    main()
