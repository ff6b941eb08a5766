"""Outlook .msg and Apple Mail .emlx: the same refs, threads, body split and attachments as the other mail formats,
damaged files reported, through a real vault (re-ingest, forget with attachments, export)."""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import knowme
from knowme.connectors.email import EmlConnector
from knowme.connectors.outlook import EmlxConnector, MsgConnector
from knowme.connectors.registry import detect
from knowme.models import ItemProblem, Record
from tests.conftest import PASSPHRASE
from tests.connectors.document_samples import write_pdf
from tests.connectors.msg_samples import msg_bytes, write_emlx, write_msg

SENT = datetime(2024, 4, 2, 9, 30, tzinfo=UTC)
BODY = "Hi Ana,\r\nthe quarterly numbers are attached.\r\n\r\nThanks,\r\nTom Baker\r\nFinance"


def read(connector: MsgConnector | EmlxConnector | EmlConnector) -> tuple[list[Record], list[ItemProblem]]:
    items = list(connector.iter_records())
    return [i for i in items if isinstance(i, Record)], [i for i in items if isinstance(i, ItemProblem)]


def quarterly_msg(path: Path, tmp_path: Path, **overrides: object) -> Path:
    options: dict[str, object] = {
        "subject": "Quarterly numbers",
        "body": BODY,
        "sender_name": "Tom Baker",
        "sender_email": "tom@work.example",
        "to": [("Ana Silva", "ana@example.org"), ("Rui Mendes", "rui@example.org")],
        "sent": SENT,
        "message_id": "<q2-2024@work.example>",
        "in_reply_to": "<q1-2024@example.org>",
        "attachments": [
            ("figures.txt", b"Revenue grew 12 percent in the second quarter.", "text/plain"),
            ("lease.pdf", write_pdf(tmp_path / "lease.pdf").read_bytes(), "application/pdf"),
            ("logo.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "image/png"),
        ],
        **overrides,
    }
    return write_msg(path, **options)


def test_an_outlook_message_is_an_email_with_its_thread_and_attachments(tmp_path: Path) -> None:
    records, problems = read(MsgConnector(quarterly_msg(tmp_path / "Quarterly numbers.msg", tmp_path)))
    assert not problems
    message, figures, lease = records
    assert message.kind == "email" and message.ref == "mail:q2-2024@work.example"
    assert message.title == "Quarterly numbers" and message.author == "Tom Baker <tom@work.example>"
    assert message.timestamp == SENT
    assert message.participants == (
        "Tom Baker <tom@work.example>",
        "Ana Silva <ana@example.org>",
        "Rui Mendes <rui@example.org>",
    )
    assert message.follows == "mail:q1-2024@example.org" and message.meta["thread_id"] == "q1-2024@example.org"
    assert message.text == "Hi Ana,\nthe quarterly numbers are attached."
    assert message.meta["signature"] == "Thanks,\nTom Baker\nFinance"
    assert [a["filename"] for a in message.meta["attachments"]] == ["figures.txt", "lease.pdf", "logo.png"]
    assert figures.ref == "mail:q2-2024@work.example#att/figures.txt" and "12 percent" in figures.text
    assert lease.ref == "mail:q2-2024@work.example#att/lease.pdf" and lease.meta["pages"] == 3


def test_transport_headers_win_and_the_same_mail_as_eml_gives_the_same_record(tmp_path: Path) -> None:
    headers = (
        "Received: from mx.work.example by mail.example.org; Tue, 2 Apr 2024 09:30:05 +0000\r\n"
        "Message-ID: <q2-2024@work.example>\r\nReferences: <q0-2024@example.org> <q1-2024@example.org>\r\n"
        "In-Reply-To: <q1-2024@example.org>\r\nFrom: Tom Baker <tom@work.example>\r\n"
        "To: Ana Silva <ana@example.org>\r\nSubject: Quarterly numbers\r\nDate: Tue, 2 Apr 2024 10:30:00 +0100\r\n\r\n"
    )
    path = write_msg(tmp_path / "q.msg", subject="Quarterly numbers", body=BODY, sender_name="Tom Baker",
                     sender_email="tom@work.example", to=[("Ana Silva", "ana@example.org")], sent=SENT,
                     headers=headers)  # fmt: skip
    [message], _ = read(MsgConnector(path))
    assert message.ref == "mail:q2-2024@work.example"  # no PR_INTERNET_MESSAGE_ID: from the headers
    assert message.meta["references"] == ["q0-2024@example.org", "q1-2024@example.org"]
    assert message.meta["thread_id"] == "q0-2024@example.org"

    eml = EmailMessage()
    eml["From"], eml["To"], eml["Subject"] = (
        "Tom Baker <tom@work.example>",
        "Ana Silva <ana@example.org>",
        "Quarterly numbers",
    )
    eml["Date"], eml["Message-ID"] = "Tue, 02 Apr 2024 09:30:00 +0000", "<q2-2024@work.example>"
    eml["In-Reply-To"], eml["References"] = "<q1-2024@example.org>", "<q0-2024@example.org> <q1-2024@example.org>"
    eml.set_content(BODY.replace("\r\n", "\n"))
    (tmp_path / "q.eml").write_bytes(eml.as_bytes())
    [twin], _ = read(EmlConnector(tmp_path / "q.eml"))
    assert (twin.ref, twin.text, twin.title, twin.author, twin.participants, twin.follows, twin.timestamp) == (
        message.ref, message.text, message.title, message.author, message.participants, message.follows,
        message.timestamp,
    )  # fmt: skip


def test_detection_and_damaged_outlook_files(tmp_path: Path) -> None:
    whole = msg_bytes(subject="Hi", body="x", sender_name="A", sender_email="a@x.org", to=[("B", "b@x.org")], sent=SENT)
    (tmp_path / "saved-without-suffix").write_bytes(whole)
    (tmp_path / "cut.msg").write_bytes(whole[: len(whole) // 2])
    (tmp_path / "empty.msg").write_bytes(b"")
    (tmp_path / "text.msg").write_bytes(b"not an outlook file at all")
    found, skipped = detect([tmp_path])
    assert {c.path.name: c.name for c in found} == {"saved-without-suffix": "msg", "cut.msg": "msg", "empty.msg": "msg"}
    assert [Path(p.where).name for p in skipped] == ["text.msg"]
    [record], _ = read(MsgConnector(tmp_path / "saved-without-suffix"))
    assert record.title == "Hi" and record.native_id.startswith("knowme-")  # no Message-ID: derived from content
    [], [cut] = read(MsgConnector(tmp_path / "cut.msg"))
    assert "Outlook" in cut.reason and ("not a readable" in cut.reason or "damaged" in cut.reason)
    [], [empty] = read(MsgConnector(tmp_path / "empty.msg"))
    assert empty.reason == "the file is empty"


def apple_mail_message(message_id: str, subject: str, body: str, *, reply_to: str | None = None) -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"] = "Rui Mendes <rui@example.org>", "Ana Silva <ana@example.org>"
    msg["Subject"], msg["Date"], msg["Message-ID"] = subject, "Sat, 11 May 2024 18:00:00 +0100", f"<{message_id}>"
    if reply_to:
        msg["In-Reply-To"] = f"<{reply_to}>"
    msg.set_content(body)
    return msg.as_bytes()


def apple_mail(root: Path) -> Path:
    messages = root / "V10" / "1A2B-ACCOUNT" / "INBOX.mbox" / "3C4D-UUID" / "Data" / "Messages"
    messages.mkdir(parents=True)
    write_emlx(
        messages / "101.emlx", apple_mail_message("porto-1@example.org", "Porto trip", "Train at 9 from Lisbon.")
    )
    reply = apple_mail_message(
        "porto-2@example.org", "Re: Porto trip", "Booked, see you.", reply_to="porto-1@example.org"
    )
    write_emlx(messages / "102.partial.emlx", reply)
    whole = apple_mail_message("porto-3@example.org", "Dinner", "Table for four at Cantinho do Avillez at 20:30.")
    (messages / "103.emlx").write_bytes(f"{len(whole)}\n".encode() + whole[:-12])  # cut short
    (messages / "104.emlx").write_bytes(b"<?xml version='1.0'?><plist/>")
    return root


def test_apple_mail_emlx_files(tmp_path: Path) -> None:
    root = apple_mail(tmp_path / "Mail")
    found, skipped = detect([root])
    assert sorted(c.path.name for c in found if c.name == "emlx") == [
        "101.emlx", "102.partial.emlx", "103.emlx", "104.emlx",
    ] and not skipped  # fmt: skip
    by_name = {c.path.name: read(c) for c in found}
    [first], [] = by_name["101.emlx"]
    assert first.ref == "mail:porto-1@example.org" and first.meta["folder"] == "INBOX"
    assert first.text == "Train at 9 from Lisbon." and first.author == "Rui Mendes <rui@example.org>"
    [reply], [] = by_name["102.partial.emlx"]
    assert reply.follows == "mail:porto-1@example.org"
    [cut], [warning] = by_name["103.emlx"]
    assert "truncated" in warning.reason and "Cantinho" in cut.text
    [], [bad] = by_name["104.emlx"]
    assert "not an Apple Mail .emlx file" in bad.reason


def test_outlook_and_apple_mail_in_a_vault(home: Path, tmp_path: Path) -> None:
    folder = tmp_path / "mail"
    folder.mkdir()
    quarterly_msg(folder / "Quarterly numbers.msg", tmp_path)
    apple_mail(folder / "Apple")
    with knowme.open(home, PASSPHRASE) as vault:
        report = vault.ingest(folder)
        assert report.added == {"email": 4, "document": 2}
        assert vault.ingest(folder).unchanged == {"email": 4, "document": 2}
        hit = vault.search("revenue growth second quarter", k=1)[0]
        assert hit.ref == "mail:q2-2024@work.example#att/figures.txt"
        assert vault.export(tmp_path / "out.zip").counts["records"] == 6
        forgotten = vault.forget(ref="mail:q2-2024@work.example")
        assert len(forgotten.records) == 3
        assert {r.ref for r in vault.store.iter_records()} == {
            "mail:porto-1@example.org", "mail:porto-2@example.org", "mail:porto-3@example.org",
        }  # fmt: skip


def test_a_pst_archive_is_recognised_and_explained(tmp_path: Path) -> None:
    archive = tmp_path / "backup"
    archive.write_bytes(b"!BDN" + b"\x00" * 508)  # the header magic of every Outlook data file
    [connector], skipped = detect([archive])
    assert connector.name == "msg" and not skipped
    [problem] = list(connector.iter_records())
    assert isinstance(problem, ItemProblem) and "readpst" in problem.reason and ".msg" in problem.reason
