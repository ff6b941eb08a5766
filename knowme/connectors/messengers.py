"""Messenger exports: WhatsApp's "Export chat" text file and Telegram Desktop's ``result.json``.

:class:`WhatsAppConnector` reads ``WhatsApp Chat with NAME.txt`` (Android) or ``_chat.txt`` (iOS), in any locale:

- a message starts with a date and time: ``31/12/2021, 21:41 - Name: text`` (Android),
  ``[31/12/2021, 21:41:05] Name: text`` (iOS), ``31.12.21, 21:41 - ...`` (German), ``12/31/21, 9:41 PM - ...``
  (US, with a plain, no-break or narrow no-break space before AM/PM), ``2021-12-31 21:41 - ...``; a leading
  left-to-right mark is ignored. Day-first or month-first is decided per file: a first number over 12 means
  day-first, a second over 12 month-first; when no date settles it, a 12-hour clock means month-first (the US
  convention) and a 24-hour clock day-first.
- lines that do not start with a date continue the previous message (multi-line messages);
- lines without ``Name:`` are system notices (encryption, "X added Y") and are skipped;
- media placeholders (``<Media omitted>``, ``<Medien ausgelassen>``, ``image omitted``, ``FILE (file attached)``)
  become ``[media omitted]`` / ``[attached: FILE]`` with ``meta["media"]``.

Records are ``chat:whatsapp:<hash>`` (conversation, time, author, text and the occurrence number, so the same
export re-ingested is a no-op), each following the previous message of the chat. Times are local (the export
has no zone).

:class:`TelegramConnector` reads ``result.json`` from Telegram Desktop: one chat (``{"name", "id", "messages"}``)
or a full export (``{"chats": {"list": [...]}}``). Service messages are skipped; formatted text (a list of
strings and ``{"type", "text"}`` parts) is joined; photos and files become ``[photo]`` / ``[file: NAME]``.
Refs are ``chat:telegram:<chat id>/<message id>``; a reply follows the message it answers, other messages the
previous one. A file that is not JSON raises :class:`~knowme.errors.IngestError`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

from knowme.connectors.base import LIKELY, NO, SURE, Connector, Cursor, aware
from knowme.errors import IngestError
from knowme.models import ItemProblem, Record, stable_hash
from knowme.plugins import hookimpl

_LINE = re.compile(
    r"^\u200e?\[?(?P<date>\d{1,4}[./-]\d{1,2}[./-]\d{1,4}),?\s+"
    r"(?P<time>\d{1,2}[:.]\d{2}(?:[:.]\d{2})?)(?:[\s\u202f\u00a0]*(?P<ampm>[AaPp])\.?\s?[Mm]\.?)?\]?"
    r"\s*(?:-\s+|:\s+)?(?P<rest>.*)$"
)
_AUTHOR = re.compile(r"^(?P<author>[^:\n]{1,80}?):\s(?P<text>.*)$", re.S)
_MEDIA = re.compile(
    r"^\u200e?(?:<(?:Media omitted|Medien ausgelassen|Multimédia omis|Archivo omitido|Mídia oculta)>|"
    r"(?:image|video|audio|sticker|GIF|document) omitted)$",
    re.I,
)
_ATTACHED = re.compile(r"^\u200e?(?:<attached: (?P<a>[^>]+)>|(?P<b>\S.*?) \((?:file attached|Datei angehängt)\))$")
_TITLE = re.compile(r"^WhatsApp[ -](?:Chat|Unterhaltung)(?:[ -](?:with|mit|avec|con|com)[ -]| - )(?P<name>.+)$", re.I)


@dataclass
class _Message:
    line: int
    date: str
    time: str
    ampm: str | None
    author: str
    parts: list[str] = field(default_factory=list)


def _split_date(text: str) -> list[int]:
    return [int(p) for p in re.split(r"[./-]", text)]


class WhatsAppConnector(Connector):
    """A WhatsApp chat export (``.txt``)."""

    name: ClassVar[str] = "whatsapp"
    kinds: ClassVar[tuple[str, ...]] = ("chat_message",)

    @classmethod
    def sniff(cls, path: Path) -> int:
        if path.is_dir() or not path.name.lower().endswith(".txt"):
            return NO
        try:
            with path.open(encoding="utf-8-sig", errors="replace") as handle:
                head = [handle.readline() for _ in range(8)]
        except OSError:
            return NO
        dated = sum(1 for line in head if _LINE.match(line.strip()) and ": " in line)
        if dated and (_TITLE.match(path.stem) or path.name == "_chat.txt"):
            return SURE
        return LIKELY if dated >= 2 else NO

    @property
    def conversation(self) -> str:
        # Android names the file after the chat; iOS writes _chat.txt inside "WhatsApp Chat - NAME(.zip)"
        match = _TITLE.match(self.path.stem) or _TITLE.match(self.path.parent.name)
        return match.group("name") if match else "WhatsApp chat"

    def iter_records(self, cursor: Cursor | None = None) -> Iterator[Record | ItemProblem]:
        try:
            text = self.path.read_text(encoding="utf-8-sig", errors="replace")
        except OSError as exc:
            raise IngestError(f"cannot read {self.path}: {exc.strerror or exc}") from exc
        messages = list(self._messages(text))
        if not messages:
            raise IngestError(f"{self.path} holds no WhatsApp messages (no 'date, time - name: text' lines)")
        day_first = self._day_first(messages)
        speakers = sorted({m.author for m in messages})
        previous: str | None = None
        seen: dict[str, int] = {}
        for message in messages:
            try:
                when = self._when(message, day_first)
            except ValueError as exc:
                yield self.problem(f"line {message.line}", f"unreadable date {message.date} {message.time}: {exc}")
                continue
            body, meta = self._body("\n".join(message.parts).strip())
            key = stable_hash(self.conversation, when.isoformat(), message.author, body, length=16)
            seen[key] = seen.get(key, 0) + 1
            native_id = key if seen[key] == 1 else f"{key}-{seen[key]}"
            ref = f"chat:whatsapp:{native_id}"
            yield Record(
                source=self.source,
                kind="chat_message",
                native_id=native_id,
                ref=ref,
                text=body,
                title=self.conversation,
                timestamp=when,
                author=message.author,
                participants=tuple(speakers),
                meta={"conversation": self.conversation, "line": message.line, "app": "whatsapp", **meta},
                follows=previous,
            )
            previous = ref

    @staticmethod
    def _messages(text: str) -> Iterator[_Message]:
        current: _Message | None = None
        for number, raw in enumerate(text.splitlines(), start=1):
            line = raw.rstrip("\r")
            match = _LINE.match(line.strip())
            if match:
                author = _AUTHOR.match(match.group("rest"))
                if current is not None:
                    yield current
                    current = None
                if author is None:
                    continue  # a system notice
                current = _Message(
                    number, match.group("date"), match.group("time"), match.group("ampm"), author.group("author")
                )
                current.parts.append(author.group("text"))
            elif current is not None:
                current.parts.append(line)
        if current is not None:
            yield current

    @staticmethod
    def _day_first(messages: list[_Message]) -> bool:
        for m in messages:
            parts = _split_date(m.date)
            if parts[0] > 31:
                continue  # year first
            if parts[0] > 12:
                return True
            if parts[1] > 12:
                return False
        return not any(m.ampm for m in messages)

    @staticmethod
    def _when(message: _Message, day_first: bool) -> datetime:
        a, b, c = _split_date(message.date)
        if a > 31:
            year, month, day = a, b, c
        else:
            day, month, year = (a, b, c) if day_first else (b, a, c)
        if year < 100:
            year += 2000
        clock = [int(p) for p in re.split(r"[:.]", message.time)]
        hour, minute, second = clock[0], clock[1], clock[2] if len(clock) > 2 else 0
        if message.ampm:
            hour = hour % 12 + (12 if message.ampm.lower() == "p" else 0)
        result = aware(datetime(year, month, day, hour, minute, second))
        assert result is not None
        return result

    @staticmethod
    def _body(text: str) -> tuple[str, dict[str, Any]]:
        if _MEDIA.match(text):
            return "[media omitted]", {"media": True}
        attached = _ATTACHED.match(text.split("\n", 1)[0])
        if attached:
            name = (attached.group("a") or attached.group("b")).strip()
            rest = text.split("\n", 1)[1].strip() if "\n" in text else ""
            return (f"[attached: {name}]" + (f"\n{rest}" if rest else "")), {"media": True, "attachment": name}
        return text.replace("\u200e", ""), {}


def _telegram_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "".join(part if isinstance(part, str) else str(part.get("text", "")) for part in value)
    return ""


class TelegramConnector(Connector):
    """A Telegram Desktop export (``result.json``): one chat or all of them."""

    name: ClassVar[str] = "telegram"
    kinds: ClassVar[tuple[str, ...]] = ("chat_message",)

    @classmethod
    def sniff(cls, path: Path) -> int:
        if path.is_dir() or not path.name.lower().endswith(".json"):
            return NO
        try:
            with path.open("rb") as handle:
                head = handle.read(4096).decode("utf-8", "replace")
        except OSError:
            return NO
        if '"messages"' in head or ('"chats"' in head and '"list"' in head):
            return SURE if path.name == "result.json" else LIKELY
        return NO

    def iter_records(self, cursor: Cursor | None = None) -> Iterator[Record | ItemProblem]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise IngestError(f"cannot read Telegram export {self.path}: {exc}") from exc
        if isinstance(data, dict) and isinstance(data.get("chats"), dict):
            chats = data["chats"].get("list") or []
        elif isinstance(data, dict) and "messages" in data:
            chats = [data]
        else:
            raise IngestError(f"{self.path} is not a Telegram Desktop export (no 'messages' or 'chats')")
        for index, chat in enumerate(chats):
            if not isinstance(chat, dict) or not isinstance(chat.get("messages"), list):
                yield self.problem(f"chat {index + 1}", "not a chat with a list of messages")
                continue
            yield from self._chat(chat)

    def _chat(self, chat: dict[str, Any]) -> Iterator[Record | ItemProblem]:
        chat_id = str(chat.get("id", stable_hash(str(chat.get("name")), length=12)))
        title = str(chat.get("name") or "Saved Messages")
        messages = [m for m in chat["messages"] if isinstance(m, dict) and m.get("type") == "message"]
        speakers = tuple(sorted({str(m["from"]) for m in messages if m.get("from")}))
        previous: str | None = None
        for message in messages:
            where = f"chat {chat_id} message {message.get('id')}"
            try:
                when = aware(datetime.fromisoformat(str(message["date"])))
            except (KeyError, ValueError) as exc:
                yield self.problem(where, f"no readable date: {exc}")
                continue
            text = _telegram_text(message.get("text"))
            extras = []
            if message.get("photo"):
                extras.append("[photo]")
            if message.get("file"):
                extras.append(f"[file: {Path(str(message['file'])).name}]")
            body = "\n".join(p for p in [text, *extras] if p).strip()
            if not body:
                continue
            ref = f"chat:telegram:{chat_id}/{message.get('id')}"
            reply = message.get("reply_to_message_id")
            yield Record(
                source=self.source,
                kind="chat_message",
                native_id=f"{chat_id}/{message.get('id')}",
                ref=ref,
                text=body,
                title=title,
                timestamp=when,
                author=str(message.get("from") or title),
                participants=speakers,
                meta={"conversation": title, "app": "telegram", "chat_type": chat.get("type"), "reply_to": reply},
                follows=f"chat:telegram:{chat_id}/{reply}" if reply else previous,
            )
            previous = ref


@hookimpl
def register_connectors() -> list[type[Connector]]:
    return [WhatsAppConnector, TelegramConnector]
