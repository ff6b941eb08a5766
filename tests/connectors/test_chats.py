"""The ChatGPT export and *.chat.jsonl connectors on real files written into tmp_path."""

from __future__ import annotations

import json
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from knowme.connectors import chats
from knowme.connectors.base import LIKELY, NO, SURE
from knowme.connectors.chats import ChatGPTConnector, ChatJsonlConnector
from knowme.errors import IngestError
from knowme.models import ItemProblem, Record, stable_hash

T0 = 1709629200.0  # 2024-03-05 09:00:00 UTC


def node(node_id: str, parent: str | None, children: list[str], message: dict[str, Any] | None) -> dict[str, Any]:
    return {"id": node_id, "message": message, "parent": parent, "children": children}


def message(
    msg_id: str,
    role: str,
    parts: list[Any] | None = None,
    *,
    at: float | None = None,
    content: dict[str, Any] | None = None,
    metadata: dict[str, Any] | None = None,
    recipient: str = "all",
    name: str | None = None,
) -> dict[str, Any]:
    return {
        "id": msg_id,
        "author": {"role": role, "name": name, "metadata": {}},
        "create_time": at,
        "update_time": None,
        "content": content or {"content_type": "text", "parts": parts or []},
        "status": "finished_successfully",
        "end_turn": True,
        "weight": 1.0,
        "metadata": metadata or {},
        "recipient": recipient,
    }


def lisbon_conversation() -> dict[str, Any]:
    """A conversation with a system message, an edited prompt (two branches), a photo and a browsing tool."""
    gpt = {"model_slug": "gpt-4o"}
    mapping = {
        "root": node("root", None, ["sys"], None),
        "sys": node(
            "sys",
            "root",
            ["ctx"],
            message("sys", "system", [""], metadata={"is_visually_hidden_from_conversation": True}),
        ),
        "ctx": node(
            "ctx",
            "sys",
            ["u1"],
            message("ctx", "user", content={"content_type": "user_editable_context", "user_profile": "I like fado"}),
        ),
        "u1": node("u1", "ctx", ["a1"], message("u1", "user", ["What should I pack for Lisbon in March?"], at=T0)),
        "a1": node(
            "a1", "u1", ["u2-old", "u2"], message("a1", "assistant", ["A light rain jacket."], at=T0 + 5, metadata=gpt)
        ),
        "u2-old": node("u2-old", "a1", ["a2-old"], message("u2-old", "user", ["Which neighborhood?"], at=T0 + 60)),
        "a2-old": node("a2-old", "u2-old", [], message("a2-old", "assistant", ["Alfama."], at=T0 + 65, metadata=gpt)),
        "u2": node("u2", "a1", ["call"], message("u2", "user", ["Which neighbourhood is best for food?"], at=T0 + 90)),
        "call": node(
            "call",
            "u2",
            ["tool"],
            message("call", "assistant", ['search("best food Lisbon")'], at=T0 + 91, recipient="browser"),
        ),
        "tool": node(
            "tool",
            "call",
            ["a2"],
            message(
                "tool",
                "tool",
                name="browser",
                at=T0 + 92,
                content={
                    "content_type": "tether_browsing_display",
                    "result": "Time Out Market, Cais do Sodre",
                    "summary": None,
                },
            ),
        ),
        "a2": node("a2", "tool", ["u3"], message("a2", "assistant", ["Try Cais do Sodre."], at=T0 + 95, metadata=gpt)),
        "u3": node(
            "u3",
            "a2",
            ["a3"],
            message(
                "u3",
                "user",
                at=T0 + 120,
                content={
                    "content_type": "multimodal_text",
                    "parts": [
                        {
                            "content_type": "image_asset_pointer",
                            "asset_pointer": "file-service://file-abc",
                            "width": 800,
                        },
                        "What is this pastry?",
                    ],
                },
            ),
        ),
        "a3": node("a3", "u3", [], message("a3", "assistant", ["A pastel de nata."], at=None, metadata=gpt)),
    }
    return {
        "title": "Lisbon trip",
        "create_time": T0 - 10,
        "update_time": T0 + 200,
        "mapping": mapping,
        "current_node": "a3",
        "conversation_id": "conv-lisbon",
        "id": "conv-lisbon",
        "default_model_slug": "gpt-4o",
    }


def export_data() -> list[Any]:
    broken = {"title": "Broken one", "conversation_id": "conv-broken", "mapping": "not a tree", "current_node": "x"}
    looped = {
        "title": "Looped",
        "conversation_id": "conv-loop",
        "mapping": {
            "a": node("a", "b", ["b"], message("a", "user", ["ping"], at=T0)),
            "b": node("b", "a", ["a"], message("b", "assistant", ["pong"], at=T0)),
        },
        "current_node": "b",
    }
    # no current_node and no message times: the latest leaf is followed, times come from the conversation
    simple = {
        "title": "Tea",
        "create_time": T0 + 86400,
        "conversation_id": "conv-tea",
        "mapping": {
            "r": node("r", None, ["q"], None),
            "q": node("q", "r", ["ans"], message("q", "user", ["Green or black tea?"])),
            "ans": node("ans", "q", [], message("ans", "assistant", ["Green, before noon."])),
        },
    }
    code = {
        "title": "Budget maths",
        "create_time": T0,
        "conversation_id": "conv-code",
        "current_node": "quote",
        "mapping": {
            "q": node("q", None, ["py"], message("q", "user", ["Add up 1200 and 350"], at=T0)),
            "py": node(
                "py",
                "q",
                ["out"],
                message(
                    "py",
                    "assistant",
                    at=T0 + 1,
                    recipient="python",
                    content={"content_type": "code", "language": "unknown", "text": "print(1200 + 350)"},
                ),
            ),
            "out": node(
                "out",
                "py",
                ["quote"],
                message(
                    "out",
                    "tool",
                    name="python",
                    at=T0 + 2,
                    content={"content_type": "execution_output", "text": "1550"},
                ),
            ),
            "quote": node(
                "quote",
                "out",
                [],
                message(
                    "quote",
                    "tool",
                    name="myfiles_browser",
                    at=T0 + 3,
                    content={
                        "content_type": "tether_quote",
                        "url": "file-budget.pdf",
                        "domain": "budget.pdf",
                        "title": "budget.pdf",
                        "text": "Flights: 350 EUR",
                    },
                ),
            ),
        },
    }
    return [lisbon_conversation(), broken, looped, simple, code]


def write_export(folder: Path) -> Path:
    path = folder / "conversations.json"
    path.write_text(json.dumps(export_data()), encoding="utf-8")
    return path


def split(items: list[Record | ItemProblem]) -> tuple[list[Record], list[ItemProblem]]:
    return [i for i in items if isinstance(i, Record)], [i for i in items if isinstance(i, ItemProblem)]


def test_chatgpt_current_branch(tmp_path: Path) -> None:
    records, problems = split(list(ChatGPTConnector(write_export(tmp_path)).iter_records()))
    lisbon = [r for r in records if r.meta["conversation_id"] == "conv-lisbon"]
    assert [r.native_id for r in lisbon] == ["u1", "a1", "u2", "tool", "a2", "u3", "a3"]
    assert [r.ref for r in lisbon][:2] == ["chat:u1", "chat:a1"]
    assert [r.author for r in lisbon] == ["me", "ChatGPT", "me", "browser", "ChatGPT", "me", "ChatGPT"]
    assert [r.meta["parent_id"] for r in lisbon] == [None, "u1", "a1", "u2", "tool", "a2", "u3"]
    assert [r.meta["position"] for r in lisbon] == list(range(7))
    assert {r.meta["branch"] for r in lisbon} == {"current"}
    first = lisbon[0]
    assert first.kind == "chat_message" and first.title == "Lisbon trip"
    assert first.text == "What should I pack for Lisbon in March?"
    assert first.participants == ("me", "ChatGPT")
    assert first.timestamp == datetime(2024, 3, 5, 9, 0, tzinfo=UTC)
    assert first.meta["role"] == "user" and first.meta["model_slug"] is None
    assert lisbon[1].meta["model_slug"] == "gpt-4o"
    assert lisbon[3].text == "Time Out Market, Cais do Sodre" and lisbon[3].meta["role"] == "tool"
    assert lisbon[5].text == "[image]\nWhat is this pastry?"
    assert lisbon[6].timestamp == datetime.fromtimestamp(T0 - 10, tz=UTC)  # falls back to the conversation
    for record in records:
        json.dumps(dict(record.meta))
        assert record.source == f"chatgpt:{(tmp_path / 'conversations.json').resolve()}"
    texts = " ".join(r.text for r in records)
    assert "Alfama" not in texts and "I like fado" not in texts and "search(" not in texts


def test_chatgpt_broken_conversations_are_problems_and_the_rest_continue(tmp_path: Path) -> None:
    records, problems = split(list(ChatGPTConnector(write_export(tmp_path)).iter_records()))
    assert len(problems) == 2
    assert "'Broken one'" in problems[0].where and problems[0].reason.startswith("has no message tree")
    assert "'Looped'" in problems[1].where and "loops back" in problems[1].reason
    tea = [r for r in records if r.meta["conversation_id"] == "conv-tea"]
    assert [(r.native_id, r.author, r.text) for r in tea] == [
        ("q", "me", "Green or black tea?"),
        ("ans", "ChatGPT", "Green, before noon."),
    ]
    assert all(r.timestamp == datetime.fromtimestamp(T0 + 86400, tz=UTC) for r in tea)


def test_chatgpt_code_execution_output_and_quotes(tmp_path: Path) -> None:
    records, _ = split(list(ChatGPTConnector(write_export(tmp_path)).iter_records()))
    code = [r for r in records if r.meta["conversation_id"] == "conv-code"]
    assert [(r.author, r.text, r.meta["content_type"]) for r in code] == [
        ("me", "Add up 1200 and 350", "text"),
        ("ChatGPT", "print(1200 + 350)", "code"),
        ("python", "1550", "execution_output"),
        ("myfiles_browser", "Flights: 350 EUR", "tether_quote"),
    ]
    assert code[3].meta["url"] == "file-budget.pdf"


def test_chatgpt_alternate_branches_on_request(tmp_path: Path) -> None:
    path = write_export(tmp_path)
    records, _ = split(list(ChatGPTConnector(path, include_alternates=True).iter_records()))
    by_id = {r.native_id: r for r in records}
    assert by_id["u2-old"].meta["branch"] == "alternate"
    assert by_id["u2-old"].meta["parent_id"] == "a1" and by_id["u2-old"].meta["position"] == 2
    assert by_id["a2-old"].text == "Alfama." and by_id["a2-old"].meta["parent_id"] == "u2-old"
    assert by_id["a3"].meta["branch"] == "current"
    assert "sys" not in by_id and "call" not in by_id and "ctx" not in by_id


def test_chatgpt_zip_export_reads_the_same(tmp_path: Path) -> None:
    plain = write_export(tmp_path)
    archive = tmp_path / "chatgpt-export.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("chat.html", "<html></html>")
        zf.write(plain, "conversations.json")
    from_zip = list(ChatGPTConnector(archive).iter_records())
    from_json = list(ChatGPTConnector(plain).iter_records())
    assert [(r.ref, r.text) for r in from_zip if isinstance(r, Record)] == [
        (r.ref, r.text) for r in from_json if isinstance(r, Record)
    ]
    assert sum(isinstance(r, ItemProblem) for r in from_zip) == 2
    assert ChatGPTConnector.sniff(archive) == SURE


def test_chatgpt_sniff_and_unreadable_files(tmp_path: Path) -> None:
    export = write_export(tmp_path)
    assert ChatGPTConnector.sniff(export) == SURE
    other = tmp_path / "settings.json"
    other.write_text('{"theme": "dark"}', encoding="utf-8")
    assert ChatGPTConnector.sniff(other) == NO
    empty_zip = tmp_path / "photos.zip"
    with zipfile.ZipFile(empty_zip, "w") as zf:
        zf.writestr("a.jpg", b"\xff\xd8")
    assert ChatGPTConnector.sniff(empty_zip) == NO
    with pytest.raises(IngestError, match="no conversations.json"):
        list(ChatGPTConnector(empty_zip).iter_records())
    garbage = tmp_path / "garbage" / "conversations.json"
    garbage.parent.mkdir()
    garbage.write_text("<html>not json</html>", encoding="utf-8")
    assert ChatGPTConnector.sniff(garbage) == LIKELY
    with pytest.raises(IngestError, match="not JSON"):
        list(ChatGPTConnector(garbage).iter_records())
    with pytest.raises(IngestError, match="not a list of conversations"):
        list(ChatGPTConnector(other).iter_records())


def test_chatgpt_rereading_is_identical(tmp_path: Path) -> None:
    path = write_export(tmp_path)
    assert list(ChatGPTConnector(path).iter_records()) == list(ChatGPTConnector(path).iter_records())


# --- *.chat.jsonl ---


JSONL_LINES = [
    {"conversation": "Family", "id": "m1", "time": "2024-03-05T09:00:00+01:00", "speaker": "Mum", "text": "Flights?"},
    None,  # a blank line
    {
        "conversation": "Family",
        "id": "m2",
        "time": "2024-03-05T09:05:00",
        "speaker": "me",
        "text": "Booked! Look:",
        "caption": "a boarding pass for TAP flight TP1351 to Lisbon",
    },
    '{"conversation": "Family", "id": "m3", "time": ',  # truncated JSON
    {"conversation": "Family", "time": "2024-03-05T09:10:00Z", "speaker": "Dad", "text": "Great"},  # no id
    {"conversation": "Work", "id": "w1", "time": "yesterday", "speaker": "Boss", "text": "x"},  # bad time
    {"conversation": "Work", "id": "w2", "time": "2024-03-05T10:00:00Z", "speaker": "Boss", "text": "Standup moved"},
    {"conversation": "Work", "id": "w3", "time": "2024-03-05T10:01:00Z", "text": "who am I"},  # no speaker
    {"conversation": "Family", "id": "m1", "time": "2024-03-05T11:00:00Z", "speaker": "Mum", "text": "dup"},
    {
        "conversation": "Family",
        "id": "m4",
        "time": "2024-03-05T12:00:00Z",
        "speaker": "Mum",
        "text": "",
        "caption": "a cat",
    },
]


def write_jsonl(path: Path) -> Path:
    lines = []
    for item in JSONL_LINES:
        lines.append("" if item is None else item if isinstance(item, str) else json.dumps(item, ensure_ascii=False))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_chat_jsonl_records(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "family.chat.jsonl")
    records, problems = split(list(ChatJsonlConnector(path).iter_records()))
    generated = "knowme-" + stable_hash("Family", "2024-03-05T09:10:00Z", "Dad", "Great")
    assert [r.native_id for r in records] == ["m1", "m2", generated, "w2", "m4"]
    assert [r.ref for r in records] == ["chat:m1", "chat:m2", f"chat:{generated}", "chat:w2", "chat:m4"]
    m1, m2, dad, w2, m4 = records
    assert (m1.kind, m1.author, m1.title, m1.text) == ("chat_message", "Mum", "Family", "Flights?")
    assert m1.timestamp == datetime(2024, 3, 5, 8, 0, tzinfo=UTC)
    assert m2.timestamp is not None and m2.timestamp.tzinfo is not None  # naive time got the local zone
    assert (m2.timestamp.hour, m2.timestamp.minute) == (9, 5)
    assert m2.text == "Booked! Look:\n[shared image: a boarding pass for TAP flight TP1351 to Lisbon]"
    assert m2.meta["caption"] == "a boarding pass for TAP flight TP1351 to Lisbon"
    assert m4.text == "[shared image: a cat]"
    assert m1.participants == ("Mum", "me", "Dad") == dad.participants
    assert w2.participants == ("Boss",)  # w1 was unreadable, w3 had no speaker
    assert [r.meta["previous_id"] for r in records] == [None, "m1", "m2", None, generated]
    assert [r.meta["line"] for r in records] == [1, 3, 5, 7, 10]
    assert m1.meta["conversation"] == "Family" and m1.meta["caption"] is None
    where = [p.where.rsplit(" ", 2)[-2:] for p in problems]
    assert where == [["line", "4"], ["line", "6"], ["line", "8"], ["line", "9"]]
    reasons = [p.reason for p in problems]
    assert "not valid JSON" in reasons[0] and "ISO-8601" in reasons[1] and reasons[2] == "no speaker"
    assert "already used on line 1" in reasons[3]
    for record in records:
        json.dumps(dict(record.meta))


def test_chat_jsonl_rereading_is_identical(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "family.chat.jsonl")
    assert list(ChatJsonlConnector(path).iter_records()) == list(ChatJsonlConnector(path).iter_records())


def test_chat_jsonl_sniff_and_unreadable(tmp_path: Path) -> None:
    chat = write_jsonl(tmp_path / "family.chat.jsonl")
    assert ChatJsonlConnector.sniff(chat) == SURE
    plain = write_jsonl(tmp_path / "family.jsonl")
    assert ChatJsonlConnector.sniff(plain) == LIKELY
    logs = tmp_path / "app.jsonl"
    logs.write_text('{"level": "info", "msg": "started"}\n', encoding="utf-8")
    assert ChatJsonlConnector.sniff(logs) == NO
    assert ChatJsonlConnector.sniff(tmp_path) == NO
    binary = tmp_path / "junk.chat.jsonl"
    binary.write_bytes(b"\x00\x01\x02 not json\n\xff\xfe\n")
    assert ChatJsonlConnector.sniff(binary) == LIKELY
    with pytest.raises(IngestError, match="no line is a chat message"):
        list(ChatJsonlConnector(binary).iter_records())
    with pytest.raises(IngestError, match="cannot be read"):
        list(ChatJsonlConnector(tmp_path / "missing.chat.jsonl").iter_records())


def test_registers_both() -> None:
    assert chats.register_connectors() == [ChatGPTConnector, ChatJsonlConnector]


def test_a_chatgpt_zip_bomb_is_refused_before_it_is_read(tmp_path: Path) -> None:
    archive = tmp_path / "chatgpt-export.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("conversations.json", "[" + " " * (48 << 20) + "]")  # 48 MiB of blanks in about 48 KB
    assert archive.stat().st_size < 1 << 20
    with pytest.raises(IngestError, match="zip bomb"):
        list(ChatGPTConnector(archive).iter_records())
