"""Mail attachments: PDF, Word, text and calendar attachments become items linked to their message, searched, cited,
forgotten and exported with it; archives and images are not read; size and count are bounded."""

from __future__ import annotations

import mailbox
from email.message import EmailMessage
from pathlib import Path

import pytest

import knowme
from knowme.connectors import attachments
from knowme.connectors.attachments import attachment_names, attachment_refs
from knowme.connectors.email import MboxConnector
from knowme.models import ItemProblem, Record
from tests.conftest import PASSPHRASE
from tests.connectors.document_samples import write_docx, write_pdf

INVITE = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Test//EN\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\nUID:viewing-42@casa.pt\r\n"
    "DTSTART:20240315T170000Z\r\nDTEND:20240315T180000Z\r\nRRULE:FREQ=WEEKLY;COUNT=4\r\n"
    "SUMMARY:Flat viewing Rua das Flores\r\nLOCATION:Rua das Flores 12, Porto\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)

WORD = "vnd.openxmlformats-officedocument.wordprocessingml.document"


def landlord_mail(tmp_path: Path) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "Maria Costa <maria@casa.pt>"
    msg["To"] = "Ana Silva <ana@example.org>"
    msg["Subject"] = "The lease and the viewing"
    msg["Date"] = "Mon, 04 Mar 2024 09:30:00 +0000"
    msg["Message-ID"] = "<lease-1@casa.pt>"
    msg.set_content("Hello Ana, the lease and the invitation are attached.")
    msg.add_attachment(write_pdf(tmp_path / "lease.pdf").read_bytes(), maintype="application", subtype="pdf",
                       filename="lease.pdf")  # fmt: skip
    docx = write_docx(tmp_path / "cv.docx").read_bytes()
    msg.add_attachment(docx, maintype="application", subtype=WORD, filename="references.docx")
    msg.add_attachment("Keys are with the neighbour at number 14.", subtype="plain", filename="keys.txt")
    msg.add_attachment(INVITE.encode(), maintype="text", subtype="calendar", filename="invite.ics")
    msg.add_attachment(b"PK\x03\x04" + b"\x00" * 60, maintype="application", subtype="zip", filename="photos.zip")
    msg.add_attachment(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, maintype="image", subtype="png", filename="map.png")
    msg.add_attachment(b"%PDF-1.4 broken", maintype="application", subtype="pdf", filename="lease.pdf")
    return msg


def reply_mail() -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "Ana Silva <ana@example.org>"
    msg["To"] = "Maria Costa <maria@casa.pt>"
    msg["Subject"] = "Re: The lease and the viewing"
    msg["Date"] = "Mon, 04 Mar 2024 11:00:00 +0000"
    msg["Message-ID"] = "<reply-1@example.org>"
    msg["In-Reply-To"] = "<lease-1@casa.pt>"
    msg.set_content("Thanks, see you on Friday.")
    return msg


def write_box(path: Path, messages: list[EmailMessage]) -> Path:
    box = mailbox.mbox(path)
    for msg in messages:
        box.add(msg)
    box.flush()
    box.close()
    return path


def read(path: Path) -> tuple[list[Record], list[ItemProblem]]:
    items = list(MboxConnector(path).iter_records())
    return [i for i in items if isinstance(i, Record)], [i for i in items if isinstance(i, ItemProblem)]


def test_readable_attachments_become_linked_document_items(tmp_path: Path) -> None:
    box = write_box(tmp_path / "mail.mbox", [landlord_mail(tmp_path), reply_mail()])
    records, problems = read(box)
    by_ref = {r.ref: r for r in records}
    assert list(by_ref) == [
        "mail:lease-1@casa.pt",
        "mail:lease-1@casa.pt#att/lease.pdf",
        "mail:lease-1@casa.pt#att/references.docx",
        "mail:lease-1@casa.pt#att/keys.txt",
        "mail:lease-1@casa.pt#att/invite.ics",
        "mail:reply-1@example.org",
    ]  # the zip and the image are listed on the message, not read; the broken PDF is a problem
    [broken] = problems
    assert broken.where.endswith("message 1 attachment lease.pdf~2") and "damaged" in broken.reason
    message = by_ref["mail:lease-1@casa.pt"]
    lease = by_ref["mail:lease-1@casa.pt#att/lease.pdf"]
    assert lease.kind == "document" and lease.source == message.source
    assert lease.meta["attachment_of"] == "mail:lease-1@casa.pt" and lease.meta["format"] == "pdf"
    assert lease.timestamp == message.timestamp and lease.author == "Maria Costa <maria@casa.pt>"
    assert lease.participants == message.participants
    assert lease.title == "Lease Rua das Flores 12" and lease.sections[1].anchor == "p. 2 · Rent and deposit"
    assert "950 euros" in lease.text
    assert by_ref["mail:lease-1@casa.pt#att/references.docx"].sections[1].anchor == "Experience > Farfetch"
    assert by_ref["mail:lease-1@casa.pt#att/keys.txt"].text == "Keys are with the neighbour at number 14."
    invite = by_ref["mail:lease-1@casa.pt#att/invite.ics"]
    assert "Flat viewing Rua das Flores" in invite.text and "Porto" in invite.text
    assert invite.text.count("Flat viewing") == 1 and "Repeats weekly" in invite.text  # a series is told once
    assert attachment_refs(message) == [
        "mail:lease-1@casa.pt#att/lease.pdf",
        "mail:lease-1@casa.pt#att/references.docx",
        "mail:lease-1@casa.pt#att/keys.txt",
        "mail:lease-1@casa.pt#att/invite.ics",
        "mail:lease-1@casa.pt#att/lease.pdf~2",
    ]


def test_names_of_unnamed_and_repeated_attachments() -> None:
    entries = [
        {"filename": None, "content_type": "application/pdf"},
        {"filename": "a.txt", "content_type": "text/plain"},
        {"filename": "a.txt", "content_type": "text/plain"},
        {"filename": None, "content_type": "image/png"},
    ]
    assert attachment_names(entries) == ["attachment-1.pdf", "a.txt", "a.txt~2", "attachment-4"]


def test_size_and_count_are_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(attachments, "MAX_ATTACHMENT_BYTES", 5000)
    monkeypatch.setattr(attachments, "MAX_ATTACHMENTS", 2)
    records, problems = read(write_box(tmp_path / "mail.mbox", [landlord_mail(tmp_path)]))
    # only the first two readable attachments are considered: the PDF is read, the Word file is over the size limit
    assert [r.ref for r in records] == ["mail:lease-1@casa.pt", "mail:lease-1@casa.pt#att/lease.pdf"]
    [big] = problems
    assert big.where.endswith("attachment references.docx") and "over the 5,000-byte limit" in big.reason


def test_attachments_are_searched_cited_forgotten_and_exported_with_their_message(home: Path, tmp_path: Path) -> None:
    box = write_box(tmp_path / "mail.mbox", [landlord_mail(tmp_path), reply_mail()])
    with knowme.open(home, PASSPHRASE) as vault:
        report = vault.ingest(box)
        assert report.added == {"email": 2, "document": 4} and len(report.problems) == 1
        again = vault.ingest(box)
        assert again.added == {} and again.updated == {} and again.unchanged == {"email": 2, "document": 4}
        hit = vault.search("how many days of notice to end the lease", k=3)[0]
        assert hit.ref == "mail:lease-1@casa.pt#att/lease.pdf" and hit.anchor == "p. 3 · Ending the lease"
        assert vault.search("where are the keys neighbour", k=1)[0].ref == "mail:lease-1@casa.pt#att/keys.txt"
        export = tmp_path / "me.knowme.zip"
        assert vault.export(export).counts["records"] == 6
        preview = vault.forget(ref="mail:lease-1@casa.pt", dry_run=True)
        assert sorted(r.ref for r in preview.records) == [
            "mail:lease-1@casa.pt",
            "mail:lease-1@casa.pt#att/invite.ics",
            "mail:lease-1@casa.pt#att/keys.txt",
            "mail:lease-1@casa.pt#att/lease.pdf",
            "mail:lease-1@casa.pt#att/references.docx",
        ]
        copy = write_box(tmp_path / "archive.mbox", [landlord_mail(tmp_path)])  # the same mail in a second mailbox
        assert vault.ingest(copy).added == {"email": 1, "document": 4}
        kept = vault.forget(source=copy)  # that mailbox's copy goes, with its own attachments only
        assert len(kept.records) == 5 and all(r.source.endswith("archive.mbox") for r in kept.records)
        assert len(vault.store.records_by_ref("mail:lease-1@casa.pt#att/keys.txt")) == 1
        vault.forget(ref="mail:lease-1@casa.pt")
        assert [r.ref for r in vault.store.iter_records()] == ["mail:reply-1@example.org"]
        assert vault.ingest(box).forgotten == {"email": 1, "document": 4}
    with knowme.open(tmp_path / "restored", PASSPHRASE) as fresh:
        assert fresh.import_file(export).records == 6
        assert fresh.search("where are the keys neighbour", k=1)[0].ref == "mail:lease-1@casa.pt#att/keys.txt"
