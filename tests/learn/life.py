"""A small life for the learning tests: an mbox of mail the user (Nora) wrote and received, and her vCard."""

from __future__ import annotations

import mailbox
from datetime import datetime, timedelta, timezone
from pathlib import Path

from tests.graph.life import _mail

TZ = timezone(timedelta(hours=1))
ME = "Nora Vidal <nora@home.example>"
PEOPLE = ("Ivo Marques <ivo@work.example>", "Leo Brandt <leo@home.example>", "Ana Costa <ana@work.example>")
VCF = "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:nora\r\nFN:Nora Vidal\r\nEMAIL:nora@home.example\r\nEND:VCARD\r\n"

TOPICS = (
    ("Budget review", "the budget review", "Thursday"),
    ("Garden plans", "the garden plans", "Saturday"),
    ("Quarterly report", "the quarterly report", "Friday"),
    ("Train tickets", "the train tickets", "Monday"),
    ("Book club", "the book club list", "Wednesday"),
    ("Team offsite", "the offsite agenda", "Tuesday"),
    ("Dentist", "the dentist appointment", "Friday"),
    ("Hiring plan", "the hiring plan", "Monday"),
    ("Photos", "the holiday photos", "Sunday"),
    ("Invoice", "the March invoice", "Thursday"),
    ("Bike repair", "the bike repair", "Saturday"),
    ("Lunch", "our lunch", "Wednesday"),
)


def sent_body(subject: str, thing: str, day: str, name: str) -> str:
    return (
        f"Hi {name},\n\nThanks for asking about {thing}. I had a proper look this morning and I think we are in good "
        f"shape. I'll send you my notes on {day} and we can talk it through over coffee if that suits you.\n\n"
        f"On Monday, {name} wrote:\n> Could you look at {thing}?\n> Thanks\n\nCheers,\nNora\n\n-- \nNora Vidal\n"
    )


def write_life(root: Path, *, extra: int = 0) -> Path:
    """The mbox (and vCard) in ``root``; returns ``root``. ``extra`` adds more sent mails."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "me.vcf").write_text(VCF, encoding="utf-8")
    box = mailbox.mbox(root / "mail.mbox")
    when = datetime(2024, 3, 1, 9, 0, tzinfo=TZ)
    for n, (subject, thing, day) in enumerate(TOPICS * (1 + extra)):
        other = PEOPLE[n % len(PEOPLE)]
        name = other.split()[0]
        asked = f"ask{n}@test"
        _mail(box, other, ME, subject, f"Hi Nora,\n\nCould you look at {thing}?\n\n{name}", asked, when)
        body = sent_body(subject, thing, day, name)
        _mail(box, ME, other, f"Re: {subject}", body, f"sent{n}@test", when + timedelta(hours=1), reply_to=asked)
        when += timedelta(days=1)
    box.flush()
    box.close()
    return root
