"""Mail attachments: the text of a message's PDF, Word, OpenDocument, EPUB, HTML, text and calendar attachments.

Each readable attachment becomes a ``document`` record beside its message, with ``ref``
``mail:<Message-ID>#att/<filename>`` (an unnamed one is ``attachment-<n>.<ext>``, ``n`` counting the message's
attachments from 1; a name used twice in one message gets ``~2``, ``~3``...). It has the message's source, time,
author and participants, so it is searched, cited, forgotten (:func:`attachment_refs` tells ``forget`` which refs
belong to a message) and exported with it; ``meta["attachment_of"]`` is the message's ref. Calendar attachments
(``.ics`` invitations) are read by the calendar connector and their events described in the text.

Bounds: at most :data:`MAX_ATTACHMENTS` readable attachments per message and :data:`MAX_ATTACHMENT_BYTES` per
attachment (a larger one is a problem in the report, the message is kept); at most :data:`MAX_ATTACHMENT_CHARS`
characters of text each. Archives (``.zip`` and friends), images and forwarded messages are listed on the message,
not read; OCR is not run on attachments.
"""

from __future__ import annotations

import shutil
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from email.message import Message
from pathlib import Path
from typing import Any

from knowme.connectors.calendar import CalendarConnector
from knowme.connectors.doctext import extract_document, format_for_name, sniff_format
from knowme.connectors.documents import document_record
from knowme.errors import ParseError
from knowme.models import ItemProblem, Record

__all__ = [
    "MAX_ATTACHMENTS",
    "MAX_ATTACHMENT_BYTES",
    "attachment_names",
    "attachment_records",
    "attachment_refs",
    "readable_attachments",
]

MAX_ATTACHMENTS = 20
MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024
MAX_ATTACHMENT_CHARS = 1_000_000

_TYPES = {
    "application/pdf": "pdf",
    "application/x-pdf": "pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.oasis.opendocument.text": "odt",
    "application/epub+zip": "epub",
    "text/plain": "text",
    "text/html": "html",
    "text/calendar": "calendar",
    "application/ics": "calendar",
}
_EXTENSIONS = {"pdf": ".pdf", "docx": ".docx", "odt": ".odt", "epub": ".epub", "text": ".txt", "html": ".html",
               "calendar": ".ics"}  # fmt: skip


def _format(entry: Mapping[str, Any]) -> str | None:
    name = str(entry.get("filename") or "")
    if name.lower().endswith((".ics", ".ical", ".vcs")):
        return "calendar"
    return format_for_name(name) or _TYPES.get(str(entry.get("content_type") or "").lower())


def attachment_names(entries: Sequence[Mapping[str, Any]]) -> list[str]:
    """The name each of a message's attachments has in refs (``meta["attachments"]`` order)."""
    names: list[str] = []
    seen: Counter[str] = Counter()
    for number, entry in enumerate(entries, start=1):
        fmt = _format(entry)
        name = str(entry.get("filename") or "").strip() or f"attachment-{number}{_EXTENSIONS.get(fmt or '', '')}"
        seen[name] += 1
        names.append(name if seen[name] == 1 else f"{name}~{seen[name]}")
    return names


def _readable(entries: Sequence[Mapping[str, Any]]) -> list[tuple[int, str]]:
    """(index, ref name) of the attachments that are read, at most :data:`MAX_ATTACHMENTS`."""
    names = attachment_names(entries)
    found = [(i, names[i]) for i, entry in enumerate(entries) if _format(entry) is not None]
    return found[:MAX_ATTACHMENTS]


def readable_attachments(message: Record) -> bool:
    """Whether ``message`` has an attachment whose text is read."""
    entries = message.meta.get("attachments") or []
    return bool(entries) and bool(_readable(entries))


def attachment_refs(message: Record) -> list[str]:
    """The refs of the attachment records a message's ingest makes (what forgetting the message also forgets)."""
    return [f"{message.ref}#att/{name}" for _, name in _readable(message.meta.get("attachments") or [])]


def attachment_records(
    parts: Sequence[tuple[Mapping[str, Any], Message]],
    message: Record,
    *,
    problem: Callable[[str, str], ItemProblem],
) -> Iterator[Record | ItemProblem]:
    """The records of ``message``'s readable attachments (``parts`` as from ``email.message_attachments``)."""
    entries = [entry for entry, _ in parts]
    for index, name in _readable(entries):
        entry, part = parts[index]
        where = f"attachment {name}"
        try:
            data = part.get_payload(decode=True)
        except Exception as exc:
            yield problem(where, f"cannot be decoded ({type(exc).__name__})")
            continue
        if not isinstance(data, bytes) or not data:
            yield problem(where, "is empty")
            continue
        if len(data) > MAX_ATTACHMENT_BYTES:
            yield problem(where, f"is {len(data):,} bytes, over the {MAX_ATTACHMENT_BYTES:,}-byte limit: not read")
            continue
        try:
            yield _record(data, entry, name, message)
        except ParseError as exc:
            yield problem(where, str(exc))
        except Exception as exc:  # a reader's bug on one attachment never loses the message or the others
            yield problem(where, f"{type(exc).__name__}: {exc}")


def _record(data: bytes, entry: Mapping[str, Any], name: str, message: Record) -> Record:
    declared = _format(entry)
    if declared == "calendar":
        text, title = _calendar_text(data)
        sections: tuple[Any, ...] = ()
        doc_meta: dict[str, Any] = {"format": "calendar"}
    else:
        fmt = sniff_format(data[:4096], name if declared != "text" else name + ".txt")
        if fmt is None and declared in ("text", "html"):
            fmt = declared
        if fmt is None:
            raise ParseError(f"is not the {declared} file its name or type says")
        doc = extract_document(data, fmt, max_chars=MAX_ATTACHMENT_CHARS)
        base = document_record(doc, source=message.source, native_id="-", ref="-", name=name, fallback_time=None)
        text, title, sections = base.text, base.title, base.sections
        doc_meta = {k: v for k, v in base.meta.items() if k not in ("filename", "date_source")}
    subject = str(message.meta.get("subject") or message.title or "")
    meta: dict[str, Any] = {
        **doc_meta,
        "attachment_of": message.ref,
        "filename": name,
        "content_type": entry.get("content_type"),
        "size": len(data),
        "subject": subject,
        "thread_id": message.meta.get("thread_id"),
        "path": message.meta.get("path"),
    }
    return Record(
        source=message.source,
        kind="document",
        native_id=f"{message.native_id}#att/{name}",
        ref=f"{message.ref}#att/{name}",
        text=text,
        title=title if title and title != name.rsplit(".", 1)[0] else name,
        timestamp=message.timestamp,
        author=message.author,
        participants=message.participants,
        sections=sections,
        meta=meta,
    )


def _calendar_text(data: bytes) -> tuple[str, str]:
    """The events of an iCalendar attachment described in words (by the calendar connector), and a title."""
    folder = Path(tempfile.mkdtemp(prefix="knowme-ics-"))
    try:
        path = folder / "invite.ics"
        path.write_bytes(data)
        events = [item for item in CalendarConnector(path).iter_records() if isinstance(item, Record)]
    except Exception as exc:
        raise ParseError(f"is not a readable calendar ({type(exc).__name__}: {exc})") from exc
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if not events:
        raise ParseError("holds no readable calendar event")
    first = list({e.ref: e for e in reversed(events)}.values())[::-1]  # a series' first occurrence stands for it
    text = "\n\n".join((e.text or e.title).strip() for e in first[:50])
    return text, first[0].title
