"""Outlook ``.msg`` files and Apple Mail ``.emlx`` files, read into the same email records as mbox and Maildir.

Both are turned into the RFC 5322 bytes of the message and given to :func:`knowme.connectors.email.parse_email`, so
refs (``mail:<Message-ID>``), threads (In-Reply-To, References), the split into new text, quote and signature,
owner detection and attachments (:mod:`knowme.connectors.attachments`) are exactly those of the other mail formats.

- ``msg`` (:class:`MsgConnector`): an Outlook message saved as a file (a Compound File of MAPI properties), read
  with ``extract-msg``. Headers come from the message's own transport headers when Outlook kept them, else from its
  MAPI properties (subject, sender, recipients, sent time, ``PR_INTERNET_MESSAGE_ID``, ``PR_IN_REPLY_TO_ID``); the
  body is the plain text, else the HTML; attachments stored by value go with it (embedded messages are listed as
  ``.msg`` files, not read). Calendar items, contacts and tasks saved as ``.msg`` are reported, not read.
- ``emlx`` (:class:`EmlxConnector`): Apple Mail's one-message files (``12345.emlx``, ``12345.partial.emlx``): a
  byte count, the message, then a property list of flags. The mailbox is the nearest folder named ``*.mbox``
  (``INBOX.mbox`` → ``INBOX``).

- Outlook's ``.pst``/``.ost`` archives are recognised by the ``msg`` connector (``!BDN``) and reported with how to
  read them (save the messages as ``.msg`` files, or convert with Debian's ``readpst``), not read: no archive to test
  a reader against could be made here (see docs/connectors.md).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from pathlib import Path
from typing import Any, ClassVar

from knowme.connectors.attachments import attachment_records, readable_attachments
from knowme.connectors.base import LIKELY, NO, SURE, Connector, Cursor, aware
from knowme.connectors.email import message_attachments, parse_email
from knowme.errors import ParseError
from knowme.models import ItemProblem, Record
from knowme.plugins import hookimpl

__all__ = ["EmlxConnector", "MsgConnector", "msg_to_rfc822"]

_CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_PST_MAGIC = b"!BDN"
PST_HINT = (
    "Outlook .pst/.ost archives are not read yet: in Outlook, drag the messages to a folder as .msg files, or "
    "convert it to mbox with readpst (Debian's pst-utils: readpst -r -o OUT FILE.pst), and ingest that"
)
_EMLX_COUNT = re.compile(rb"^\s*(\d{1,10})\s*\r?\n")
_HEADER_LINE = re.compile(rb"^[!-9;-~]+:")


def _head(path: Path, size: int = 512) -> bytes:
    try:
        with path.open("rb") as handle:
            return handle.read(size)
    except OSError:
        return b""


def message_items(
    raw: bytes,
    *,
    source: str,
    path: Path,
    problem: Callable[[str, str | BaseException], ItemProblem],
    folder: str | None = None,
) -> Iterator[Record | ItemProblem]:
    """The record of one RFC 5322 message and those of its readable attachments."""
    try:
        record = parse_email(raw, source=source, path=path, folder=folder)
    except ParseError as exc:
        yield problem("", str(exc))
        return
    except Exception as exc:
        yield problem("", exc)
        return
    yield record
    if readable_attachments(record):
        try:
            parts = message_attachments(raw)
        except Exception as exc:
            yield problem("", exc)
            return
        yield from attachment_records(parts, record, problem=lambda at, reason: problem(at, reason))


# --------------------------------------------------------------------------------------------------------------
# Outlook .msg


def _set(message: EmailMessage, name: str, value: Any) -> None:
    text = str(value or "").replace("\r", " ").replace("\n", " ").strip()
    if not text:
        return
    try:
        message[name] = text
    except (ValueError, TypeError, IndexError):  # a header value the email package cannot fold: leave it out
        return


def _header(headers: Any, name: str) -> str:
    try:
        value = headers.get(name) if headers is not None else None
    except Exception:
        return ""
    return str(value or "").strip()


def msg_to_rfc822(path: Path) -> bytes:
    """The RFC 5322 bytes of an Outlook ``.msg`` message; raises ParseError for other Outlook items or damage."""
    import extract_msg
    from extract_msg.enums import AttachmentType
    from extract_msg.exceptions import ExMsgBaseException

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            msg = extract_msg.openMsg(str(path), delayAttachments=False)
    except (ExMsgBaseException, OSError, ValueError, KeyError, IndexError) as exc:
        raise ParseError(f"not a readable Outlook .msg file ({type(exc).__name__}: {exc})") from exc
    try:
        if not hasattr(msg, "body") or not hasattr(msg, "to"):
            kind = type(msg).__name__.lower()
            raise ParseError(f"an Outlook {kind} item, not a message: not read")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return _compose(msg, AttachmentType).as_bytes()
    except ParseError:
        raise
    except Exception as exc:  # a damaged property stream inside an otherwise readable file
        raise ParseError(f"the Outlook message is damaged ({type(exc).__name__}: {exc})") from exc
    finally:
        msg.close()


def _recipients(msg: Any, kind: str) -> str:
    """The recipients of one type (TO, CC) as an address list (extract-msg joins them with "; ", a group's syntax)."""
    found = []
    for recipient in msg.recipients:
        if getattr(recipient.type, "name", "") == kind and (recipient.email or recipient.name):
            found.append(
                formataddr((recipient.name or "", recipient.email or "")) if recipient.email else recipient.name
            )
    return ", ".join(found)


def _compose(msg: Any, attachment_type: Any) -> EmailMessage:
    headers = msg.header
    out = EmailMessage()
    _set(out, "Subject", msg.subject)
    _set(out, "From", msg.sender or _header(headers, "From"))
    _set(out, "To", _recipients(msg, "TO") or _header(headers, "To"))
    _set(out, "Cc", _recipients(msg, "CC") or _header(headers, "Cc"))
    when = msg.date
    if when is not None:
        _set(out, "Date", format_datetime(aware(when)))  # type: ignore[arg-type]
    else:
        _set(out, "Date", _header(headers, "Date"))
    _set(out, "Message-ID", msg.messageId or _header(headers, "Message-ID"))
    _set(out, "In-Reply-To", msg.inReplyTo or _header(headers, "In-Reply-To"))
    _set(out, "References", _header(headers, "References"))
    body = msg.body or ""
    html = msg.htmlBody if not body.strip() else None
    if html:
        out.set_content(html.decode("utf-8", "replace") if isinstance(html, bytes) else str(html), subtype="html")
    else:
        out.set_content(body.replace("\r\n", "\n"))
    for attachment in msg.attachments:
        name = attachment.longFilename or attachment.shortFilename or attachment.name or None
        if attachment.type != attachment_type.DATA or not isinstance(attachment.data, bytes):
            out.add_attachment(b"", maintype="application", subtype="vnd.ms-outlook", filename=f"{name or 'item'}.msg")
            continue
        maintype, _, subtype = (attachment.mimetype or "application/octet-stream").partition("/")
        out.add_attachment(attachment.data, maintype=maintype, subtype=subtype or "octet-stream", filename=name)
    return out


class MsgConnector(Connector):
    """One Outlook message saved as a ``.msg`` file (and Outlook's ``.pst`` archives, recognised and explained)."""

    name: ClassVar[str] = "msg"
    kinds: ClassVar[tuple[str, ...]] = ("email",)
    suffixes: ClassVar[tuple[str, ...]] = (".msg",)

    @classmethod
    def sniff(cls, path: Path) -> int:
        if not path.is_file():
            return NO
        named = path.name.lower().endswith(".msg")
        if _head(path, 4) == _PST_MAGIC or path.name.lower().endswith((".pst", ".ost")):
            return SURE
        if _head(path, 8) == _CFB_MAGIC:
            return SURE if named else LIKELY if _is_outlook_item(path) else NO
        return LIKELY if named and path.stat().st_size == 0 else NO  # an empty .msg is claimed, to be reported

    def estimate(self) -> int | None:
        return 1

    def iter_records(self, cursor: Cursor | None = None) -> Iterator[Record | ItemProblem]:
        if self.path.stat().st_size == 0:
            yield self.problem("", "the file is empty")
            return
        if _head(self.path, 4) == _PST_MAGIC or self.path.name.lower().endswith((".pst", ".ost")):
            yield self.problem("", PST_HINT)
            return
        try:
            raw = msg_to_rfc822(self.path)
        except ParseError as exc:
            yield self.problem("", str(exc))
            return
        yield from message_items(raw, source=self.source, path=self.path, problem=self._problem)

    def _problem(self, where: str, reason: str | BaseException) -> ItemProblem:
        return self.problem(where, reason)


def _is_outlook_item(path: Path) -> bool:
    """A Compound File with the property stream of an Outlook item (a .msg saved without its suffix)."""
    import olefile

    try:
        with olefile.OleFileIO(str(path)) as ole:
            return bool(ole.exists("__properties_version1.0") and ole.exists("__substg1.0_001A001F"))
    except Exception:
        return False


# --------------------------------------------------------------------------------------------------------------
# Apple Mail .emlx


def _mailbox_name(path: Path) -> str | None:
    for parent in path.parents:
        if parent.name.lower().endswith(".mbox"):
            return parent.name[: -len(".mbox")]
    return None


class EmlxConnector(Connector):
    """One Apple Mail message file (``.emlx``, ``.partial.emlx``)."""

    name: ClassVar[str] = "emlx"
    kinds: ClassVar[tuple[str, ...]] = ("email",)
    suffixes: ClassVar[tuple[str, ...]] = (".emlx",)

    @classmethod
    def sniff(cls, path: Path) -> int:
        if not path.is_file():
            return NO
        head = _head(path)
        match = _EMLX_COUNT.match(head)
        if match and _HEADER_LINE.match(head[match.end() :]):
            return SURE
        return LIKELY if path.name.lower().endswith(".emlx") else NO

    def estimate(self) -> int | None:
        return 1

    def iter_records(self, cursor: Cursor | None = None) -> Iterator[Record | ItemProblem]:
        try:
            data = self.path.read_bytes()
        except OSError as exc:
            yield self.problem("", f"cannot read the file: {exc.strerror or exc}")
            return
        match = _EMLX_COUNT.match(data)
        if not match:
            yield self.problem("", "not an Apple Mail .emlx file (it does not start with the message's byte count)")
            return
        count = int(match.group(1))
        raw = data[match.end() : match.end() + count]
        if len(raw) < count:
            yield self.problem("", f"truncated: {len(raw):,} of the {count:,} bytes the file announces (read as is)")
        yield from message_items(
            raw, source=self.source, path=self.path, problem=self._problem, folder=_mailbox_name(self.path)
        )

    def _problem(self, where: str, reason: str | BaseException) -> ItemProblem:
        return self.problem(where, reason)


@hookimpl
def register_connectors() -> list[type[Connector]]:
    return [MsgConnector, EmlxConnector]
