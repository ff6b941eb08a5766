"""Small real files in every supported format, written by tests into a temporary folder."""

from __future__ import annotations

import json
import mailbox
import sqlite3
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path


def write_messages(path: Path, messages: list[dict[str, str]]) -> Path:
    """An mbox of plain-text messages, each a dict of headers (``From``, ``Subject``, ``Message-ID``) and ``body``."""
    box = mailbox.mbox(str(path))
    for fields in messages:
        msg = EmailMessage()
        for name, value in fields.items():
            if name != "body":
                msg[name] = value
        msg.set_content(fields["body"])
        box.add(msg)
    box.close()
    return path


def write_mbox(path: Path, *, garbage: bool = True) -> None:
    box = mailbox.mbox(path)
    msgs = [
        (
            "tom.baker@example.org",
            "Offsite slides",
            "Hi,\n\nCould you send the offsite slides before Friday?\n\nTom",
            "offsite-1@example.org",
            datetime(2025, 3, 3, 9, 0, tzinfo=UTC),
        ),
        (
            "=?utf-8?q?Jos=C3=A9_N=C3=BA=C3=B1ez?= <jose@example.org>",
            "Porto flat",
            "The flat on Rua das Flores is available from April. Rent is 950 euros.\n",
            "porto-7@example.org",
            datetime(2025, 2, 10, 18, 30, tzinfo=UTC),
        ),
    ]
    for sender, subject, body, mid, when in msgs:
        msg = EmailMessage()
        msg["From"] = sender
        msg["To"] = "Maya <maya@example.org>"
        msg["Subject"] = subject
        msg["Message-ID"] = f"<{mid}>"
        msg["Date"] = format_datetime(when)
        msg.set_content(body)
        box.add(msg)
    box.flush()
    box.close()
    if garbage:
        with path.open("ab") as fh:
            fh.write(b"From MAILER-DAEMON Thu Jan  1 00:00:00 2025\n\x00\x01\xff\xfe garbage \x00\n\n")


ICS = """BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//knowme tests//EN\r
BEGIN:VEVENT\r
UID:dentist-42@example.org\r
DTSTAMP:20250101T000000Z\r
DTSTART:20250312T150000Z\r
DTEND:20250312T160000Z\r
SUMMARY:Dentist appointment with Dr. Okafor\r
LOCATION:Clinica Sorriso, Porto\r
END:VEVENT\r
END:VCALENDAR\r
"""

VCF = """BEGIN:VCARD\r
VERSION:3.0\r
UID:lena-1\r
FN:Lena Fischer\r
N:Fischer;Lena;;;\r
EMAIL;TYPE=INTERNET:lena@example.org\r
BDAY:1990-06-21\r
END:VCARD\r
"""


def write_chat(path: Path) -> None:
    lines = [
        {
            "conversation": "climbing",
            "id": "c1",
            "time": "2025-04-02T19:00:00",
            "speaker": "Ana",
            "text": "Shall we try the new bouldering gym in Matosinhos on Saturday?",
        },
        {
            "conversation": "climbing",
            "id": "c2",
            "time": "2025-04-02T19:05:00",
            "speaker": "Maya",
            "text": "Yes! I'll bring my new La Sportiva shoes.",
            "caption": "a pair of climbing shoes",
        },
    ]
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n", encoding="utf-8")


def write_history(path: Path) -> None:
    db = sqlite3.connect(path)
    db.executescript(
        """
        CREATE TABLE urls(id INTEGER PRIMARY KEY AUTOINCREMENT, url LONGVARCHAR, title LONGVARCHAR,
          visit_count INTEGER DEFAULT 0 NOT NULL, typed_count INTEGER DEFAULT 0 NOT NULL,
          last_visit_time INTEGER NOT NULL, hidden INTEGER DEFAULT 0 NOT NULL);
        CREATE TABLE visits(id INTEGER PRIMARY KEY, url INTEGER NOT NULL, visit_time INTEGER NOT NULL,
          from_visit INTEGER, transition INTEGER DEFAULT 0 NOT NULL, segment_id INTEGER,
          visit_duration INTEGER DEFAULT 0 NOT NULL);
        """
    )
    t = 13385000000000000  # WebKit microseconds
    db.execute(
        "INSERT INTO urls VALUES (1, 'https://www.example.com/trail-boots', 'Merrell trail boots', 1, 1, ?, 0)", (t,)
    )
    db.execute("INSERT INTO visits VALUES (1, 1, ?, 0, 1, 0, 0)", (t,))
    db.commit()
    db.close()


def write_life(root: Path) -> dict[str, Path]:
    """One small source of every kind; returns the paths by kind."""
    root.mkdir(parents=True, exist_ok=True)
    paths = {
        "email": root / "inbox.mbox",
        "event": root / "calendar.ics",
        "contact": root / "contacts.vcf",
        "note": root / "notes",
        "chat_message": root / "friends.chat.jsonl",
        "web_visit": root / "History",
    }
    write_mbox(paths["email"])
    paths["event"].write_text(ICS, encoding="utf-8", newline="")
    paths["contact"].write_text(VCF, encoding="utf-8", newline="")
    notes = paths["note"]
    (notes / "Daily").mkdir(parents=True)
    (notes / "Daily" / "2025-05-01.md").write_text(
        "---\ntags: [move]\n---\n# Moving day\nBooked the van with [[Rui]] for the move to Porto. #move\n",
        encoding="utf-8",
    )
    (notes / "Anniversary.md").write_text(
        "# Anniversary\n## Dinner\nReserved a table at Cantinho do Avillez for the anniversary.\n", encoding="utf-8"
    )
    write_chat(paths["chat_message"])
    write_history(paths["web_visit"])
    return paths
