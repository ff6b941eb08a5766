"""Ingest through the public API: detection, reports, idempotence, updates, bad input, crashes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

from sqlcipher3 import dbapi2 as sqlite

import knowme
from knowme.connectors.base import Connector, Cursor
from knowme.ingest.pipeline import ingest_connector
from knowme.models import ItemProblem, Record
from knowme.store.keys import derive_key
from knowme.store.sqlcipher import VAULT_FILE
from tests.conftest import PASSPHRASE
from tests.samples import write_life, write_mbox


def test_every_format_is_detected_and_ingested(vault: knowme.Vault, tmp_path: Path) -> None:
    paths = write_life(tmp_path / "life")
    report = vault.ingest(list(paths.values()))
    assert report.added == {"email": 2, "event": 1, "contact": 1, "note": 2, "chat_message": 2, "web_visit": 1}
    assert len(report.problems) == 1 and "inbox.mbox" in report.problems[0].where  # the garbage message
    refs = {h.ref for kind in paths for h in vault.search("a", k=50, kinds=[kind])}
    assert {
        "mail:offsite-1@example.org",
        "cal:dentist-42@example.org",
        "vcf:lena-1",
        "note:Daily/2025-05-01.md",
        "note:Anniversary.md",
        "chat:c2",
        "web:https://www.example.com/trail-boots",
    } <= refs


def test_reingest_is_a_no_op_and_a_change_is_an_update(vault: knowme.Vault, tmp_path: Path) -> None:
    paths = write_life(tmp_path / "life")
    first = vault.ingest(list(paths.values()))
    chunks = vault.store.chunk_count()
    again = vault.ingest(list(paths.values()))
    assert again.added == {} and again.updated == {}
    assert sum(again.unchanged.values()) == sum(first.added.values())
    assert vault.store.chunk_count() == chunks
    note = paths["note"] / "Anniversary.md"
    note.write_text("# Anniversary\n## Dinner\nMoved the booking to Taberna dos Mercadores.\n", encoding="utf-8")
    changed = vault.ingest(paths["note"])
    assert changed.updated == {"note": 1} and changed.unchanged == {"note": 1}
    assert vault.store.chunk_count() == chunks
    hits = vault.search("anniversary dinner booking", k=3, kinds=["note"])
    assert "Taberna" in hits[0].text
    assert all("Avillez" not in h.text for h in vault.search("Avillez", k=20))


def test_bad_paths_are_reported_and_good_ones_still_go_in(vault: knowme.Vault, tmp_path: Path) -> None:
    write_mbox(tmp_path / "good.mbox", garbage=False)
    (tmp_path / "photo.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really")
    (tmp_path / "blob.bin").write_bytes(b"\x00\x01 nothing anyone reads")
    (tmp_path / "broken.ics").write_text("BEGIN:VCALENDAR\nBEGIN:VEVENT\nSUMMARY:half", encoding="utf-8")
    report = vault.ingest([tmp_path / n for n in ("good.mbox", "photo.jpg", "blob.bin", "missing.vcf", "broken.ics")])
    assert report.added == {"email": 2}
    reasons = {Path(p.where).name: p.reason for p in report.skipped_paths}
    assert "unrecognised" in reasons["blob.bin"] and "no such file" in reasons["missing.vcf"]
    assert any("broken.ics" in p.where for p in report.problems)
    assert any(p.where.endswith("photo.jpg") and "damaged" in p.reason for p in report.problems)


def test_folders_are_walked(vault: knowme.Vault, tmp_path: Path) -> None:
    paths = write_life(tmp_path / "life")
    (tmp_path / "life" / "README.txt").write_text("a text file is a document", encoding="utf-8")
    (tmp_path / "life" / "data.bin").write_bytes(b"\x00 not a source")
    report = vault.ingest(tmp_path / "life")
    assert sum(report.added.values()) == 10 and report.added["document"] == 1
    assert [p.where for p in report.skipped_paths] == [str(tmp_path / "life" / "data.bin")]
    # a folder walked from above names notes relative to the folder given
    assert any(r.ref == "note:notes/Anniversary.md" for r in vault.store.iter_records(kind="note"))
    assert paths


def test_killed_ingest_leaves_a_consistent_vault(home: Path, tmp_path: Path) -> None:
    big = tmp_path / "big.mbox"
    from knowme.demo.generator import write_mbox as write_many

    write_many(big, 1500, seed=3)
    script = textwrap.dedent(
        f"""
        import knowme
        with knowme.open({str(home)!r}, {PASSPHRASE!r}) as v:
            print("ready", flush=True)
            v.ingest({str(big)!r})
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    key = derive_key(home, PASSPHRASE)
    deadline = time.monotonic() + 240
    committed = 0
    while time.monotonic() < deadline and committed == 0:  # a reader sees only committed batches
        time.sleep(0.3)
        probe = sqlite.connect(str(home / VAULT_FILE), timeout=5)
        try:
            probe.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
            committed = probe.execute("SELECT count(*) FROM records").fetchone()[0]
        except sqlite.OperationalError:  # the schema is still being written
            committed = 0
        finally:
            probe.close()
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    proc.stdout.close()
    with knowme.open(home, PASSPHRASE) as v:
        store = v.store
        assert store.integrity_check() == "ok"  # type: ignore[attr-defined]
        partial = sum(store.counts().values())
        assert committed <= partial < 1500
        q = store._q  # type: ignore[attr-defined]
        chunks = q("SELECT count(*) FROM chunks").fetchone()[0]
        assert q("SELECT count(*) FROM chunks_vec").fetchone()[0] == chunks
        assert (
            q(
                "SELECT count(*) FROM records r WHERE NOT EXISTS (SELECT 1 FROM chunks c WHERE c.record_id = r.id)"
            ).fetchone()[0]
            == 0
        )
        report = v.ingest(big)
        assert sum(report.unchanged.values()) == partial
        assert sum(store.counts().values()) == 1500


class _Breaks(Connector):
    """A connector that reads three items and then hits a bug."""

    name = "breaks"

    def iter_records(self, cursor: Cursor | None = None) -> Iterator[Record | ItemProblem]:
        for i in range(3):
            yield Record(source=self.source, kind="note", native_id=str(i), ref=f"note:{i}", text=f"item {i}")
        yield self.problem("item 3", "unreadable")
        raise RuntimeError("parser bug")


def test_a_failing_connector_keeps_what_it_read(vault: knowme.Vault, tmp_path: Path) -> None:
    report = ingest_connector(vault.store, vault.embedder, _Breaks(tmp_path))
    assert report.added == {"note": 3}
    assert [p.reason for p in report.problems] == [
        "unreadable",
        "reading stopped after 4 items: RuntimeError: parser bug",
    ]
    assert vault.store.counts() == {"note": 3}
