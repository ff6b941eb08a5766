"""Write N synthetic but realistic emails to one mbox, fast enough for benchmarks (10,000 in about 2 s).

Senders come from a pool of people with accented and non-Latin names (RFC 2047 encoded), subjects and
bodies from topic templates; about a third of the messages are replies in threads (``Re:`` subject,
In-Reply-To, References and a quoted copy of the parent), about a fifth have an HTML alternative, some
are HTML-only newsletters, and a few carry a small CSV attachment. Dates spread over one year.

Speed: the modern ``EmailMessage`` API re-parses every header through ``email.headerregistry`` and costs
about 2 ms a message, so this writer builds ``email.message.Message`` trees with the ``compat32`` policy,
sets MIME headers directly (``email.mime``'s constructors re-parse the Content-Type parameters several
times a part), pre-encodes display names and subjects once per distinct value with ``email.header`` and
``email.utils.formataddr``, and skips re-folding header values that are already short ASCII. Boundaries
are derived from the Message-ID (the generator would otherwise draw random ones). ``mailbox.mbox`` still
writes the file, with an explicit From_ line per message so nothing depends on the clock.
"""

from __future__ import annotations

import base64
import email.charset
import html as htmllib
import mailbox
import random
from datetime import UTC, datetime, timedelta
from email._policybase import Compat32
from email.header import Header
from email.message import Message
from email.utils import format_datetime, formataddr
from functools import lru_cache
from pathlib import Path

from knowme.demo.formats import ascii_fold, mbox_from_line

FIRST = (
    "Ana",
    "João",
    "Maria",
    "Pedro",
    "Inês",
    "Tiago",
    "Sofia",
    "Rui",
    "Marta",
    "Nuno",
    "José",
    "Chloé",
    "Björn",
    "Zoë",
    "Priya",
    "Kenji",
    "Olga",
    "Ahmed",
    "Lena",
    "Tom",
    "Émile",
    "Søren",
    "Łukasz",
    "Aoife",
    "Mateo",
    "Núria",
    "Yuki",
    "Fatima",
    "Grace",
    "Daniel",
)
LAST = (
    "Silva",
    "Santos",
    "Ferreira",
    "Pereira",
    "Núñez",
    "Müller",
    "Lindqvist",
    "Okafor",
    "Costa",
    "Martin",
    "Rodrigues",
    "Dubois",
    "Kowalski",
    "Nakamura",
    "Ribeiro",
    "Gonçalves",
    "O'Brien",
    "Øster",
    "Raman",
    "Becker",
)
DOMAINS = ("example.com", "example.org", "mail.example", "acme.example", "uni.example", "studio.example")
TOPICS = (
    "the Q3 roadmap",
    "the ledger migration",
    "Friday's release",
    "the hiring loop",
    "the offsite agenda",
    "the budget review",
    "the customer escalation",
    "the new dashboard",
    "the on-call rota",
    "the API docs",
    "the data retention policy",
    "the security audit",
    "the design review",
    "the vendor contract",
    "the team dinner",
    "the conference talk",
    "the quarterly report",
    "the office move",
    "the pricing page",
    "the incident postmortem",
    "a reunião de equipa",
    "la propuesta de diseño",
    "die Projektplanung",
)
OPENERS = (
    "Quick question about {t}.",
    "Following up on {t}.",
    "Can we move {t} to next week?",
    "Notes from today's call on {t}.",
    "I had a look at {t} and have a few thoughts.",
    "Reminder: {t} is due on Thursday.",
    "Thanks for the update on {t}!",
    "FYI: {t} changed again.",
)
SENTENCES = (
    "Let me know what you think.",
    "I've attached the numbers from last month.",
    "The main risk is the timeline, not the scope.",
    "Could you review it before Wednesday?",
    "We agreed to revisit this after the release.",
    "I'm out on Monday, so Tuesday works better.",
    "The client asked for a short summary, one page at most.",
    "Happy to jump on a call if easier.",
    "Numbers look good: latency is down 30% since the fix.",
    "Please keep this internal for now.",
    "We still need sign-off from finance.",
    "The draft is in the shared folder.",
    "Obrigado pela ajuda!",
    "¡Gracias por todo!",
    "Nothing urgent, whenever you have a minute.",
    "I think we should split this into two tickets.",
    "The vendor replied with a new quote.",
)
REPLIES = (
    "Sounds good to me.",
    "Agreed, let's do that.",
    "Thanks! I'll take a look tomorrow.",
    "Can you add the numbers for Q2 as well?",
    "I disagree slightly: the risk is the migration, not the UI.",
    "Done, see the updated doc.",
    "Works for me, Tuesday it is.",
    "Let's discuss at the standup.",
)
NEWSLETTERS = (
    ("The Weekly Byte", "news@weeklybyte.example"),
    ("Porto Tech Weekly", "hello@portotech.example"),
    ("Design Digest", "digest@designdigest.example"),
    ("Trilho Outdoor", "news@trilhooutdoor.example"),
)

UTF8_HEADER = email.charset.Charset("utf-8")
UTF8_HEADER.header_encoding = email.charset.BASE64  # skip SHORTEST's per-character length computation


class _Policy(Compat32):
    """compat32, minus re-folding of header values that are already short ASCII (we encode them ourselves)."""

    def _fold(self, name: str, value: object, sanitize: bool) -> str:
        if isinstance(value, str) and value.isascii() and len(name) + len(value) + 2 <= 78:
            return f"{name}: {value}{self.linesep}"
        return super()._fold(name, value, sanitize)  # type: ignore[misc]  # private in typeshed


POLICY = _Policy()


@lru_cache(maxsize=4096)
def _addr(name: str, address: str) -> str:
    return formataddr((name, address), charset="utf-8")


@lru_cache(maxsize=8192)
def _subject(text: str) -> str:
    return text if text.isascii() else Header(text, UTF8_HEADER).encode()


def _leaf(subtype: str, body: str, filename: str | None = None) -> Message:
    """A text part: 7bit when ASCII with short lines, else UTF-8 in base64 (headers set directly, no re-parsing)."""
    part = Message(policy=POLICY)
    plain = body.isascii() and max(map(len, body.splitlines() or [""])) < 900
    part["Content-Type"] = f'text/{subtype}; charset="{"us-ascii" if plain else "utf-8"}"'
    part["MIME-Version"] = "1.0"
    part["Content-Transfer-Encoding"] = "7bit" if plain else "base64"
    if filename:
        part["Content-Disposition"] = f'attachment; filename="{filename}"'
    part.set_payload(body if plain else base64.encodebytes(body.encode("utf-8")).decode("ascii"))
    return part


def _multipart(subtype: str, boundary: str, *parts: Message) -> Message:
    msg = Message(policy=POLICY)
    msg["Content-Type"] = f'multipart/{subtype}; boundary="{boundary}"'
    msg["MIME-Version"] = "1.0"
    for part in parts:
        msg.attach(part)
    return msg


def _html_of(body: str) -> str:
    paragraphs = "".join(f"<p>{htmllib.escape(p)}</p>" for p in body.split("\n\n"))
    return f'<html><body style="font-family:sans-serif">{paragraphs}</body></html>'


class _Writer:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(f"knowme-bulk-mail:{seed}")
        rng = self.rng
        names = [f"{rng.choice(FIRST)} {rng.choice(LAST)}" for _ in range(80)]
        self.people = [(name, f"{self._local(name)}{n}@{rng.choice(DOMAINS)}") for n, name in enumerate(names)]
        self.me = ("Sofia Almeida", "sofia.almeida@mailbox.example")
        self.start = datetime(2025, 1, 2, 8, 0, tzinfo=UTC)
        self.seed = seed

    @staticmethod
    def _local(name: str) -> str:
        return "".join(c for c in ascii_fold(name).lower().replace(" ", ".") if c.isalnum() or c == ".")

    def body(self, topic: str) -> str:
        rng = self.rng
        lines = [rng.choice(OPENERS).format(t=topic)]
        lines += rng.sample(SENTENCES, rng.randrange(2, 5))
        return "Hi,\n\n" + " ".join(lines) + "\n\nBest,\n"

    def message(self, n: int, when: datetime, parent: dict[str, str] | None) -> tuple[Message, dict[str, str]]:
        rng = self.rng
        kind = rng.random()
        sender = self.me if rng.random() < 0.15 else rng.choice(self.people)
        to = rng.choice(self.people) if sender is self.me else self.me
        msg_id = f"{when:%Y%m%d%H%M%S}.{n:06d}.{self.seed}@bulk.example"
        extra: dict[str, str] = {}
        if parent is not None:
            topic = parent["topic"]
            subject = parent["subject"] if parent["subject"].startswith("Re: ") else f"Re: {parent['subject']}"
            quoted = "\n".join(f"> {line}" if line else ">" for line in parent["body"].splitlines())
            body = (
                f"{rng.choice(REPLIES)}\n\n{sender[0].split()[0]}\n\nOn {parent['date']}, {parent['from']} "
                f"wrote:\n{quoted}\n"
            )
            extra["In-Reply-To"] = f"<{parent['id']}>"
            extra["References"] = f"{parent['refs']} <{parent['id']}>".strip()
            refs = extra["References"]
        else:
            topic = rng.choice(TOPICS)
            subject = rng.choice(
                ("About {t}", "Re: {t}", "{t}: next steps", "Update on {t}", "[Action] {t}", "Question about {t}")
            ).format(t=topic)
            subject = subject[0].upper() + subject[1:]
            body = self.body(topic) + sender[0].split()[0] + "\n"
            refs = ""
        if parent is None and kind < 0.06:  # an HTML-only newsletter
            sender = rng.choice(NEWSLETTERS)
            to = self.me
            subject = f"{sender[0]}: {topic}"
            msg = _leaf("html", _html_of(body))
            extra["List-Id"] = f"<list.{sender[1].split('@')[1]}>"
        elif kind < 0.25:  # text and HTML alternatives
            msg = _multipart("alternative", f"=-=alt.{msg_id}=-=", _leaf("plain", body), _leaf("html", _html_of(body)))
        else:
            msg = _leaf("plain", body)
        if parent is None and 0.25 <= kind < 0.28:  # a small CSV attachment
            sheet = _leaf("csv", "month,value\njan,12\nfeb,15\nmar,11\n", filename=f"numbers-{n}.csv")
            msg = _multipart("mixed", f"=-=mixed.{msg_id}=-=", msg, sheet)
        msg["From"] = _addr(*sender)
        msg["To"] = _addr(*to)
        msg["Subject"] = _subject(subject)
        msg["Date"] = format_datetime(when)
        msg["Message-ID"] = f"<{msg_id}>"
        for name, value in extra.items():
            msg[name] = value
        msg.set_unixfrom(mbox_from_line(sender[1], when))
        info = {
            "id": msg_id,
            "subject": subject,
            "topic": topic,
            "body": body,
            "refs": refs,
            "from": f"{sender[0]} <{sender[1]}>",
            "date": format_datetime(when),
        }
        return msg, info


def write_mbox(path: Path, n_messages: int, *, seed: int = 1) -> None:
    """Write exactly ``n_messages`` synthetic emails to a new mbox at ``path`` (replacing any file there)."""
    if n_messages < 0:
        raise ValueError("n_messages must be >= 0")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    writer = _Writer(seed)
    rng = writer.rng
    span = timedelta(days=364).total_seconds()
    step = span / max(n_messages, 1)
    recent: list[dict[str, str]] = []
    box = mailbox.mbox(path, create=True)
    try:
        for n in range(n_messages):
            when = writer.start + timedelta(seconds=int(n * step + rng.random() * step * 0.9))
            parent = rng.choice(recent) if recent and rng.random() < 0.35 else None
            msg, info = writer.message(n, when, parent)
            box.add(msg)
            recent.append(info)
            if len(recent) > 40:
                recent.pop(0)
        box.flush()
    finally:
        box.close()
