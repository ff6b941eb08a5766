"""Split a record into retrievable chunks.

Chunks never cross a section (a note heading, an email's new text); inside a section, paragraphs are packed up to
``max_words`` and an overlong paragraph is split at sentence ends (then at words). Each chunk's ``index_text`` adds
a one-line header (who, what) so that both indexes can match names and subjects that the body never repeats.
"""

from __future__ import annotations

import re

from knowme.models import Chunk, Record

MAX_WORDS = 160
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(\[])")
_PARAGRAPH = re.compile(r"\n\s*\n")


def _split_long(paragraph: str, max_words: int) -> list[str]:
    words = paragraph.split()
    if len(words) <= max_words:
        return [paragraph]
    pieces: list[str] = []
    current: list[str] = []
    for sentence in _SENTENCE_END.split(paragraph):
        s_words = sentence.split()
        if len(s_words) > max_words:  # one enormous "sentence": cut at words
            if current:
                pieces.append(" ".join(current))
                current = []
            pieces.extend(" ".join(s_words[i : i + max_words]) for i in range(0, len(s_words), max_words))
            continue
        if len(current) + len(s_words) > max_words and current:
            pieces.append(" ".join(current))
            current = []
        current.extend(s_words)
    if current:
        pieces.append(" ".join(current))
    return pieces


def split_text(text: str, max_words: int = MAX_WORDS) -> list[str]:
    """Pack paragraphs of ``text`` into pieces of at most ``max_words`` words."""
    pieces: list[str] = []
    current: list[str] = []
    count = 0
    for para in _PARAGRAPH.split(text):
        para = para.strip()
        if not para:
            continue
        for part in _split_long(para, max_words):
            n = len(part.split())
            if current and count + n > max_words:
                pieces.append("\n\n".join(current))
                current, count = [], 0
            current.append(part)
            count += n
    if current:
        pieces.append("\n\n".join(current))
    return pieces


def header(record: Record, anchor: str) -> str:
    """The one-line context every chunk of ``record`` is indexed with."""
    who = record.author or ""
    if record.kind == "chat_message":
        return f"{who}:" if who else ""
    parts = [record.title]
    if anchor and anchor != record.title:
        parts.append(anchor)
    if record.kind == "email" and who:
        parts.append(f"from {who}")
    return " | ".join(p for p in parts if p)


def chunk_record(record: Record, max_words: int = MAX_WORDS) -> list[Chunk]:
    """The chunks of ``record``; a record with no text still gets one chunk carrying its title."""
    sections = record.sections or ()
    spans: list[tuple[str, str]] = []
    if sections:
        for section in sections:
            spans.extend((section.anchor, piece) for piece in split_text(section.text, max_words))
    else:
        spans.extend(("", piece) for piece in split_text(record.text, max_words))
    if not spans:
        spans = [("", record.title or record.ref)]
    chunks = []
    for ordinal, (anchor, text) in enumerate(spans):
        head = header(record, anchor)
        chunks.append(
            Chunk(
                record_id=record.id,
                ordinal=ordinal,
                anchor=anchor,
                text=text,
                index_text=f"{head} {text}" if head else text,
            )
        )
    return chunks
