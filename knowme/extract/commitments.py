"""Commitments: promises the user made ("I'll send you the draft by Friday") or was asked for ("can you review it
before the 12th?"), and those made to the user, with who, what, the due date resolved against the message date, and
status. ``direction`` says who owes whom:

- made: the user promised (sent mail, their chat lines, notes: "I promised Tom I'd ..."); the counterparty is the
  person addressed (the first recipient, the other chat speaker, or the name in the note).
- asked: someone asked the user ("can you review it before the 12th?"); the user owes the author.
- received: someone promised the user ("I'll send you the slides"); the author owes the user.
- requested: the user asked someone; that person owes the user.
- done: a later message by whoever owes it, in the same thread or to the same person, that shows delivery
  ("here is", "attached", "I've sent", "done") and shares a word with what was promised; or any delivery in the
  same thread. Delivery cues are remembered across ingest batches, so order of ingest does not matter.

Edge cases: quoted text (``>`` lines) is not read; questions about the past ("did you send...?") are not requests;
a promise without a date has no due date (never an invented one).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from knowme.extract.claims import CommitmentClaim, ExtractContext, sentences
from knowme.models import Record
from knowme.models.graph import USER_ID
from knowme.text.dates import DATE_PATTERN, find_date

VERBS = (
    "send|share|review|read|check|look at|look into|call|ring|email|write|draft|finish|prepare|book|pay|bring|fix|"
    "update|forward|sign|submit|confirm|organise|organize|order|buy|get back to|get you|return|deliver|set up|"
    "schedule|print|upload|post|follow up|sort out|handle|cover|pick up|drop off|test|reply|answer|put together"
)
_MADE = re.compile(
    rf"\b(?:I'll|I’ll|I will|I'm going to|I’m going to|I can|let me|I promise to|I promised to|I'll make sure to|"
    rf"I shall|I'll try to|will)\s+(?:definitely\s+|also\s+|quickly\s+|happily\s+)?(?P<verb>{VERBS})\b(?P<rest>[^.!?\n]*)",  # noqa: E501
    re.IGNORECASE,
)
_PROMISED_NOTE = re.compile(
    rf"\b(?:I\s+)?promised\s+(?P<who>[A-Z][\w\-]+(?:\s+[A-Z][\w\-]+)?)\s+(?:I'd|I’d|I would|to|that I'd|that I would)\s+"  # noqa: E501
    rf"(?P<verb>{VERBS})\b(?P<rest>[^.!?\n]*)"
)
_RECEIVED = re.compile(
    rf"\b(?:can you|could you|would you|will you|can you please|could you please|would you mind|please|"
    rf"I need you to|I'd like you to|don't forget to|remember to)\s+(?:also\s+|quickly\s+|kindly\s+)?"
    rf"(?P<verb>{VERBS})(?:ing)?\b(?P<rest>[^.!?\n]*)",
    re.IGNORECASE,
)
DELIVERY = re.compile(
    r"\b(?:here(?:'s| is| are|’s)|attached|attaching|please find|I've sent|I’ve sent|I have sent|just sent|sent you|"
    r"sent it|sent them|sent the|done\b|all done|finished|as promised|I've shared|I’ve shared|shared the|booked|"
    r"I've reviewed|I’ve reviewed|reviewed it|paid)",
    re.IGNORECASE,
)
_STOP = frozenset(
    [
        "the",
        "a",
        "an",
        "to",
        "you",
        "your",
        "my",
        "me",
        "it",
        "them",
        "this",
        "that",
        "of",
        "for",
        "on",
        "in",
        "by",
        "before",
        "and",
        "or",
        "with",
        "some",
        "any",
        "i",
        "we",
        "us",
        "our",
    ]  # noqa: E501
)


@dataclass(frozen=True)
class Delivery:
    record_id: str
    author: str
    recipients: tuple[str, ...]
    thread: str
    day: str
    words: frozenset[str]


def _what(verb: str, rest: str) -> str:
    rest = re.split(rf"\s+(?:by|before|until|no later than|on|at)\s+(?:{DATE_PATTERN})\b", rest, flags=re.IGNORECASE)[0]
    rest = re.split(r"\s+(?:so that|so|because|if|when|once|as soon as|and then)\s+", rest)[0]
    text = f"{verb} {rest}".strip(" ,;:-")
    return " ".join(text.split())[:160]


def words(text: str) -> frozenset[str]:
    return frozenset(w for w in re.findall(r"[a-z0-9]{3,}", text.lower()) if w not in _STOP)


def thread_of(record: Record) -> str:
    meta = record.meta
    return str(meta.get("thread_id") or meta.get("conversation") or meta.get("conversation_id") or record.id)


def _due(rest: str, record: Record) -> str | None:
    if record.timestamp is None:
        return None
    m = re.search(rf"\b(?:by|before|until|no later than|on|for|this|next)?\s*({DATE_PATTERN})", rest, re.IGNORECASE)
    if not m:
        return None
    found, _ = find_date(m.group(0), record.timestamp.date(), future=True)
    return found.isoformat() if found else None


def find_commitments(record: Record, ctx: ExtractContext) -> list[CommitmentClaim]:
    if record.kind not in ("email", "chat_message", "note") or ctx.author_id is None:
        return []
    found: list[CommitmentClaim] = []
    mine = ctx.author_id == USER_ID
    others = [r for r in ctx.recipients if r != USER_ID]
    for sentence in sentences(record.text):
        if mine:
            m = _PROMISED_NOTE.search(sentence)
            if m:
                who = ctx.entity(m.group("who"), "person")
                found.append(CommitmentClaim("made", who, _what(m.group("verb"), m.group("rest")),
                                             _due(m.group("rest"), record), sentence))  # fmt: skip
                continue
            if record.kind == "note":
                continue  # a note's "I'll ..." is a plan, not a promise to someone
            m = _MADE.search(sentence)
            if m and not sentence.rstrip().endswith("?") and others:
                found.append(CommitmentClaim("made", others[0], _what(m.group("verb"), m.group("rest")),
                                             _due(m.group("rest"), record), sentence))  # fmt: skip
            m = _RECEIVED.search(sentence)
            if m and others and not re.match(r"^(?:did|have|has)\b", sentence, re.IGNORECASE):
                found.append(CommitmentClaim("requested", others[0], _what(m.group("verb"), m.group("rest")),
                                             _due(m.group("rest"), record), sentence))  # fmt: skip
        elif USER_ID in ctx.recipients and record.kind != "note":
            m = _RECEIVED.search(sentence)
            if m and not re.match(r"^(?:did|have|has)\b", sentence, re.IGNORECASE):
                found.append(CommitmentClaim("asked", ctx.author_id, _what(m.group("verb"), m.group("rest")),
                                             _due(m.group("rest"), record), sentence))  # fmt: skip
                continue
            m = _MADE.search(sentence)
            if m and not sentence.rstrip().endswith("?"):
                found.append(CommitmentClaim("received", ctx.author_id, _what(m.group("verb"), m.group("rest")),
                                             _due(m.group("rest"), record), sentence))  # fmt: skip
    return found


def delivery(record: Record, ctx: ExtractContext) -> Delivery | None:
    """A message that delivers something (for closing commitments), or None."""
    if ctx.author_id is None or record.timestamp is None or record.kind not in ("email", "chat_message"):
        return None
    text = record.text
    has_attachment = bool(record.meta.get("attachments"))
    if not (DELIVERY.search(text) or has_attachment):
        return None
    extra = " ".join(str(a.get("filename") or "") for a in record.meta.get("attachments") or ())
    return Delivery(
        record_id=record.id,
        author=ctx.author_id,
        recipients=tuple(ctx.recipients),
        thread=thread_of(record),
        day=record.timestamp.isoformat(),
        words=words(f"{record.title} {text} {extra}"),
    )
