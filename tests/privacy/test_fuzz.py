"""Hostile files: every connector fed random and mutated files gives records or clear per-item problems, never a
crash, and a vault keeps everything it held when such files are ingested."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import knowme
from knowme.connectors.base import Connector
from knowme.errors import KnowmeError
from knowme.models import ItemProblem, Record
from knowme.plugins import connectors
from tests.conftest import PASSPHRASE
from tests.connectors.bank_samples import write_german_csv, write_ofx
from tests.connectors.test_chats import lisbon_conversation
from tests.samples import ICS, VCF, write_chat, write_history, write_life, write_mbox

#: connector name -> (file name to write, how to make a valid sample there)
SAMPLES = {
    "mbox": "inbox.mbox",
    "eml": "message.eml",
    "calendar": "calendar.ics",
    "contacts": "contacts.vcf",
    "chatjsonl": "friends.chat.jsonl",
    "chatgpt": "conversations.json",
    "chromium": "History",
    "firefox": "places.sqlite",
    "notes": "notes/page.md",
    "maildir": "Maildir/cur/1.eml",
    "whatsapp": "WhatsApp Chat with Lena Vogel.txt",
    "telegram": "result.json",
    "apple-health": "export.xml",
    "chrome-takeout": "BrowserHistory.json",
    "keep": "Garden shopping.json",
    "takeout": "takeout-20240203.zip",
    "bank": "statement.ofx",
    "bank-csv": "Umsaetze.csv",
    "documents": "lease.pdf",
    "photos": "IMG_0042.jpg",
    "msg": "Quarterly numbers.msg",
    "emlx": "101.emlx",
    "location-history": "2024_MAY.json",
}


def _valid(name: str, folder: Path) -> bytes:
    """The bytes of a small valid sample for connector ``name``."""
    tmp = folder / f"valid-{name}"
    if name == "mbox":
        write_mbox(tmp, garbage=False)
    elif name in ("eml", "maildir"):
        write_mbox(tmp, garbage=False)
        return tmp.read_bytes().split(b"\n", 1)[1].split(b"\nFrom ", 1)[0]
    elif name == "calendar":
        tmp.write_text(ICS, encoding="utf-8", newline="")
    elif name == "contacts":
        tmp.write_text(VCF, encoding="utf-8", newline="")
    elif name == "chatjsonl":
        write_chat(tmp)
    elif name == "chatgpt":
        import json

        tmp.write_text(json.dumps([lisbon_conversation()]), encoding="utf-8")
    elif name == "chromium":
        write_history(tmp)
    elif name == "firefox":
        db = sqlite3.connect(tmp)
        db.executescript(
            "CREATE TABLE moz_places(id INTEGER PRIMARY KEY, url TEXT, title TEXT, visit_count INTEGER);"
            "CREATE TABLE moz_historyvisits(id INTEGER PRIMARY KEY, place_id INTEGER, visit_date INTEGER,"
            " visit_type INTEGER, from_visit INTEGER);"
            "INSERT INTO moz_places VALUES (1, 'https://example.com/a', 'A page', 1);"
            "INSERT INTO moz_historyvisits VALUES (1, 1, 1740000000000000, 1, 0);"
        )
        db.commit()
        db.close()
    elif name == "bank":
        write_ofx(tmp)
    elif name == "bank-csv":
        write_german_csv(tmp)
    elif name in ("whatsapp", "telegram", "apple-health", "chrome-takeout", "keep", "takeout"):
        return _export_sample(name, folder / f"valid-{name}-parts")
    elif name in ("documents", "photos", "msg", "emlx", "location-history"):
        return _footprint_sample(name, tmp)
    else:
        tmp.write_text("---\ntags: [x]\n---\n# Title\nSome [[link]] text #tag\n", encoding="utf-8")
    data = tmp.read_bytes()
    tmp.unlink()
    return data


def _footprint_sample(name: str, tmp: Path) -> bytes:
    """Valid documents, photos, Outlook/Apple Mail messages and location history, from their tests' generators."""
    from datetime import UTC, datetime

    from tests.connectors.document_samples import jpeg_bytes, write_pdf
    from tests.connectors.msg_samples import msg_bytes, write_emlx
    from tests.connectors.test_location_history import write_semantic

    if name == "photos":
        return jpeg_bytes()
    if name == "msg":
        note = ("notes.txt", b"Bring the contract.", "text/plain")
        return msg_bytes(subject="Hi", body="Lunch on Friday?", sender_name="Tom Baker", sender_email="tom@x.org",
                         to=[("Ana Silva", "ana@x.org")], sent=datetime(2024, 4, 2, tzinfo=UTC),
                         message_id="<m1@x.org>", attachments=[note])  # fmt: skip
    if name == "documents":
        write_pdf(tmp)
    elif name == "emlx":
        write_mbox(tmp, garbage=False)
        write_emlx(tmp, tmp.read_bytes().split(b"\n", 1)[1].split(b"\nFrom ", 1)[0])
    else:
        write_semantic(tmp)
    data = tmp.read_bytes()
    tmp.unlink()
    return data


def _export_sample(name: str, parts: Path) -> bytes:
    """Valid samples of the exports people bring, from the connectors' own test generators."""
    import json
    import shutil
    import zipfile

    from tests.connectors.health_export import write_export
    from tests.connectors.test_messengers import ANDROID_UK, telegram_export
    from tests.connectors.test_takeout import write_takeout

    parts.mkdir(parents=True)
    try:
        if name == "whatsapp":
            return ("\n".join(ANDROID_UK[1]) + "\n").encode()
        if name == "telegram":
            return json.dumps(telegram_export(), ensure_ascii=False).encode()
        if name == "apple-health":
            return write_export(parts / "export.xml", days=1).read_bytes()
        root = write_takeout(parts)
        if name == "chrome-takeout":
            return (root / "Chrome" / "BrowserHistory.json").read_bytes()
        if name == "keep":
            return (root / "Keep" / "Garden shopping.json").read_bytes()
        archive = parts / "takeout.zip"
        with zipfile.ZipFile(archive, "w") as z:
            for file in sorted(root.rglob("*")):
                if file.is_file():
                    z.write(file, file.relative_to(root.parent).as_posix())
        return archive.read_bytes()
    finally:
        shutil.rmtree(parts, ignore_errors=True)


def _read_all(name: str, folder: Path, data: bytes) -> list[Record | ItemProblem]:
    target = folder / SAMPLES[name]
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    root = folder / SAMPLES[name].split("/")[0] if "/" in SAMPLES[name] else target
    if name == "maildir":
        for sub in ("new", "tmp"):
            (root / sub).mkdir(exist_ok=True)
    connector: Connector = connectors()[name](root)
    try:
        return list(connector.iter_records(None))
    except KnowmeError as exc:  # a file that cannot be read at all: one clear error
        assert str(exc) and "\n" not in str(exc).strip()
        return []


def _mutate(data: bytes, flips: list[tuple[int, int]], cut: int | None, insert: bytes) -> bytes:
    out = bytearray(data)
    for position, value in flips:
        if out:
            out[position % len(out)] = value
    if cut is not None and out:
        del out[cut % len(out) :]
    if insert and out:
        at = flips[0][0] % len(out) if flips else 0
        out[at:at] = insert
    return bytes(out)


_BYTES = st.binary(max_size=600)
_HOSTILE = st.sampled_from(
    [b"\x00", b"\xff\xfe", b"\r\n\r\n", b"BEGIN:VEVENT\r\n", b"END:VCALENDAR", b'{"mapping": 7}', b"From x\n",
     b"=?utf-8?b?////?=", b"\xed\xa0\x80", b"'; DROP TABLE records; --", b"\n---\n", b"[[",
     b"Content-Type: multipart/mixed; boundary=\"\"\n"]
)  # fmt: skip


@pytest.mark.parametrize("name", sorted(SAMPLES))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    data=st.data(),
    flips=st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), max_size=6),
    cut=st.none() | st.integers(0, 10**6),
    insert=_HOSTILE,
)
def test_connectors_survive_mutated_and_random_files(
    name: str, tmp_path: Path, data: st.DataObject, flips: list[tuple[int, int]], cut: int | None, insert: bytes
) -> None:
    folder = tmp_path / f"f{abs(hash((name, tuple(flips), cut, insert))) % 10**9}"
    folder.mkdir(parents=True, exist_ok=True)
    try:
        base = _valid(name, folder)
        if data.draw(st.booleans(), label="random instead of mutated"):
            base = data.draw(_BYTES, label="random bytes")
        items = _read_all(name, folder, _mutate(base, flips, cut, insert))
        for item in items:
            assert isinstance(item, Record | ItemProblem)
            if isinstance(item, ItemProblem):
                assert item.reason and item.where
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_every_connector_is_fuzzed_from_a_valid_sample(tmp_path: Path) -> None:
    assert set(SAMPLES) == set(connectors())
    for name in SAMPLES:
        folder = tmp_path / name
        folder.mkdir()
        items = _read_all(name, folder, _valid(name, folder))
        assert any(isinstance(item, Record) for item in items), name


def test_hostile_files_never_cost_stored_data(vault: knowme.Vault, tmp_path: Path) -> None:
    life = write_life(tmp_path / "life")
    vault.ingest(list(life.values()))
    before = vault.store.counts()
    hostile = tmp_path / "hostile"
    hostile.mkdir()
    (hostile / "broken.mbox").write_bytes(b"From a\n\x00\xff" * 50)
    (hostile / "broken.ics").write_bytes(b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART:notadate\r\n")
    (hostile / "broken.vcf").write_bytes(b"BEGIN:VCARD\r\nFN\r\n" + b"\xc3" * 30)
    (hostile / "x.chat.jsonl").write_bytes(b'{"id": 1}\nnot json\n\xff\n')
    (hostile / "conversations.json").write_bytes(b'[{"mapping": {"a": {"parent": "a", "message": {}}}}]')
    (hostile / "History").write_bytes(b"SQLite format 3\x00" + b"\x00" * 200)
    report = vault.ingest(sorted(hostile.iterdir()))
    assert report.problems or report.skipped_paths
    assert all(p.reason for p in [*report.problems, *report.skipped_paths])
    after = vault.store.counts()
    assert all(after.get(kind, 0) >= n for kind, n in before.items())
    assert vault.search("Rua das Flores", k=1)[0].ref == "mail:porto-7@example.org"
    assert vault.store.integrity_check() == "ok"  # type: ignore[attr-defined]
    with knowme.open(vault.home, PASSPHRASE) as again:
        assert again.store.counts() == after
