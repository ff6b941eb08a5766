"""Google Takeout as a folder and as the .zip: Mail, Calendar, Contacts, Chrome history and Keep notes."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest

import knowme
from knowme.connectors.registry import detect
from knowme.connectors.takeout import ChromeTakeoutConnector, KeepConnector, TakeoutZipConnector
from knowme.models import Record
from tests.samples import write_mbox

ICS = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Google Inc//Google Calendar 70.9054//EN\r\n"
    "X-WR-CALNAME:sam@gmail.com\r\n"
    "BEGIN:VEVENT\r\nUID:6hb8q@google.com\r\nDTSTAMP:20250101T000000Z\r\nDTSTART:20250322T100000Z\r\n"
    "DTEND:20250322T120000Z\r\nSUMMARY:Seed swap at the community garden\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)
VCF = (
    "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Priya Raman\r\nN:Raman;Priya;;;\r\n"
    "EMAIL;TYPE=INTERNET:priya@example.com\r\nEND:VCARD\r\n"
)


def write_takeout(root: Path) -> Path:
    t = root / "Takeout"
    for sub in ("Mail", "Calendar", "Contacts/All Contacts", "Chrome", "Keep"):
        (t / sub).mkdir(parents=True)
    write_mbox(t / "Mail" / "All mail Including Spam and Trash.mbox", garbage=False)
    (t / "Calendar" / "sam@gmail.com.ics").write_text(ICS, encoding="utf-8")
    (t / "Contacts" / "All Contacts" / "All Contacts.vcf").write_text(VCF, encoding="utf-8")
    history = {
        "Browser History": [
            {
                "favicon_url": "https://www.rhs.org.uk/favicon.ico",
                "page_transition": "LINK",
                "title": "How to grow garlic / RHS Gardening",
                "url": "https://www.rhs.org.uk/vegetables/garlic/grow-your-own",
                "client_id": "abc==",
                "time_usec": 1710000000000000,
            },
            {
                "page_transition": "TYPED",
                "title": "Settings",
                "url": "chrome://settings/",
                "time_usec": 1710000001000000,
            },
        ]
    }
    (t / "Chrome" / "BrowserHistory.json").write_text(json.dumps(history), encoding="utf-8")
    keep = {
        "color": "DEFAULT",
        "isTrashed": False,
        "isPinned": True,
        "isArchived": False,
        "listContent": [{"text": "Garlic bulbs", "isChecked": False}, {"text": "Twine", "isChecked": True}],
        "title": "Garden shopping",
        "userEditedTimestampUsec": 1711000000000000,
        "createdTimestampUsec": 1710900000000000,
        "labels": [{"name": "Garden"}],
    }
    (t / "Keep" / "Garden shopping.json").write_text(json.dumps(keep), encoding="utf-8")
    (t / "Keep" / "Garden shopping.html").write_text("<html><body>Garden shopping</body></html>", encoding="utf-8")
    trashed = {**keep, "isTrashed": True, "title": "Old list"}
    (t / "Keep" / "Old list.json").write_text(json.dumps(trashed), encoding="utf-8")
    return t


def test_takeout_folder_routes_every_part(tmp_path: Path) -> None:
    found, _ = detect([write_takeout(tmp_path)])
    names = sorted(c.name for c in found)
    assert names == ["calendar", "chrome-takeout", "contacts", "keep", "keep", "mbox"]
    chrome = next(c for c in found if isinstance(c, ChromeTakeoutConnector))
    [visit] = [r for r in chrome.iter_records() if isinstance(r, Record)]
    assert visit.ref == "web:https://www.rhs.org.uk/vegetables/garlic/grow-your-own" and visit.kind == "web_visit"
    assert visit.timestamp is not None and visit.timestamp.year == 2024
    notes = [r for c in found if isinstance(c, KeepConnector) for r in c.iter_records() if isinstance(r, Record)]
    assert [n.ref for n in notes] == ["note:keep/Garden shopping"], "the trashed note is skipped"
    assert notes[0].text == "[ ] Garlic bulbs\n[x] Twine" and notes[0].meta["labels"] == ["Garden"]


def test_takeout_zip_ingests_with_stable_sources(vault: knowme.Vault, tmp_path: Path) -> None:
    folder = write_takeout(tmp_path / "export")
    archive = tmp_path / "takeout-20250401T101010Z-001.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for file in sorted(folder.rglob("*")):
            if file.is_file():
                z.write(file, file.relative_to(folder.parent).as_posix())
    shutil.rmtree(folder)
    assert [type(c) for c in detect([archive])[0]] == [TakeoutZipConnector]
    report = vault.ingest(archive)
    assert report.added == {"email": 2, "event": 1, "contact": 1, "web_visit": 1, "note": 1}, report.as_dict()
    assert not report.problems
    again = vault.ingest(archive)
    assert again.added == {} and sum(again.unchanged.values()) == 6, "re-ingesting the zip is a no-op"
    hit = vault.search("seed swap community garden", k=1)[0]
    assert hit.ref == "cal:6hb8q@google.com" and hit.source.startswith(f"calendar:{archive.resolve()}!Takeout/")
    assert vault.records("note:keep/Garden shopping")[0].meta["path"].startswith(str(archive.resolve()))


def test_zip_slip_is_refused(vault: knowme.Vault, tmp_path: Path) -> None:
    archive = tmp_path / "takeout-evil.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("Takeout/Keep/a.json", "{}")
        z.writestr("../../escaped.txt", "x")
    report = vault.ingest(archive)
    assert any("outside the archive" in p.reason for p in report.problems)
    assert not (tmp_path.parent / "escaped.txt").exists()


def test_a_zip_bomb_is_refused_before_anything_is_written(vault: knowme.Vault, tmp_path: Path) -> None:
    from knowme.connectors import archive as unpack

    before = set(unpack.scratch_root().glob("knowme-takeout-*"))
    bomb = tmp_path / "takeout-bomb.zip"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("Takeout/Keep/a.json", json.dumps({"title": "A", "textContent": "a note"}))
        z.writestr("Takeout/Drive/zeros.bin", b"\0" * (64 << 20))  # 64 MiB of zeros in about 64 KB
    assert bomb.stat().st_size < 1 << 20
    report = vault.ingest(bomb)
    assert any("zip bomb" in p.reason for p in report.problems), report.as_dict()
    assert report.added == {}
    assert set(unpack.scratch_root().glob("knowme-takeout-*")) == before  # nothing unpacked, nothing left

    many = tmp_path / "takeout-large.zip"
    with zipfile.ZipFile(many, "w", compression=zipfile.ZIP_STORED) as z:
        for n in range(5):
            z.writestr(f"Takeout/Keep/{n}.json", json.dumps({"title": str(n), "textContent": "x" * 400_000}))
    with zipfile.ZipFile(many) as z, pytest.raises(knowme.IngestError, match="more than 1 MiB"):
        unpack.check_archive(z, str(many), max_total=1 << 20)  # the total is checked from the headers
    with zipfile.ZipFile(many) as z:
        assert unpack.check_archive(z, str(many)) == 5 * len(json.dumps({"title": "0", "textContent": "x" * 400_000}))


def test_a_killed_unpacking_leaves_nothing_behind_for_long(vault: knowme.Vault, tmp_path: Path) -> None:
    """A real process unpacks into scratch and is killed (SIGKILL): its folder stays until the next unpacking."""
    import os
    import signal
    import subprocess
    import sys

    from knowme.connectors import archive as unpack

    code = (
        "import sys, time\nfrom knowme.connectors.archive import scratch\n"
        "with scratch('takeout') as f:\n    (f / 'mail.mbox').write_text('From: Rosa <rosa@x>\\n\\nprivate')\n"
        "    print(f, flush=True)\n    time.sleep(60)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=env)
    try:
        left = Path(proc.stdout.readline().strip())  # type: ignore[union-attr]
        assert (left / "mail.mbox").exists()
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        proc.stdout.close()  # type: ignore[union-attr]
    assert left.exists() and left.parent == unpack.scratch_root()
    archive = tmp_path / "takeout-ok.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("Takeout/Keep/a.json", json.dumps({"title": "A", "textContent": "a note"}))
    vault.ingest(archive)
    assert not left.exists()
