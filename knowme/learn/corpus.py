"""The training set of the voice model: text the user wrote themselves, one item per record.

Sources: the user's sent mail and chat lines (found by :func:`knowme.persona.style.sent_messages`, which knows the
user's addresses and names from the graph) and their notes. Mail is cleaned once more here: quoted lines (``> ...``),
an ``On <date>, <someone> wrote:`` block and everything after it, a forwarded message, and a signature after ``-- ``
are removed (the mail connector already splits most of these off; this catches what an odd client left inline).

Each item carries the record's ``content_hash``: that is what the SISA manifest records and what the store
tombstones when the record is forgotten, so the manifest can prove no adapter in use saw forgotten text.

Edge cases: items left empty by cleaning are dropped; ``exclude_refs`` keeps held-out mail out of training (the
benchmark's held-back mail); records are ordered by content hash so the same vault gives the same training set.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from knowme.models import assistant_unconfirmed
from knowme.persona.style import sent_messages
from knowme.store.base import Store

DEFAULT_KINDS: tuple[str, ...] = ("email", "chat_message", "note")
_ON_WROTE = re.compile(r"^\s*(?:On\s.{0,200}?wrote:|Em\s.{0,200}?escreveu:|Le\s.{0,200}?a écrit\s?:)\s*$", re.M | re.S)
_FORWARD = re.compile(r"^-{2,}\s*(?:Original Message|Forwarded message)\s*-{2,}", re.I | re.M)
_SIG = re.compile(r"^--\s*$", re.M)


@dataclass(frozen=True)
class TrainingText:
    """One record's worth of the user's own text."""

    record_id: str
    content_hash: str
    ref: str
    kind: str
    text: str

    @property
    def words(self) -> int:
        return len(self.text.split())


def clean_mail(text: str) -> str:
    """The user's own words of a mail body: no quoted lines, no ``On ... wrote:`` block, no forward, no signature."""
    for pattern in (_ON_WROTE, _FORWARD, _SIG):
        match = pattern.search(text)
        if match:
            text = text[: match.start()]
    lines = [line for line in text.splitlines() if not line.lstrip().startswith(">")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def training_texts(
    store: Store, *, kinds: Sequence[str] = DEFAULT_KINDS, exclude_refs: Collection[str] = ()
) -> list[TrainingText]:
    """The user's own writing in this vault, one :class:`TrainingText` per record, ordered by content hash."""

    wanted = set(kinds)
    own: dict[str, str] = {}
    if wanted & {"email", "chat_message"}:
        for message in sent_messages(store):
            if message.kind in wanted:
                own[message.ref] = clean_mail(message.text) if message.kind == "email" else message.text.strip()
    found: list[tuple[str, str, str, str]] = []
    for kind in kinds:
        for record in store.iter_records(kind=kind):
            if record.ref in exclude_refs or assistant_unconfirmed(record):  # an assistant's words are not yours
                continue
            text = own.get(record.ref) if kind != "note" else record.text.strip()
            if text:
                found.append((record.id, record.ref, kind, text))
    hashes = store.content_hashes([f[0] for f in found])  # the stored hashes: the ones forgetting tombstones
    out = [TrainingText(rid, hashes[rid], ref, kind, text) for rid, ref, kind, text in found if rid in hashes]
    out.sort(key=lambda t: t.content_hash)
    return out


def word_count(texts: Sequence[TrainingText]) -> int:
    return sum(t.words for t in texts)
