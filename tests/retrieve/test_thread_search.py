"""Search reads a message with its thread: replies found through the turn before them, named speakers preferred."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import knowme
from knowme.models.store import SearchFilters
from knowme.retrieve.query import analyse
from tests.samples import write_messages

TURNS = [
    ("Ana", "How long have you been into woodworking? Your oak bookshelf looked professional."),
    ("Ben", "Since I was seventeen or so. My grandfather had a workshop in his garage."),
    ("Ana", "I just got back from a pottery class, my hands are still covered in clay."),
    ("Ben", "Pottery sounds relaxing. I mostly fix bikes on Sundays."),
    ("Ana", "My sister is visiting from Lisbon next week, we might go hiking."),
    ("Ben", "Have fun! The trail along the river is lovely in spring."),
    ("Ana", "Did you ever finish the bookshelf for your daughter?"),
    ("Ben", "Almost, just the varnish left. She wants it painted blue."),
]


def write_chat(path: Path, turns: list[tuple[str, str]] = TURNS) -> Path:
    lines = [
        {
            "conversation": "ana-ben",
            "id": f"m{i}",
            "time": f"2024-05-0{1 + i // 4}T10:{i:02d}:00+00:00",
            "speaker": speaker,
            "text": text,
        }
        for i, (speaker, text) in enumerate(turns)
    ]
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n", encoding="utf-8")
    return path


def write_thread(path: Path, messages: list[tuple[str, str | None, str, str]]) -> Path:
    """Mail between Ana and Ben: (Message-ID, the id it replies to or None, subject, body) each."""
    return write_messages(
        path,
        [
            {"From": "Ana <ana@example.org>", "To": "Ben <ben@example.org>", "Subject": subject,
             "Date": "Mon, 06 May 2024 09:00:00 +0000", "Message-ID": f"<{mid}>", "body": body,
             **({"In-Reply-To": f"<{reply_to}>"} if reply_to else {})}
            for mid, reply_to, subject, body in messages
        ],
    )  # fmt: skip


@pytest.fixture
def chat_vault(vault: knowme.Vault, tmp_path: Path) -> knowme.Vault:
    vault.ingest(write_chat(tmp_path / "ana-ben.chat.jsonl"))
    return vault


def test_the_answer_is_found_through_the_question_before_it(chat_vault: knowme.Vault) -> None:
    question = "How long has Ben been into woodworking?"
    # the answer ("Since I was seventeen") shares no word with the question; the turn before it does
    assert "chat:m1" not in [h.ref for h in chat_vault.search(question, k=2, preset="bm25")]
    assert "chat:m1" in [h.ref for h in chat_vault.search(question, k=2)]


def test_named_speakers_messages_come_first(chat_vault: knowme.Vault) -> None:
    hits = chat_vault.search("What did Ana say about pottery?", k=2)
    assert hits[0].ref == "chat:m2" and hits[0].author == "Ana"


def test_thread_neighbours_respect_as_of(chat_vault: knowme.Vault) -> None:
    # m1 is on 1 May; its neighbours on later days must not come back for a search as of 1 May
    hits = chat_vault.search("woodworking bookshelf varnish blue", k=10, as_of="2024-05-01")
    assert hits and all(h.timestamp is not None and h.timestamp.day == 1 for h in hits)


def test_thread_links_follow_chat_turns_and_email_replies(vault: knowme.Vault, tmp_path: Path) -> None:
    write_thread(
        tmp_path / "thread.mbox",
        [
            ("q1@example.org", None, "Boiler", "Could you send me the invoice number for the boiler repair?"),
            ("a1@example.org", "q1@example.org", "Boiler", "Sure, it is INV-2231, paid on the 3rd."),
        ],
    )
    vault.ingest(tmp_path / "thread.mbox")
    (answer,) = vault.store.records_by_ref("mail:a1@example.org")
    assert answer.follows == "mail:q1@example.org"
    chunks = {c.ref: cid for cid, c in vault.store.load_chunks(range(1, 50)).items()}
    links = vault.store.thread_links([chunks["mail:q1@example.org"]], SearchFilters())
    assert links.following[chunks["mail:q1@example.org"]] == (chunks["mail:a1@example.org"],)
    assert vault.search("boiler repair invoice number", k=2)[1].ref == "mail:a1@example.org"


def test_query_analysis_finds_speakers_by_name_and_first_name() -> None:
    speakers = ["Caroline", "Melanie Ortiz", "me", "assistant", "ana@example.org", "Will"]
    found = analyse("What did Melanie's kids like, and what did Caroline say?", speakers)
    assert found.speakers == {"Caroline", "Melanie Ortiz"}
    assert "Melanie" not in found.dense_text and "Caroline" not in found.dense_text and "kids" in found.dense_text
    assert "melanie" in found.terms  # BM25 keeps the names
    assert analyse("What did I tell the assistant about me?", speakers).speakers == frozenset()
    # ambiguous first names name nobody
    assert analyse("What did Ana say?", ["Ana Lima", "Ana Costa"]).speakers == frozenset()
    assert analyse("What did Ana Lima say?", ["Ana Lima", "Ana Costa"]).speakers == {"Ana Lima"}


def test_remembered_thread_links_equal_the_database_and_see_new_turns(chat_vault: knowme.Vault, tmp_path: Path) -> None:
    store = chat_vault.store
    ids = [h.chunk_id for h in chat_vault.search("bookshelf woodworking pottery", k=8)]
    first = store.thread_links(ids, SearchFilters())  # fills the memo
    again = store.thread_links([*reversed(ids), ids[0]], SearchFilters())  # from the memo
    fresh = store._thread_links(ids, SearchFilters())  # straight from the database
    assert first.previous and first.following
    assert dict(first.previous) == dict(again.previous) == dict(fresh.previous)
    assert dict(first.following) == dict(again.following) == dict(fresh.following)
    chat = SearchFilters(kinds=("chat_message",))  # what search asks for; remembered apart from the unfiltered links
    assert store.thread_links(ids, chat) == store.thread_links(ids, chat) == store._thread_links(ids, chat)
    assert store.thread_links(ids, SearchFilters(kinds=("email",))) == store._thread_links(
        ids, SearchFilters(kinds=("email",))
    )
    assert not store.thread_links(ids, SearchFilters(kinds=("email",))).previous
    # a new turn after the last one is a neighbour on the next search: writes move the generation
    last = next(h.chunk_id for h in chat_vault.search("varnish painted blue", k=1))
    assert last not in store.thread_links([last], SearchFilters()).following
    turns = [*TURNS, ("Ana", "Blue will look great next to her desk.")]
    chat_vault.ingest(write_chat(tmp_path / "ana-ben.chat.jsonl", turns))
    assert store.thread_links([last], SearchFilters()).following[last]


def test_a_turn_that_only_asks_counts_less(vault: knowme.Vault, tmp_path: Path) -> None:
    from dataclasses import replace

    from knowme.retrieve.search import HYBRID, QUESTION_FACTOR

    turns = [
        ("Ana", "Do you like the science museum in Porto?"),
        ("Ben", "Ask me later, I am driving."),
        ("Ana", "I like the science museum in Porto."),
    ]
    vault.ingest(write_chat(tmp_path / "museum.chat.jsonl", turns))
    question = "science museum in Porto"
    full = {h.ref: h.score for h in vault.search(question, k=3, preset=replace(HYBRID, turns=False))}
    hits = vault.search(question, k=3)
    scores = {h.ref: h.score for h in hits}
    assert scores["chat:m0"] == pytest.approx(QUESTION_FACTOR * full["chat:m0"])  # it only asks
    assert scores["chat:m2"] == pytest.approx(full["chat:m2"])  # it states
    assert abs(full["chat:m0"] - full["chat:m2"]) < 0.1 * full["chat:m2"]  # a near tie the factor decides
    assert hits[0].ref == "chat:m2"


def test_a_mail_reply_keeps_its_own_score(vault: knowme.Vault, tmp_path: Path) -> None:
    """Mail replies repeat the subject and quote what they answer: lending them the parent's score would count the
    same words twice, so only chat turns are read with their thread (an email thread is still linked)."""
    from dataclasses import replace

    from knowme.retrieve.search import HYBRID

    write_thread(
        tmp_path / "replies.mbox",
        [
            ("q1@example.org", None, "Boiler", "Could you send me the invoice number for the boiler repair?"),
            ("a1@example.org", "q1@example.org", "Re: Boiler", "Sure, here it is. Paid on the 3rd."),
            ("g1@example.org", None, "Garden", "The invoice for the hedge trimming is attached."),
            ("g2@example.org", "g1@example.org", "Re: Garden", "Thanks, I will pay it on Friday."),
        ],
    )
    vault.ingest(tmp_path / "replies.mbox")
    assert vault.store.records_by_ref("mail:a1@example.org")[0].follows == "mail:q1@example.org"
    question = "boiler repair invoice number"
    threaded = {h.ref: h.score for h in vault.search(question, k=4)}
    alone = {h.ref: h.score for h in vault.search(question, k=4, preset=replace(HYBRID, thread=False))}
    assert threaded == pytest.approx(alone)
    assert next(iter(threaded)) == "mail:q1@example.org"
