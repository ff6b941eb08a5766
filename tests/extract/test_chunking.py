from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from knowme.extract.chunking import MAX_WORDS, chunk_record, split_text
from knowme.models import Record, Section


def _rec(text: str = "", sections: tuple[Section, ...] = (), kind: str = "note", author: str | None = None) -> Record:
    return Record(
        source="t:/x",
        kind=kind,
        native_id="1",
        ref="note:1",
        text=text,
        title="Trip",
        sections=sections,
        author=author,
        timestamp=datetime(2025, 1, 1, tzinfo=UTC),
    )


def test_sections_are_never_crossed_and_anchor_the_chunks() -> None:
    rec = _rec(sections=(Section("Trip > Flights", "Flight TP123 at 9:40."), Section("Trip > Hotel", "Hotel Infante.")))
    chunks = chunk_record(rec)
    assert [(c.anchor, c.text) for c in chunks] == [
        ("Trip > Flights", "Flight TP123 at 9:40."),
        ("Trip > Hotel", "Hotel Infante."),
    ]
    assert chunks[0].index_text.startswith("Trip | Trip > Flights ")


def test_chat_chunks_are_indexed_with_the_speaker() -> None:
    chunk = chunk_record(_rec("See you at six", kind="chat_message", author="Ana"))[0]
    assert chunk.index_text == "Ana: See you at six"


def test_empty_record_still_gets_a_chunk() -> None:
    chunks = chunk_record(_rec(""))
    assert len(chunks) == 1 and chunks[0].text == "Trip"


@given(st.lists(st.text(alphabet="abc .\n", min_size=0, max_size=400), max_size=6))
def test_split_keeps_every_word_in_order_and_respects_the_limit(paragraphs: list[str]) -> None:
    text = "\n\n".join(paragraphs)
    pieces = split_text(text, max_words=20)
    assert " ".join(" ".join(pieces).split()) == " ".join(text.split())
    assert all(len(p.split()) <= 20 for p in pieces)


def test_long_text_is_split_near_the_limit() -> None:
    text = " ".join(f"Sentence number {i} is here." for i in range(200))
    pieces = split_text(text)
    assert len(pieces) > 1 and all(len(p.split()) <= MAX_WORDS for p in pieces)
