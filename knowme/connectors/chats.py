"""Chat connectors: the ChatGPT data export and knowme's generic ``*.chat.jsonl`` transcripts.

:class:`ChatGPTConnector` reads ``conversations.json`` from a ChatGPT data export, or the export ``.zip`` that
holds it. Each conversation is a tree of nodes (``mapping``); every edit of a message or regenerated answer
starts a new branch, and ``current_node`` is the leaf the user last saw. One visible message is one record
(``chat:<message id>``). Choices and edge cases:

- Only the current branch (``current_node`` up to the root) is read by default: edited-away prompts and
  regenerated answers are superseded drafts, and indexing them would put near-duplicates and things the user
  took back into answers. ``ChatGPTConnector(path, include_alternates=True)`` reads them too, marked
  ``meta["branch"] = "alternate"`` (current-branch messages say ``"current"``). When ``current_node`` is missing
  or unknown, the most recent leaf stands in for it.
- Skipped: system messages, messages hidden from the conversation (``metadata.is_visually_hidden_from_conversation``,
  custom instructions ``is_user_system_message``), ``user_editable_context`` / ``model_editable_context``,
  reasoning ("thoughts", "reasoning_recap"), assistant calls addressed to a tool (``recipient`` other than
  ``all``: browser commands, image prompts, memory writes; code sent to the Python tool is kept), and messages
  whose text is empty.
- Content: ``text``, ``multimodal_text`` (image parts become ``[image]``, audio transcriptions their text),
  ``code``, ``execution_output``, ``tether_quote`` and ``tether_browsing_display`` (their text, if any).
- Authors: the user is ``me``, the assistant ``ChatGPT`` (or its author name), a tool its tool name.
  ``parent_id`` is the previous *visible* message on the same branch; ``position`` counts visible messages
  before this one on its branch.
- A conversation whose tree is broken (no mapping, a node that is not an object, a parent cycle) is one
  :class:`~knowme.models.ItemProblem`; the other conversations continue. A file that is not JSON at all, or a
  zip without ``conversations.json``, raises :class:`~knowme.errors.IngestError`.

:class:`ChatJsonlConnector` reads ``*.chat.jsonl``: one JSON object per line, ``{"conversation", "id", "time",
"speaker", "text"}`` plus an optional ``"caption"`` (a shared image's description, appended to the text as
``[shared image: ...]``). Blank lines are ignored; a malformed line (bad JSON, no speaker or text, a time that is
not ISO-8601, an id seen before) is one problem naming its line number. A line without an id gets
``knowme-<hash of conversation, time, speaker, text>``. ``participants`` are all speakers of the conversation
in the file (a first pass collects them). A naive time gets the local timezone; a missing time leaves the
timestamp empty. Invalid UTF-8 bytes are replaced, not fatal.
"""

from __future__ import annotations

import json
import math
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from dateutil import parser as date_parser

from knowme.connectors.archive import check_archive
from knowme.connectors.base import LIKELY, NO, SURE, Connector, Cursor, aware
from knowme.errors import IngestError
from knowme.models import ItemProblem, Record, stable_hash
from knowme.plugins import hookimpl

EXPORT_NAME = "conversations.json"
#: Content types that are never shown as a message in the ChatGPT app.
_SKIPPED_CONTENT = frozenset(
    {"user_editable_context", "model_editable_context", "thoughts", "reasoning_recap", "system_error"}
)
_HEAD_BYTES = 64 * 1024


class _BrokenConversation(Exception):
    """A conversation's message tree cannot be walked."""


# --- ChatGPT export --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Message:
    id: str
    role: str
    author: str
    text: str
    content_type: str
    create_time: Any
    model_slug: str | None
    url: str | None


class ChatGPTConnector(Connector):
    """The ``conversations.json`` of a ChatGPT data export, or the export's ``.zip``."""

    name = "chatgpt"
    kinds = ("chat_message",)
    filenames = (EXPORT_NAME,)

    def __init__(self, path: Path | str, *, include_alternates: bool = False) -> None:
        super().__init__(path)
        self.include_alternates = include_alternates

    @classmethod
    def sniff(cls, path: Path) -> int:
        if not path.is_file():
            return NO
        lower = path.name.lower()
        if lower.endswith(".zip"):
            try:
                with zipfile.ZipFile(path) as archive:
                    return SURE if _export_member(archive) else NO
            except (OSError, zipfile.BadZipFile):
                return NO
        if path.name in cls.filenames or lower.endswith(".json"):
            head = _head(path)
            if head.lstrip().startswith(("[", "{")) and '"mapping"' in head and '"current_node"' in head:
                return SURE
            return LIKELY if path.name in cls.filenames else NO
        return NO

    def iter_records(self, cursor: Cursor | None = None) -> Iterator[Record | ItemProblem]:
        for index, conversation in enumerate(self._load()):
            try:
                records = self._conversation_records(conversation, index)
            except _BrokenConversation as exc:
                yield self.problem(_conversation_where(conversation, index), str(exc))
                continue
            except Exception as exc:  # one unreadable conversation never stops the rest
                yield self.problem(_conversation_where(conversation, index), exc)
                continue
            yield from records

    def _load(self) -> list[Any]:
        if not self.path.is_file():
            raise IngestError(f"{self.path}: no such file")
        try:
            if zipfile.is_zipfile(self.path):
                with zipfile.ZipFile(self.path) as archive:
                    check_archive(archive, str(self.path))  # a zip bomb is refused before it is read
                    member = _export_member(archive)
                    if member is None:
                        raise IngestError(f"{self.path}: this zip has no {EXPORT_NAME}; is it a ChatGPT data export?")
                    with archive.open(member) as handle:
                        data = json.load(handle)
            else:
                with self.path.open("rb") as handle:
                    data = json.load(handle)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise IngestError(
                f"{self.path}: not JSON ({exc}); expected the {EXPORT_NAME} of a ChatGPT data export"
            ) from exc
        except (OSError, zipfile.BadZipFile, RuntimeError) as exc:
            raise IngestError(f"{self.path}: cannot be read ({exc})") from exc
        if isinstance(data, dict) and "mapping" in data:
            return [data]  # one conversation saved on its own
        if not isinstance(data, list):
            raise IngestError(
                f"{self.path}: JSON, but not a list of conversations; expected the {EXPORT_NAME} of a ChatGPT export"
            )
        return data

    def _conversation_records(self, conversation: Any, index: int) -> list[Record]:
        if not isinstance(conversation, dict):
            raise _BrokenConversation(f"is a {type(conversation).__name__}, not a conversation object")
        mapping = conversation.get("mapping")
        if not isinstance(mapping, dict) or not mapping:
            raise _BrokenConversation("has no message tree ('mapping' is missing, empty or not an object)")
        for node_id, node in mapping.items():
            if not isinstance(node, dict):
                raise _BrokenConversation(f"node {node_id!r} is a {type(node).__name__}, not an object")
        title = _text_or_empty(conversation.get("title"))
        conversation_id = _text_or_empty(conversation.get("conversation_id") or conversation.get("id"))
        if not conversation_id:
            conversation_id = "knowme-" + stable_hash(title, str(conversation.get("create_time")), str(index))
        current = conversation.get("current_node")
        if not isinstance(current, str) or current not in mapping:
            current = _latest_leaf(mapping)
        messages: dict[str, _Message | None] = {node_id: _extract(node) for node_id, node in mapping.items()}
        branch = _path_from_root(mapping, current)

        walks: list[tuple[list[str], str]] = [(branch, "current")]
        if self.include_alternates:
            on_branch = set(branch)
            walks += [(_path_from_root(mapping, n), "alternate") for n in mapping if n not in on_branch]

        names = [m.author for m in messages.values() if m is not None and m.role == "assistant"]
        participants = ("me", *_unique(names or ["ChatGPT"]))
        default_slug = _text_or_empty(conversation.get("default_model_slug")) or None
        records: list[Record] = []
        for path, branch_name in walks:
            previous: str | None = None
            position = 0
            for step, node_id in enumerate(path):
                message = messages[node_id]
                is_target = branch_name == "current" or step == len(path) - 1
                if message is not None and is_target:
                    meta = {
                        "conversation_id": conversation_id,
                        "conversation_title": title,
                        "role": message.role,
                        "parent_id": previous,
                        "model_slug": message.model_slug or (default_slug if message.role == "assistant" else None),
                        "position": position,
                        "branch": branch_name,
                        "content_type": message.content_type,
                    }
                    if message.url:
                        meta["url"] = message.url
                    records.append(
                        Record(
                            source=self.source,
                            kind="chat_message",
                            native_id=message.id,
                            ref=f"chat:{message.id}",
                            text=message.text,
                            title=title,
                            timestamp=_epoch(message.create_time) or _epoch(conversation.get("create_time")),
                            author=message.author,
                            participants=participants,
                            meta=meta,
                            follows=f"chat:{previous}" if previous else None,
                        )
                    )
                if message is not None:
                    previous = message.id
                    position += 1
        return records


def _conversation_where(conversation: Any, index: int) -> str:
    if isinstance(conversation, dict):
        cid = conversation.get("conversation_id") or conversation.get("id")
        title = conversation.get("title")
        label = ", ".join(part for part in (f"{title!r}" if title else "", f"id {cid}" if cid else "") if part)
        return f"conversation {index}" + (f" ({label})" if label else "")
    return f"conversation {index}"


def _export_member(archive: zipfile.ZipFile) -> str | None:
    names = [n for n in archive.namelist() if n == EXPORT_NAME or n.endswith("/" + EXPORT_NAME)]
    return min(names, key=len) if names else None


def _head(path: Path) -> str:
    try:
        with path.open("rb") as handle:
            return handle.read(_HEAD_BYTES).decode("utf-8", errors="ignore")
    except OSError:
        return ""


def _latest_leaf(mapping: Mapping[str, Any]) -> str:
    """The leaf written last: what the user saw when ``current_node`` is missing."""
    leaves = [n for n, node in mapping.items() if not _children(node, mapping)]
    candidates = leaves or list(mapping)

    def created(node_id: str) -> float:
        message = mapping[node_id].get("message")
        value = message.get("create_time") if isinstance(message, dict) else None
        return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else -1.0

    return max(reversed(candidates), key=created)  # ties: the last one in the file


def _children(node: Mapping[str, Any], mapping: Mapping[str, Any]) -> list[str]:
    children = node.get("children")
    return [c for c in children if isinstance(c, str) and c in mapping] if isinstance(children, list) else []


def _path_from_root(mapping: Mapping[str, Any], node_id: str) -> list[str]:
    """Node ids from the root down to ``node_id``, following ``parent`` links."""
    path: list[str] = []
    seen: set[str] = set()
    current: Any = node_id
    while isinstance(current, str) and current in mapping:
        if current in seen:
            raise _BrokenConversation(f"the message tree loops back to node {current!r}")
        seen.add(current)
        path.append(current)
        current = mapping[current].get("parent")
    path.reverse()
    return path


def _extract(node: Mapping[str, Any]) -> _Message | None:
    """The visible message of a node, or ``None`` for plumbing, hidden and empty ones."""
    message = node.get("message")
    if not isinstance(message, dict):
        return None
    author = _mapping(message.get("author"))
    role = _text_or_empty(author.get("role")) or "unknown"
    metadata = _mapping(message.get("metadata"))
    content = _mapping(message.get("content"))
    content_type = _text_or_empty(content.get("content_type")) or "text"
    recipient = _text_or_empty(message.get("recipient")) or "all"
    if (
        role == "system"
        or metadata.get("is_visually_hidden_from_conversation")
        or metadata.get("is_user_system_message")
        or content_type in _SKIPPED_CONTENT
        or (role == "assistant" and recipient != "all" and content_type != "code")
    ):
        return None
    text = _content_text(content).strip()
    if not text:
        return None
    name = _text_or_empty(author.get("name"))
    if role == "user":
        who = "me"
    elif role == "assistant":
        who = name or "ChatGPT"
    elif role == "tool":
        who = name or "tool"
    else:
        who = name or role
    message_id = _text_or_empty(message.get("id") or node.get("id"))
    if not message_id:
        message_id = "knowme-" + stable_hash(role, text, str(message.get("create_time")))
    slug = metadata.get("model_slug")
    url = content.get("url") if content_type == "tether_quote" else None
    return _Message(
        id=message_id,
        role=role,
        author=who,
        text=text,
        content_type=content_type,
        create_time=message.get("create_time"),
        model_slug=slug if isinstance(slug, str) and slug else None,
        url=url if isinstance(url, str) and url else None,
    )


def _content_text(content: Mapping[str, Any]) -> str:
    parts = content.get("parts")
    if isinstance(parts, list):
        return "\n".join(piece for piece in (_part_text(p) for p in parts) if piece)
    if content.get("content_type") == "tether_browsing_display":
        for key in ("result", "summary"):
            if isinstance(content.get(key), str) and content[key].strip():
                return str(content[key])
        return ""
    text = content.get("text")
    if isinstance(text, str) and text.strip():
        return text
    title = content.get("title")
    return title if isinstance(title, str) else ""


def _part_text(part: Any) -> str:
    if isinstance(part, str):
        return part.strip()
    if not isinstance(part, dict):
        return ""
    content_type = _text_or_empty(part.get("content_type"))
    if isinstance(part.get("text"), str) and part["text"].strip():
        return str(part["text"]).strip()  # audio transcriptions and other parts that carry text
    for kind in ("image", "audio", "video"):
        if kind in content_type:
            return f"[{kind}]"
    return ""


def _epoch(value: Any) -> datetime | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        if not math.isfinite(value) or value <= 0:
            return None
        try:
            return datetime.fromtimestamp(value, tz=UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if isinstance(value, str) and value.strip():
        try:
            return _parse_time(value)
        except ValueError:
            return None
    return None


# --- *.chat.jsonl ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Line:
    conversation: str
    id: str
    time: datetime | None
    speaker: str
    text: str
    caption: str | None


class ChatJsonlConnector(Connector):
    """knowme's generic chat transcript: ``*.chat.jsonl``, one message per line."""

    name = "chatjsonl"
    kinds = ("chat_message",)
    suffixes = (".chat.jsonl",)

    @classmethod
    def sniff(cls, path: Path) -> int:
        if not path.is_file():
            return NO
        lower = path.name.lower()
        if lower.endswith(".chat.jsonl"):
            return SURE if _first_line_is_chat(path) else LIKELY
        if lower.endswith(".jsonl") and _first_line_is_chat(path):
            return LIKELY
        return NO

    def iter_records(self, cursor: Cursor | None = None) -> Iterator[Record | ItemProblem]:
        speakers: dict[str, list[str]] = {}
        parsed_any = False
        first_error: str | None = None
        for _number, raw in self._lines():
            line = _parse_line(raw)
            if isinstance(line, _Line):
                parsed_any = True
                seen = speakers.setdefault(line.conversation, [])
                if line.speaker not in seen:
                    seen.append(line.speaker)
            elif isinstance(line, str) and first_error is None:
                first_error = line
        if not parsed_any and first_error is not None:
            raise IngestError(f"{self.path}: no line is a chat message (first problem: {first_error})")

        first_line_of: dict[str, int] = {}
        previous: dict[str, str] = {}
        for number, raw in self._lines():
            line = _parse_line(raw)
            if line is None:
                continue
            if isinstance(line, str):
                yield self.problem(f"line {number}", line)
                continue
            if line.id in first_line_of:
                yield self.problem(
                    f"line {number}", f"id {line.id!r} was already used on line {first_line_of[line.id]}"
                )
                continue
            first_line_of[line.id] = number
            text = line.text
            if line.caption:
                text = f"{text}\n[shared image: {line.caption}]" if text else f"[shared image: {line.caption}]"
            yield Record(
                source=self.source,
                kind="chat_message",
                native_id=line.id,
                ref=f"chat:{line.id}",
                text=text,
                title=line.conversation,
                timestamp=line.time,
                author=line.speaker,
                participants=tuple(speakers.get(line.conversation, [line.speaker])),
                meta={
                    "conversation": line.conversation,
                    "line": number,
                    "caption": line.caption,
                    "previous_id": previous.get(line.conversation),
                },
                follows=f"chat:{previous[line.conversation]}" if line.conversation in previous else None,
            )
            previous[line.conversation] = line.id

    def _lines(self) -> Iterator[tuple[int, str]]:
        try:
            with self.path.open(encoding="utf-8-sig", errors="replace", newline=None) as handle:
                yield from enumerate(handle, start=1)
        except OSError as exc:
            raise IngestError(f"{self.path}: cannot be read ({exc.strerror or exc})") from exc


def _first_line_is_chat(path: Path) -> bool:
    for raw in _head(path).splitlines():
        if raw.strip():
            return isinstance(_parse_line(raw), _Line)
    return False


def _parse_line(raw: str) -> _Line | str | None:
    """A chat line, an error message saying why it is not one, or ``None`` for a blank line."""
    if not raw.strip():
        return None
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        return f"not valid JSON ({exc.msg} at column {exc.colno})"
    if not isinstance(data, dict):
        return f"a JSON {type(data).__name__}, not an object"
    speaker = data.get("speaker")
    if not isinstance(speaker, str) or not speaker.strip():
        return "no speaker"
    text = data.get("text")
    if not isinstance(text, str):
        return "no text"
    caption = data.get("caption")
    caption = caption.strip() if isinstance(caption, str) and caption.strip() else None
    if not text.strip() and caption is None:
        return "empty text and no caption"
    raw_time = data.get("time")
    when: datetime | None = None
    if raw_time not in (None, ""):
        if not isinstance(raw_time, str):
            return f"time {raw_time!r} is not an ISO-8601 string"
        try:
            when = _parse_time(raw_time)
        except ValueError:
            return f"time {raw_time!r} is not ISO-8601"
    conversation = data.get("conversation")
    conversation = "" if conversation is None else str(conversation)
    native = data.get("id")
    message_id = "" if native is None or isinstance(native, bool) else str(native).strip()
    if not message_id:
        message_id = "knowme-" + stable_hash(conversation, str(raw_time or ""), speaker, text)
    return _Line(
        conversation=conversation,
        id=message_id,
        time=when,
        speaker=speaker.strip(),
        text=text.strip(),
        caption=caption,
    )


def _parse_time(value: str) -> datetime:
    """An ISO-8601 time, timezone-aware (naive times get the local timezone). Raises ``ValueError``."""
    value = value.strip()
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        try:
            parsed = date_parser.isoparse(value)
        except (ValueError, OverflowError) as exc:
            raise ValueError(str(exc)) from exc
    return cast(datetime, aware(parsed))


# --- shared ----------------------------------------------------------------------------------------------


def _text_or_empty(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def _unique(values: list[str]) -> list[str]:
    out: list[str] = []
    for value in values:
        if value not in out:
            out.append(value)
    return out


@hookimpl
def register_connectors() -> list[type[Connector]]:
    return [ChatGPTConnector, ChatJsonlConnector]


__all__ = ["ChatGPTConnector", "ChatJsonlConnector", "register_connectors"]
