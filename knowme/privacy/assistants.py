"""Bring the memory of other assistants along: what ChatGPT remembered about you, as knowme preferences.

``knowme import`` of a ChatGPT data export (``conversations.json`` or the export ``.zip``) ingests the conversations
through the ``chatgpt`` connector and then reads, from the same file:

- memory writes: assistant messages addressed to the ``bio`` tool (how ChatGPT saves a memory: "User lives in
  Porto"), which the connector deliberately leaves out of the chat records;
- custom instructions (``user_editable_context``): the "about me" profile and the instructions for replies;
- a ``memory.json`` / ``memories.json`` member of the zip, if present: a list of strings or of objects with a
  ``content``, ``memory`` or ``text`` field.

Each distinct statement becomes one preference with ``origin = "imported"`` and ``scope = "chatgpt"`` (its id is a
hash of the text, so importing twice changes nothing). Malformed pieces are skipped; the conversations are what the
connector makes of them.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from knowme.connectors.archive import check_archive
from knowme.connectors.chats import ChatGPTConnector
from knowme.models import stable_hash

MEMORY_MEMBERS = ("memory.json", "memories.json")


def _texts(content: Any) -> Iterator[str]:
    if not isinstance(content, dict):
        return
    for part in content.get("parts") or ():
        if isinstance(part, str) and part.strip():
            yield part.strip()
    if isinstance(content.get("text"), str) and content["text"].strip():
        yield content["text"].strip()


def _from_conversations(conversations: list[Any]) -> Iterator[tuple[str, str]]:
    for conversation in conversations:
        mapping = conversation.get("mapping") if isinstance(conversation, dict) else None
        if not isinstance(mapping, dict):
            continue
        for entry in mapping.values():
            message = entry.get("message") if isinstance(entry, dict) else None
            if not isinstance(message, dict):
                continue
            content = message.get("content")
            if message.get("recipient") == "bio":
                for text in _texts(content):
                    yield "value", text
            elif isinstance(content, dict) and content.get("content_type") == "user_editable_context":
                if isinstance(content.get("user_profile"), str) and content["user_profile"].strip():
                    yield "value", content["user_profile"].strip()
                if isinstance(content.get("user_instructions"), str) and content["user_instructions"].strip():
                    yield "rule", content["user_instructions"].strip()


def _from_memory_member(path: Path) -> Iterator[tuple[str, str]]:
    if not zipfile.is_zipfile(path):
        return
    with zipfile.ZipFile(path) as archive:
        check_archive(archive, str(path))  # a zip bomb is refused before it is read
        for name in archive.namelist():
            if name.rsplit("/", 1)[-1].lower() not in MEMORY_MEMBERS:
                continue
            try:
                items = json.loads(archive.read(name))
            except ValueError:
                continue
            for item in items if isinstance(items, list) else []:
                text = (
                    item
                    if isinstance(item, str)
                    else next(
                        (
                            item[k]
                            for k in ("content", "memory", "text")
                            if isinstance(item, dict) and isinstance(item.get(k), str)
                        ),
                        None,
                    )
                )
                if text and text.strip():
                    yield "value", text.strip()


def chatgpt_memories(path: Path) -> list[dict[str, Any]]:
    """Preference rows (as :meth:`PortableStore.import_rows` takes them) for what the export says ChatGPT remembered."""
    conversations = ChatGPTConnector(path)._load()
    now = datetime.now(UTC).isoformat(timespec="seconds")
    rows: dict[str, dict[str, Any]] = {}
    for polarity, text in [*_from_conversations(conversations), *_from_memory_member(path)]:
        ident = "chatgpt-" + stable_hash("chatgpt-memory", text, length=24)
        rows.setdefault(
            ident,
            {
                "id": ident,
                "statement": text,
                "polarity": polarity,
                "strength": 1.0,
                "scope": "chatgpt",
                "origin": "imported",
                "created_at": now,
                "updated_at": now,
                "active": 1,
            },
        )
    return list(rows.values())
