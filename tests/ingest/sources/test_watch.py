"""``knowme watch`` as a real subprocess: a message delivered into a watched Maildir becomes searchable, and
Ctrl-C (SIGINT) stops it cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import knowme
from tests.conftest import PASSPHRASE
from tests.ingest.sources.mail import deliver, make_maildir, message

ROOT = Path(__file__).resolve().parents[2]


def test_watch_maildir_then_sigint(home: Path, tmp_path: Path) -> None:
    box = make_maildir(tmp_path / "Mail", 3)
    with knowme.open(home, PASSPHRASE) as vault:
        vault.add_source(box, name="mail")
    env = {**os.environ, "KNOWME_HOME": str(home), "KNOWME_PASSPHRASE": PASSPHRASE, "CI": "true"}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    proc = subprocess.Popen(
        [sys.executable, "-m", "knowme.interfaces.cli", "watch", "--interval", "60"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # started as a shell's background job is: with SIGINT ignored, which Python would leave ignored
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),  # noqa: PLW1509 - no threads in the child yet
    )
    lines: list[str] = []
    ready = threading.Event()

    def read() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            lines.append(line)
            if "Watching 1 source" in line:
                ready.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        assert ready.wait(180), "".join(lines)
        assert any("mail: +3" in line for line in lines), lines
        with knowme.open(home, PASSPHRASE) as vault:
            delivered = time.monotonic()
            deliver(box, "1700000500.1.host", message(500, subject="Allotment", body="Water the tomatoes at six."))
            found = None
            while time.monotonic() - delivered < 30:
                hits = vault.search("water the tomatoes", k=1, preset="bm25")
                if hits and hits[0].ref == "mail:note-500@example.org":
                    found = time.monotonic() - delivered
                    break
                time.sleep(0.2)
        assert found is not None and found < 10, (found, lines)
        proc.send_signal(signal.SIGINT)
        out, late = proc.communicate(timeout=120)  # may take stderr lines the reader thread had not read yet
        lines.extend((late or "").splitlines(keepends=True))
        assert proc.returncode == 0 and "Stopped watching." in out
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
    reader.join(timeout=5)
    assert any("Interrupted" in line for line in lines)
