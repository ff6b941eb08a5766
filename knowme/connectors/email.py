"""Email connectors: mbox files, Maildir folders and single ``.eml`` files, parsed by one shared function.

What is read:

- ``mbox`` (:class:`MboxConnector`): ``.mbox``/``.mbx`` files and suffix-less files whose first line is an mbox
  ``From `` line (Thunderbird's ``Inbox``, Apple Mail's ``mbox``). Split by :mod:`mailbox`; every message is parsed
  on its own, so one broken message becomes an :class:`~knowme.models.ItemProblem` and the rest go on.
  ``>From `` escapes (mboxo/mboxrd) are undone.
- ``maildir`` (:class:`MaildirConnector`): a folder with ``cur/``, ``new/`` (and ``tmp/``, which is skipped: it
  holds mail still being delivered), plus Maildir++ subfolders (``.Sent``, ``.Archive.2023`` → ``Archive/2023``).
- ``eml`` (:class:`EmlConnector`): one RFC 5322 message per file, with or without a leading ``From `` line.

Edge cases handled by :func:`parse_email`:

- Headers: RFC 2047 encoded words and raw 8-bit bytes are decoded; a header the strict parser chokes on (it
  raises ``IndexError``/``AttributeError`` on some malformed addresses and ids) falls back to its raw text.
- Ids: ``native_id`` is the Message-ID without ``<>``; without one it is ``knowme-<hash of from, date, subject,
  decoded body>`` (never the file path, so the same message keeps its id wherever it is stored). A Message-ID
  seen twice in one source (the same mail in INBOX and Sent) is yielded once, from its first place.
- Time: ``Date``, else the newest ``Received`` hop, else the mbox ``From `` line, else ``None``; naive → local.
- Body: text/plain preferred; HTML (alone, or beside an empty plain part) becomes clean text; unknown or lying
  charsets decode with replacement; ``format=flowed`` is unwrapped. The body is split into the new text, the
  quoted reply (``>`` lines, "On … wrote:" blocks, Outlook "Original Message" and From/Sent header blocks) and the
  signature (``-- `` delimiter, "Sent from my …" footers, a closing "Thanks,/Best," block); only the new text
  is the record's text, the other two are kept in ``meta``.
- Attachments (including forwarded ``message/rfc822`` parts) are listed by name, type and size, not read.
"""

from __future__ import annotations

import codecs
import email
import email.policy
import mailbox
import os
import re
from collections.abc import Iterable, Iterator
from datetime import datetime
from email.header import decode_header, make_header
from email.message import EmailMessage, Message
from email.utils import getaddresses, parsedate_to_datetime
from pathlib import Path
from typing import Any, ClassVar

from knowme.connectors._html import html_to_text
from knowme.connectors.attachments import attachment_records, readable_attachments
from knowme.connectors.base import LIKELY, MAYBE, NO, SURE, Connector, Cursor, aware
from knowme.errors import IngestError, ParseError
from knowme.models import REF_PREFIX, ItemProblem, Record, Section, stable_hash
from knowme.plugins import hookimpl

__all__ = ["EmlConnector", "MaildirConnector", "MboxConnector", "message_attachments", "parse_email", "split_body"]

ADDRESS_HEADERS = ("From", "To", "Cc", "Bcc", "Reply-To")
#: Headers at least one of which any real message carries; a chunk with none of them is not an email.
_KNOWN_HEADERS = frozenset(
    h.lower()
    for h in (
        *ADDRESS_HEADERS,
        "Sender",
        "Subject",
        "Date",
        "Message-ID",
        "Received",
        "Return-Path",
        "MIME-Version",
        "Content-Type",
        "In-Reply-To",
        "References",
        "Delivered-To",
    )
)
_MBOX_FROM_LINE = re.compile(rb"^From \S+ .*\d\d:\d\d")
_HEADER_LINE = re.compile(rb"^[!-9;-~]+:")
_MBOX_SCAN_LIMIT = 256 * 1024 * 1024  # estimate() counts messages only in mboxes smaller than this


# --------------------------------------------------------------------------------------------------------------
# Text helpers


def _clean(text: str) -> str:
    """Valid Unicode text: raw bytes smuggled as surrogates are decoded, NULs dropped."""
    if any("\udc80" <= ch <= "\udcff" for ch in text):
        text = _decode_bytes(text.encode("utf-8", "surrogateescape"))
    return text.replace("\x00", "")


def _decode_bytes(data: bytes, charset: str | None = None) -> str:
    """Decode ``data`` with its declared charset, else UTF-8, else Windows-1252; never fails."""
    if charset:
        try:
            if codecs.lookup(charset).name != "ascii":  # "us-ascii" is often a lie told about UTF-8 text
                return data.decode(charset, errors="replace")
        except LookupError:  # unknown charset, or a bytes-to-bytes codec like "base64"
            pass
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _unfold(value: str) -> str:
    return re.sub(r"\r?\n(?=[ \t])", "", value).strip()


def _tidy(lines: Iterable[str]) -> str:
    """Join lines, dropping trailing blanks and runs of empty lines."""
    text = "\n".join(line.rstrip() for line in lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


# --------------------------------------------------------------------------------------------------------------
# Headers


def _raw_values(msg: Message, name: str) -> list[str]:
    """A header's values exactly as stored (unfolded), without the strict parser."""
    wanted = name.lower()
    return [_clean(_unfold(str(value))) for key, value in msg.raw_items() if key.lower() == wanted]


def _decode_words(raw: str) -> str:
    """RFC 2047 encoded words decoded by hand, for headers the strict parser rejected."""
    try:
        return _clean(str(make_header(decode_header(raw))))
    except Exception:  # unknown charset in an encoded word, broken base64 ...
        return raw


def _header_texts(msg: Message, name: str) -> list[str]:
    try:
        return [_clean(_unfold(str(value))) for value in msg.get_all(name, [])]
    except Exception:  # policy.default raises on some malformed headers: use the raw text instead
        return [_decode_words(raw) for raw in _raw_values(msg, name)]


def _header_text(msg: Message, name: str) -> str:
    values = _header_texts(msg, name)
    return values[0] if values else ""


def _format_address(name: str, addr: str) -> str:
    name, addr = _clean(name).strip().strip('"').strip(), _clean(addr).strip()
    return f"{name} <{addr}>" if name and name != addr else addr


def _addresses(msg: Message, name: str) -> list[str]:
    """Every address of a header as ``Name <addr>`` (or ``addr``), decoded."""
    found: list[str] = []
    try:
        for value in msg.get_all(name, []):
            for address in getattr(value, "addresses", ()):
                if address.username:
                    found.append(_format_address(address.display_name, address.addr_spec))
    except Exception:  # malformed address list: fall back to the lenient parser on the raw text
        found = []
        for value in (_decode_words(raw) for raw in _raw_values(msg, name)):
            parsed = [_format_address(display, addr) for display, addr in getaddresses([value]) if addr]
            found.extend(parsed or ([value.strip()] if value.strip() else []))  # unparseable: keep the raw text
    return found


def _address_key(formatted: str) -> str:
    match = re.search(r"<([^<>]*)>\s*$", formatted)
    return (match.group(1) if match else formatted).strip().lower()


def _unique(addresses: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for address in addresses:
        key = _address_key(address)
        if key and key not in seen:
            seen.add(key)
            out.append(address)
    return out


def _message_ids(value: str) -> list[str]:
    """Ids of a Message-ID / In-Reply-To / References value, without angle brackets."""
    ids = re.findall(r"<([^<>\s]+)>", value)
    if not ids and "<" not in value and value.split():
        ids = [value.split()[0]]  # a bare id without brackets
    return ids


def _parse_date(value: str) -> datetime | None:
    try:
        return aware(parsedate_to_datetime(value.strip()))
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _from_line_date(from_line: str) -> datetime | None:
    """The delivery date of an mbox ``From sender Mon Jan  1 10:00:00 2024`` line (asctime, maybe a zone)."""
    tokens = from_line.split()
    for count, fmt in ((5, "%a %b %d %H:%M:%S %Y"), (6, "%a %b %d %H:%M:%S %Y %z")):
        try:
            return aware(datetime.strptime(" ".join(tokens[-count:]), fmt))
        except ValueError:
            continue
    return None


def _timestamp(msg: Message, from_line: str | None) -> datetime | None:
    for raw in _raw_values(msg, "Date"):
        if parsed := _parse_date(raw):
            return parsed
    for received in _raw_values(msg, "Received"):  # the first Received is the newest hop: delivery to us
        if ";" in received and (parsed := _parse_date(received.rsplit(";", 1)[1])):
            return parsed
    return _from_line_date(from_line) if from_line else None


# --------------------------------------------------------------------------------------------------------------
# Body


def _unflow(text: str, *, delsp: bool) -> str:
    """Undo RFC 3676 ``format=flowed`` soft line breaks (a line ending in a space continues the next)."""
    out: list[str] = []
    soft, previous_depth = False, -1
    for line in text.split("\n"):
        depth = len(line) - len(line.lstrip(">"))
        body = line[depth:]
        body = body[1:] if body.startswith(" ") else body  # space-stuffing
        if soft and depth == previous_depth:
            out[-1] += body
        else:
            out.append(">" * depth + (" " if depth and body else "") + body)
        soft = body.endswith(" ") and body != "-- "  # the signature delimiter is never a soft break
        if soft and delsp:
            out[-1] = out[-1][:-1]
        previous_depth = depth
    return "\n".join(out)


def _part_text(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        payload = str(part.get_payload()).encode("utf-8", "surrogateescape")
    text = _clean(_decode_bytes(payload, part.get_content_charset()))
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\xa0", " ")
    if part.get_content_subtype() == "plain" and str(part.get_param("format", "")).lower() == "flowed":
        text = _unflow(text, delsp=str(part.get_param("delsp", "")).lower() == "yes")
    return text


def _find_body(msg: Message, subtype: str) -> Message | None:
    if not isinstance(msg, EmailMessage):
        return None
    try:
        return msg.get_body(preferencelist=(subtype,))
    except Exception:  # a malformed MIME tree: treat as having no such body
        return None


def _body(msg: Message) -> tuple[str, str, list[Message]]:
    """The readable body text, its decoded source and the parts it came from (those are not attachments).

    The source (plain text, or the HTML before rendering) is what a derived id hashes, so such ids do not
    change when the HTML rendering improves.
    """
    used: list[Message] = []
    text = source = ""
    plain = _find_body(msg, "plain")
    if plain is not None:
        used.append(plain)
        text = source = _part_text(plain)
    html = _find_body(msg, "html")
    if html is not None:
        used.append(html)
        if not text.strip():
            source = _part_text(html)
            text = html_to_text(source)
    if not used and not msg.is_multipart() and msg.get_content_maintype() == "text":
        used.append(msg)  # text/enriched, text/markdown ... : better raw than nothing
        text = source = _part_text(msg)
    return text.strip("\n"), source, used


def _part_size(part: Message) -> int:
    try:
        if part.get_content_type() == "message/rfc822":
            inner = part.get_payload(0)
            return len(inner.as_bytes()) if isinstance(inner, Message) else 0
        payload = part.get_payload(decode=True)
        return len(payload) if isinstance(payload, bytes) else 0
    except Exception:
        return 0


def _filename(part: Message) -> str | None:
    name: str | None
    try:
        name = part.get_filename()
    except Exception:  # a broken RFC 2231 parameter: take the plain one if there is one
        raw = part.get_param("filename", header="content-disposition") or part.get_param("name")
        name = raw if isinstance(raw, str) else None
    if not name and part.get_content_type() == "message/rfc822":
        inner = part.get_payload(0) if part.is_multipart() else None
        subject = _header_text(inner, "Subject") if isinstance(inner, Message) else ""
        name = f"{subject or 'message'}.eml"
    return _clean(name).strip() if name else None


def _attachments(msg: Message, body_parts: list[Message]) -> list[dict[str, Any]]:
    return [entry for entry, _ in _attachment_parts(msg, body_parts)]


def message_attachments(raw: bytes) -> list[tuple[dict[str, Any], Message]]:
    """The attachments of a message as listed in its record's ``meta["attachments"]``, each with its MIME part."""
    msg = _read_message(_split_from_line(raw)[1])
    return _attachment_parts(msg, _body(msg)[2])


def _attachment_parts(msg: Message, body_parts: list[Message]) -> list[tuple[dict[str, Any], Message]]:
    found: list[tuple[dict[str, Any], Message]] = []

    def visit(part: Message) -> None:
        content_type = part.get_content_type()
        if part.get_content_maintype() == "multipart":
            for sub in part.get_payload() if isinstance(part.get_payload(), list) else ():
                if isinstance(sub, Message):
                    visit(sub)
            return
        if any(part is used for used in body_parts):
            return
        filename = _filename(part)
        if part.get_content_disposition() == "attachment" or filename or content_type == "message/rfc822":
            found.append(({"filename": filename, "content_type": content_type, "size": _part_size(part)}, part))

    visit(msg)
    return found


# --------------------------------------------------------------------------------------------------------------
# Splitting a body into new text, quoted reply and signature

_QUOTED = re.compile(r"^\s{0,3}>")
_ATTRIBUTION = re.compile(
    r"^\s*(?:.{0,400}?\s)?(?:wrote|writes|a écrit|schrieb|escribió|ha scritto|schreef|escreveu|skrev|napisał)\s*:\s*$",
    re.IGNORECASE,
)
_ATTRIBUTION_START = re.compile(r"^\s*(?:On|Le|Am|El|Il|Op|Em|Den|W dniu)\s", re.IGNORECASE)
_ORIGINAL_MESSAGE = re.compile(
    r"^\s*-{2,}\s*(?:Original Message|Ursprüngliche Nachricht|Message d'origine|Mensaje original|"
    r"Messaggio originale|Oorspronkelijk bericht|Mensagem original)\s*-{2,}\s*$",
    re.IGNORECASE,
)
_OUTLOOK_FROM = re.compile(r"^\s*\**(?:From|Von|De|Van)\s*:\**\s+\S", re.IGNORECASE)
_OUTLOOK_SENT = re.compile(r"^\s*\**(?:Sent|Date|Gesendet|Envoyé|Enviado|Verzonden)\s*:\**\s", re.IGNORECASE)
_OUTLOOK_TO = re.compile(r"^\s*\**(?:To|Subject|An|Betreff|À|Objet|Para|Asunto|Aan|Onderwerp)\s*:\**\s", re.I)
_OUTLOOK_RULE = re.compile(r"^\s*_{10,}\s*$")
_FORWARD = re.compile(
    r"^\s*(?:-{2,}\s*Forwarded message\s*-{2,}|Begin forwarded message:|-{2,}\s*Weitergeleitete Nachricht\s*-{2,})",
    re.IGNORECASE,
)
_MOBILE_FOOTER = re.compile(
    r"^\s*(?:Sent from my \S.*|Sent from (?:Mail|Outlook) for \S.*|Get Outlook for \S.*|Sent from Yahoo Mail.*|"
    r"Sent via \S.*|Envoyé de mon \S.*|Von meinem \S.* gesendet)\s*$",
    re.IGNORECASE,
)
_SIGN_OFF = re.compile(
    r"^\s*(?:best|best regards|best wishes|kind regards|warm regards|warmest regards|regards|many thanks|"
    r"thanks|thanks again|thanks so much|thanks a lot|thank you|cheers|sincerely|yours sincerely|yours truly|"
    r"yours|all the best|take care|love|talk soon|speak soon|ciao|cordialement|bien à vous|bises|viele grüße|"
    r"liebe grüße|beste grüße|mit freundlichen grüßen|gruß|grüße|saludos|un saludo|un abrazo|abraços|"
    r"cumprimentos|groeten|met vriendelijke groet)\s*[,.!]*\s*$",
    re.IGNORECASE,
)


def _attribution_span(lines: list[str], i: int) -> int:
    """How many lines (1-3) an "On <date>, X wrote:" attribution starting at ``i`` spans, or 0."""
    for span in (1, 2, 3):
        chunk = lines[i : i + span]
        if len(chunk) < span or any(_QUOTED.match(line) or not line.strip() for line in chunk):
            return 0
        if (span == 1 or _ATTRIBUTION_START.match(chunk[0])) and _ATTRIBUTION.match(" ".join(chunk)):
            return span
    return 0


def _outlook_header_at(lines: list[str], i: int) -> bool:
    """Whether an Outlook-style ``From: / Sent: / To: / Subject:`` block of a quoted message starts at ``i``."""
    if not _OUTLOOK_FROM.match(lines[i]):
        return False
    following = [line for line in lines[i + 1 : i + 6] if line.strip()][:4]
    return any(_OUTLOOK_SENT.match(line) for line in following) and any(_OUTLOOK_TO.match(line) for line in following)


def _next_nonblank(lines: list[str], start: int) -> str | None:
    return next((line for line in lines[start:] if line.strip()), None)


def _quote_cut(lines: list[str]) -> tuple[int, set[int]]:
    """Where an unprefixed quoted message starts (or ``len(lines)``), and the attribution lines before ``>``."""
    attribution: set[int] = set()
    i = 0
    while i < len(lines):
        line = lines[i]
        if _QUOTED.match(line):
            i += 1
            continue
        if _FORWARD.match(line):  # a forwarded message is content, not a reply quote
            break
        if _ORIGINAL_MESSAGE.match(line) or _outlook_header_at(lines, i):
            cut = i
            while cut > 0 and (not lines[cut - 1].strip() or _OUTLOOK_RULE.match(lines[cut - 1])):
                cut -= 1
            return cut, attribution
        span = _attribution_span(lines, i)
        if span:
            following = _next_nonblank(lines, i + span)
            if following is not None and _QUOTED.match(following):
                attribution.update(range(i, i + span))
                i += span
                continue
            joined = " ".join(lines[i : i + span])
            if _ATTRIBUTION_START.match(joined) and re.search(r"\d", joined):
                return i, attribution  # "On 2 May 2024, Bob wrote:" above an unprefixed quote
        i += 1
    return len(lines), attribution


def _split_signature(lines: list[str]) -> tuple[list[str], list[str]]:
    """Split the new-text lines into (text, signature)."""
    signature: list[str] = []
    for idx in range(len(lines) - 1, -1, -1):  # the "-- " delimiter (often stripped to "--")
        if lines[idx].rstrip() == "--":
            lines, signature = lines[:idx], lines[idx + 1 :]
            break
    nonblank = [idx for idx, line in enumerate(lines) if line.strip()]
    for idx in nonblank[-3:]:  # "Sent from my iPhone" and friends, near the end
        if _MOBILE_FOOTER.match(lines[idx]):
            lines, signature = lines[:idx], lines[idx:] + signature
            break
    nonblank = [idx for idx, line in enumerate(lines) if line.strip()]
    for pos in range(len(nonblank) - 1, max(len(nonblank) - 7, 0), -1):  # "Thanks,\nAlice" closing block
        idx = nonblank[pos]
        if not _SIGN_OFF.match(lines[idx]):
            continue
        tail = [lines[j].strip() for j in nonblank[pos + 1 :]]
        if len(tail) <= 5 and all(_signature_like(line) for line in tail):
            lines, signature = lines[:idx], lines[idx:] + signature
        break
    return lines, signature


def _signature_like(line: str) -> bool:
    """A short line of a closing block (name, title, phone), not a sentence or a P.S."""
    return len(line) <= 60 and len(line.split()) <= 8 and not re.match(r"(?i)p\.?\s?s\b", line)


def split_body(text: str) -> tuple[str, str, str]:
    """Split a plain-text email body into ``(new text, quoted reply, signature)``; nothing is dropped."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    cut, attribution = _quote_cut(lines)
    new_lines: list[str] = []
    quoted: list[str] = []
    for idx, line in enumerate(lines[:cut]):
        (quoted if idx in attribution or _QUOTED.match(line) else new_lines).append(line)
    quoted.extend(lines[cut:])
    new_lines, signature = _split_signature(new_lines)
    return _tidy(new_lines), _tidy(quoted), _tidy(signature)


# --------------------------------------------------------------------------------------------------------------
# One message → one Record


def _read_message(raw: bytes) -> EmailMessage:
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    if not isinstance(msg, EmailMessage) or not any(key.lower() in _KNOWN_HEADERS for key, _ in msg.raw_items()):
        raise ParseError("no email headers found (From, To, Subject, Date, Message-ID ...): not an RFC 5322 message")
    return msg


def parse_email(
    raw: bytes,
    *,
    source: str,
    path: Path,
    folder: str | None = None,
    from_line: str | None = None,
) -> Record:
    """Turn the bytes of one RFC 5322 message into a :class:`Record`; raises when it is not an email at all."""
    msg = _read_message(raw)
    subject = _header_text(msg, "Subject")
    people = {name: _addresses(msg, name) for name in ADDRESS_HEADERS}
    body, body_source, body_parts = _body(msg)
    text, quoted, signature = split_body(body)
    attachments = _attachments(msg, body_parts)

    message_ids = [mid for raw_id in _raw_values(msg, "Message-ID") for mid in _message_ids(raw_id)]
    date_header = next(iter(_raw_values(msg, "Date")), None)
    if message_ids:
        native_id = message_ids[0]
    else:
        from_text = ", ".join(people["From"]) or _header_text(msg, "From")
        native_id = "knowme-" + stable_hash(from_text, date_header or "", subject, body_source)
    in_reply_to = next((mid for raw_id in _raw_values(msg, "In-Reply-To") for mid in _message_ids(raw_id)), None)
    references = [mid for raw_id in _raw_values(msg, "References") for mid in _message_ids(raw_id)]
    labels = [
        label.strip().strip('"').strip()
        for value in _header_texts(msg, "X-Gmail-Labels")
        for label in value.split(",")
        if label.strip().strip('"').strip()
    ]
    senders = people["From"] or _addresses(msg, "Sender")

    meta: dict[str, Any] = {
        "from": people["From"],
        "to": people["To"],
        "cc": people["Cc"],
        "subject": subject,
        "message_id": message_ids[0] if message_ids else None,
        "in_reply_to": in_reply_to,
        "references": references,
        "thread_id": references[0] if references else in_reply_to or native_id,
        "attachments": attachments,
        "labels": labels,
        "path": str(path),
        "date_header": date_header,
        "quoted": quoted,
        "signature": signature,
    }
    if folder is not None:
        meta["folder"] = folder

    sections = [Section("message", text)] if text else []
    if attachments:
        names = ", ".join(a["filename"] or f"(unnamed {a['content_type']})" for a in attachments)
        sections.append(Section("attachments", f"Attachments: {names}"))

    return Record(
        source=source,
        kind="email",
        native_id=native_id,
        ref=f"{REF_PREFIX['email']}:{native_id}",
        text=text,
        title=subject,
        timestamp=_timestamp(msg, from_line),
        author=senders[0] if senders else None,
        participants=tuple(_unique(address for name in ADDRESS_HEADERS for address in people[name])),
        sections=tuple(sections),
        meta=meta,
        follows=f"{REF_PREFIX['email']}:{in_reply_to}" if in_reply_to else None,
    )


# --------------------------------------------------------------------------------------------------------------
# Connectors


def _peek(path: Path, size: int = 4096) -> bytes:
    try:
        with path.open("rb") as handle:
            return handle.read(size)
    except OSError:
        return b""


def _split_from_line(raw: bytes) -> tuple[str | None, bytes]:
    """Split a leading mbox ``From `` line off a message's bytes."""
    stripped = raw.lstrip(b"\r\n")
    if not stripped.startswith(b"From "):
        return None, raw
    first, _, rest = stripped.partition(b"\n")
    return _clean(first.rstrip(b"\r").decode("utf-8", "surrogateescape")[5:]), rest


class _EmailConnector(Connector):
    """What the three email connectors share: parsing one message into a record or a problem."""

    kinds: ClassVar[tuple[str, ...]] = ("email",)

    def _parse(
        self, raw: bytes, *, where: str, path: Path, folder: str | None = None, mbox: bool = False
    ) -> Record | ItemProblem:
        try:
            from_line, raw = _split_from_line(raw)
            if mbox:
                raw = re.sub(rb"(?m)^>(>*From )", rb"\1", raw)  # undo the mbox ">From " escaping
            return parse_email(raw, source=self.source, path=path, folder=folder, from_line=from_line)
        except ParseError as exc:
            return self.problem(where, str(exc))
        except Exception as exc:  # one unreadable message never stops the others
            return self.problem(where, exc)

    def _items(
        self, raw: bytes, *, where: str, path: Path, folder: str | None = None, mbox: bool = False
    ) -> Iterator[Record | ItemProblem]:
        """The message's record, then the records of its readable attachments (PDF, Word, text, calendar)."""
        item = self._parse(raw, where=where, path=path, folder=folder, mbox=mbox)
        yield item
        if isinstance(item, Record) and readable_attachments(item):
            try:
                parts = message_attachments(raw)
            except Exception as exc:
                yield self.problem(where, exc)
                return
            yield from attachment_records(
                parts, item, problem=lambda at, reason: self.problem(f"{where} {at}".strip(), reason)
            )

    @staticmethod
    def _once(items: Iterable[Record | ItemProblem]) -> Iterator[Record | ItemProblem]:
        """Drop repeats of a message already yielded from this source (same native id)."""
        seen: set[str] = set()
        for item in items:
            if isinstance(item, Record):
                if item.native_id in seen:
                    continue
                seen.add(item.native_id)
            yield item


class MboxConnector(_EmailConnector):
    """An mbox file: many messages, each starting with a ``From `` line."""

    name: ClassVar[str] = "mbox"
    suffixes: ClassVar[tuple[str, ...]] = (".mbox", ".mbx")

    @classmethod
    def sniff(cls, path: Path) -> int:
        if not path.is_file():
            return NO
        head = _peek(path).lstrip(b"\r\n").split(b"\n", 2)
        from_line = bool(_MBOX_FROM_LINE.match(head[0]))
        header_next = from_line and len(head) > 1 and bool(_HEADER_LINE.match(head[1]))
        lower = path.name.lower()
        if lower.endswith(".eml"):
            return MAYBE if from_line else NO  # an .eml saved with its envelope line: the eml connector reads it
        if header_next:
            return SURE
        if lower.endswith(cls.suffixes):
            return LIKELY
        return MAYBE if from_line else NO

    def estimate(self) -> int | None:
        try:
            if self.path.stat().st_size > _MBOX_SCAN_LIMIT:
                return None
            box = mailbox.mbox(self.path, create=False)
            try:
                return len(box)
            finally:
                box.close()
        except (OSError, mailbox.Error):
            return None

    def iter_records(self, cursor: Cursor | None = None) -> Iterator[Record | ItemProblem]:
        return self._once(self._messages())

    def _messages(self) -> Iterator[Record | ItemProblem]:
        try:
            box = mailbox.mbox(self.path, create=False)
            keys = box.keys()
        except (OSError, mailbox.Error) as exc:
            raise IngestError(f"cannot read mbox {self.path}: {exc}") from exc
        try:
            for number, key in enumerate(keys, start=1):
                where = f"message {number}"
                try:
                    raw = box.get_bytes(key, from_=True)
                except Exception as exc:
                    yield self.problem(where, exc)
                    continue
                yield from self._items(raw, where=where, path=self.path, mbox=True)
        finally:
            box.close()


def maildir_folder_name(root: Path, folder: Path) -> str:
    return "INBOX" if folder == root else folder.name.lstrip(".").replace(".", "/")


class MaildirConnector(_EmailConnector):
    """A Maildir (``cur/``, ``new/``, ``tmp/``) and its Maildir++ subfolders (``.Sent``, ``.Archive`` ...)."""

    name: ClassVar[str] = "maildir"
    reads_directories: ClassVar[bool] = True

    @classmethod
    def sniff(cls, path: Path) -> int:
        if not path.is_dir():
            return NO
        present = {name for name in ("cur", "new", "tmp") if (path / name).is_dir()}
        if len(present) == 3:
            return SURE
        return LIKELY if {"cur", "new"} <= present else NO

    def _folders(self) -> list[Path]:
        subfolders = sorted(
            child
            for child in self.path.iterdir()
            if child.name.startswith(".") and child.name not in (".", "..") and (child / "cur").is_dir()
        )
        return [self.path, *subfolders]

    def _files(self) -> Iterator[tuple[Path, Path]]:
        for folder in self._folders():
            for sub in ("new", "cur"):
                directory = folder / sub
                try:
                    names = sorted(os.listdir(directory))
                except OSError:
                    continue
                for name in names:
                    if not name.startswith(".") and (directory / name).is_file():
                        yield folder, directory / name

    def estimate(self) -> int | None:
        try:
            return sum(1 for _ in self._files())
        except OSError:
            return None

    def iter_records(self, cursor: Cursor | None = None) -> Iterator[Record | ItemProblem]:
        if not self.path.is_dir():
            raise IngestError(f"{self.path} is not a Maildir folder")
        return self._once(self._messages())

    def _messages(self) -> Iterator[Record | ItemProblem]:
        try:
            files = list(self._files())
        except OSError as exc:
            raise IngestError(f"cannot list Maildir {self.path}: {exc}") from exc
        for folder, file in files:
            where = file.relative_to(self.path).as_posix()
            try:
                raw = file.read_bytes()
            except OSError as exc:
                yield self.problem(where, exc)
                continue
            yield from self._items(raw, where=where, path=file, folder=maildir_folder_name(self.path, folder))


class EmlConnector(_EmailConnector):
    """One message saved as an ``.eml`` file."""

    name: ClassVar[str] = "eml"
    suffixes: ClassVar[tuple[str, ...]] = (".eml",)

    def estimate(self) -> int | None:
        return 1

    def iter_records(self, cursor: Cursor | None = None) -> Iterator[Record | ItemProblem]:
        try:
            raw = self.path.read_bytes()
        except OSError as exc:
            raise IngestError(f"cannot read {self.path}: {exc}") from exc
        yield from self._items(raw, where="", path=self.path)


@hookimpl
def register_connectors() -> list[type[Connector]]:
    return [MboxConnector, MaildirConnector, EmlConnector]
