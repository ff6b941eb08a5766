"""Write the demo life's chats: a ChatGPT export and a generic ``*.chat.jsonl`` transcript.

``chats/chatgpt/conversations.json`` has the shape of a real ChatGPT data export: a JSON array of
conversations, each with ``title``, float ``create_time``/``update_time``, a ``mapping`` of nodes
(``id``, ``message``, ``parent``, ``children``) rooted at a message-less node, a hidden system message,
and ``current_node``. One conversation has an edited user turn, so its tree branches and only the path
from ``current_node`` back to the root is the conversation as last seen.

``chats/friends.chat.jsonl`` is knowme's generic format, one JSON object per line: ``conversation``, ``id``,
``time`` (ISO 8601 with offset), ``speaker``, ``text`` and, for shared photos, ``caption``.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from knowme.demo.chatstory import (
    CHATGPT,
    FAMILY_FILLER,
    FRIENDS,
    GROUP_FILLER,
    MIGUEL_FILLER,
    ChatLine,
    GptConversation,
)
from knowme.demo.story import Story, at_time

CONVERSATIONS = {"miguel": "Miguel", "crew": "Trilhos & Tascas", "family": "Família Almeida"}


def _line_id(s: Story, conversation: str, when: datetime, n: int) -> str:
    return s.digest("chat", conversation, when.isoformat(), n)[:20].upper()


def friends_lines(s: Story) -> tuple[list[dict[str, str]], dict[str, str]]:
    rng = s.rng("friends-chat")
    rows: list[tuple[datetime, str, ChatLine]] = []
    for line in FRIENDS:
        rows.append((s.at(line.month, line.day, line.hour, line.minute), line.conversation, line))
    for conversation, pool in (("miguel", MIGUEL_FILLER), ("crew", GROUP_FILLER), ("family", FAMILY_FILLER)):
        for who, text in pool:
            day = s.day(1, 8) + timedelta(days=rng.randrange(340))
            when = at_time(day, rng.randrange(8, 23), rng.randrange(60))
            caption = "A grey cat asleep on the balcony chair" if text == "📷" else None
            rows.append(
                (
                    when,
                    conversation,
                    ChatLine(conversation, when.month, when.day, when.hour, when.minute, who, text, caption),
                )
            )
    rows.sort(key=lambda r: (r[0], r[1], r[2].text))
    out: list[dict[str, str]] = []
    keys: dict[str, str] = {}
    for n, (when, conversation, line) in enumerate(rows):
        row = {
            "conversation": CONVERSATIONS[conversation],
            "id": _line_id(s, conversation, when, n),
            "time": when.isoformat(),
            "speaker": s.p(line.who).name,
            "text": line.text,
        }
        if line.caption:
            row["caption"] = line.caption
        out.append(row)
        if line.key:
            keys[line.key] = row["id"]
    return out, keys


def _stamp(s: Story, when: datetime, *salt: object) -> float:
    """Epoch seconds with a deterministic sub-second part, like the export's floats."""
    fraction = int(s.digest("t", when.isoformat(), *salt)[:6], 16) % 1_000_000
    return round(when.timestamp() + fraction / 1_000_000, 6)


def _message(s: Story, node: str, role: str, text: str, when: float | None, parent: str) -> dict[str, object]:
    metadata: dict[str, object]
    if role == "system":
        metadata = {"is_visually_hidden_from_conversation": True}
    elif role == "assistant":
        metadata = {
            "finish_details": {"type": "stop", "stop_tokens": [200002]},
            "citations": [],
            "content_references": [],
            "model_slug": "gpt-4o",
            "default_model_slug": "gpt-4o",
            "parent_id": parent,
            "request_id": s.digest("req", node)[:16],
            "timestamp_": "absolute",
        }
    else:
        metadata = {
            "request_id": s.digest("req", node)[:16],
            "message_source": None,
            "timestamp_": "absolute",
            "message_type": None,
        }
    return {
        "id": node,
        "author": {"role": role, "name": None, "metadata": {}},
        "create_time": when,
        "update_time": None,
        "content": {"content_type": "text", "parts": [text]},
        "status": "finished_successfully",
        "end_turn": True if role == "assistant" else None,
        "weight": 0.0 if role == "system" else 1.0,
        "metadata": metadata,
        "recipient": "all",
        "channel": None,
    }


def conversation(s: Story, spec: GptConversation) -> tuple[dict[str, object], dict[str, str]]:
    title = spec.title
    start = s.at(*spec.when)
    conv_id = s.uuid("gpt", title)
    mapping: dict[str, dict[str, Any]] = {}

    def node(
        name: str,
        parent: str | None,
        role: str | None = None,
        text: str = "",
        when: float | None = None,
    ) -> str:
        node_id = s.uuid("gpt", title, name)
        message = None if role is None else _message(s, node_id, role, text, when, parent or "")
        mapping[node_id] = {"id": node_id, "message": message, "parent": parent, "children": []}
        if parent is not None:
            mapping[parent]["children"].append(node_id)
        return node_id

    root = node("root", None)
    parent = node("system", root, "system", "", None)
    keys: dict[str, str] = {}
    when = start
    for n, turn in enumerate(spec.turns):
        if spec.branch is not None and n == spec.branch[0]:
            _, earlier_question, earlier_answer = spec.branch
            alt = node("alt-user", parent, "user", earlier_question, _stamp(s, when, "a"))
            node("alt-assistant", alt, "assistant", earlier_answer, _stamp(s, when + timedelta(seconds=9), "b"))
            when += timedelta(minutes=2)
        parent = node(f"turn-{n}", parent, turn.role, turn.text, _stamp(s, when, n))
        if turn.key:
            keys[turn.key] = parent
        when += timedelta(seconds=14) if turn.role == "user" else timedelta(minutes=3)
    convo = {
        "title": title,
        "create_time": _stamp(s, start, "create"),
        "update_time": _stamp(s, when, "update"),
        "mapping": mapping,
        "moderation_results": [],
        "current_node": parent,
        "plugin_ids": None,
        "conversation_id": conv_id,
        "conversation_template_id": None,
        "gizmo_id": None,
        "gizmo_type": None,
        "is_archived": False,
        "is_starred": None,
        "safe_urls": [],
        "blocked_urls": [],
        "default_model_slug": "gpt-4o",
        "conversation_origin": None,
        "voice": None,
        "async_status": None,
        "disabled_tool_ids": [],
        "is_do_not_remember": False,
        "memory_scope": "global_enabled",
        "id": conv_id,
    }
    return convo, keys


def write_chats(s: Story, root: Path) -> tuple[list[str], int, dict[str, str]]:
    """Write both chat files; return (relative paths, visible message count, chat refs by key)."""
    keys: dict[str, str] = {}
    convos = []
    visible = 0
    for spec in sorted(CHATGPT, key=lambda c: c.when):
        convo, found = conversation(s, spec)
        convos.append(convo)
        keys.update(found)
        visible += len(spec.turns)
    gpt = root / "chats" / "chatgpt" / "conversations.json"
    gpt.parent.mkdir(parents=True, exist_ok=True)
    gpt.write_text(json.dumps(convos, ensure_ascii=False, indent=None), encoding="utf-8")

    rows, found = friends_lines(s)
    keys.update(found)
    jsonl = root / "chats" / "friends.chat.jsonl"
    jsonl.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    refs = {key: f"chat:{value}" for key, value in keys.items()}
    return ["chats/chatgpt/conversations.json", "chats/friends.chat.jsonl"], visible + len(rows), refs
