"""A small life for the persona tests, in real files: an mbox, a vCard file and an iCalendar file."""

from __future__ import annotations

import mailbox
from datetime import datetime, timedelta, timezone
from pathlib import Path

from tests.graph.life import _mail

TZ = timezone(timedelta(hours=1))
ME = "Nora Vidal <nora@home.example>"

VCF = """BEGIN:VCARD\r
VERSION:3.0\r
UID:nora\r
FN:Nora Vidal\r
EMAIL:nora@home.example\r
END:VCARD\r
BEGIN:VCARD\r
VERSION:3.0\r
UID:ivo\r
FN:Ivo Marques\r
EMAIL:ivo@work.example\r
BDAY:1985-03-14\r
END:VCARD\r
BEGIN:VCARD\r
VERSION:4.0\r
UID:leo\r
FN:Leo Brandt\r
EMAIL:leo@home.example\r
BDAY:--02-29\r
ANNIVERSARY:20180310\r
END:VCARD\r
"""

ICS = """BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//test//persona//EN\r
BEGIN:VEVENT\r
UID:dentist-1\r
DTSTAMP:20240301T000000Z\r
DTSTART:20240312T150000Z\r
DTEND:20240312T160000Z\r
SUMMARY:Dentist\r
DESCRIPTION:Bring the insurance card.\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:lunch-1\r
DTSTAMP:20240301T000000Z\r
DTSTART:20240311T120000Z\r
DTEND:20240311T130000Z\r
SUMMARY:Lunch with Ivo\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:yoga\r
DTSTAMP:20240301T000000Z\r
DTSTART:20240305T180000Z\r
DTEND:20240305T190000Z\r
RRULE:FREQ=WEEKLY;COUNT=10\r
SUMMARY:Yoga\r
DESCRIPTION:Bring the mat.\r
END:VEVENT\r
END:VCALENDAR\r
"""


def write_life(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "people.vcf").write_text(VCF, encoding="utf-8")
    (root / "cal.ics").write_text(ICS, encoding="utf-8")
    box = mailbox.mbox(root / "mail.mbox")
    ivo = "Ivo Marques <ivo@work.example>"
    leo = "Leo Brandt <leo@home.example>"
    d = lambda day, hour=9: datetime(2024, 3, day, hour, 0, tzinfo=TZ)  # noqa: E731
    _mail(box, ivo, ME, "Budget", "Hi Nora,\n\nCould you send me the budget sheet by Friday?\n\nIvo", "b1@work", d(4))
    _mail(
        box, ME, ivo, "Re: Budget", "Sure, I'll send you the budget sheet by Friday.\n", "b2@home", d(4, 10), "b1@work"
    )
    _mail(box, leo, ME, "Hike?", "Are you free for a hike on Sunday?\n\n> old quoted line?\n", "h1@home", d(6))
    _mail(box, leo, ME, "Photos", "Here are the photos from last week.\n", "p1@home", d(6, 11))
    _mail(box, ivo, ME, "Team lunch", "Who is coming to lunch on Monday?\n", "l1@work", d(7))
    _mail(box, ME, ivo, "Re: Team lunch", "Me!\n", "l2@home", d(7, 12), "l1@work")
    _mail(box, "Shop <newsletter@shop.example>", ME, "Spring sale", "Ready for spring? 20% off.\n", "n1@shop", d(6))
    _mail(box, leo, ME, "Books", "I'll send you the book list by 9 March.\n", "k1@home", d(2))
    box.flush()
    box.close()
    return root
