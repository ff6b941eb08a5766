"""The extractive backend: quotes the best-matching context sentences with their markers."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from knowme.config import LLMSettings
from knowme.llm.base import CompletionOptions, Message
from knowme.llm.extractive import NOT_FOUND, ExtractiveBackend, parse_prompt, sentences, split_header
from knowme.plugins import chat_backends

SYSTEM = Message(
    "system",
    "Answer the question using only the numbered context passages. Cite each fact with its [n] marker.",
)
CONTEXT = """Context:
[1] mail:8f2c@example.org (2024-03-02, email) Subject: Dinner on Friday
Hi all, dinner is at Luigi's at 19:30. Anna will bring the wine and
Ben promised to bake a cake for dessert. Please confirm by Thursday.

[2] note:trips/rome.md (2024-04-10, note)
Flights to Rome leave at 07:40 on 12 May from Gate B.
The hotel is near the Pantheon. Dr. Rossi recommended the museum passes.

[3] cal:42-standup@example.org (2024-05-06, event) Weekly standup
Standup with the platform team every Monday at 09:15 in room 4.
"""


def ask(question: str, context: str = CONTEXT, **options: object) -> str:
    backend = ExtractiveBackend(LLMSettings(backend="extractive"))
    messages = [SYSTEM, Message("user", f"{context}\nQuestion: {question}")]
    return backend.complete(messages, CompletionOptions(**options))  # type: ignore[arg-type]


def test_registered_as_a_plugin() -> None:
    assert chat_backends()["extractive"] is ExtractiveBackend


def test_picks_the_right_sentence_and_marker() -> None:
    assert ask("When does my flight to Rome leave?") == "Flights to Rome leave at 07:40 on 12 May from Gate B. [2]"
    assert ask("Who is bringing wine to the dinner?") == (
        "Anna will bring the wine and Ben promised to bake a cake for dessert. [1]"
    )
    assert ask("What time is the weekly standup?").endswith("every Monday at 09:15 in room 4. [3]")


def test_hard_wrapped_lines_are_joined_and_abbreviations_do_not_split() -> None:
    text = "We met at the station and Anna said that she will bring the wine and\nBen a cake. Dr. Rossi said hi."
    assert sentences(text) == [
        "We met at the station and Anna said that she will bring the wine and Ben a cake.",
        "Dr. Rossi said hi.",
    ]
    assert sentences("Subject: Dinner\nDinner is at 8.\n- bring wine\n- bring cake") == [
        "Subject: Dinner",
        "Dinner is at 8.",
        "bring wine",
        "bring cake",
    ]
    assert ask("Which doctor recommended museum passes?") == "Dr. Rossi recommended the museum passes. [2]"


def test_two_sentences_when_the_question_spans_passages() -> None:
    answer = ask("Where is the hotel and when is the standup?")
    assert answer == (
        "The hotel is near the Pantheon. [2] Standup with the platform team every Monday at 09:15 in room 4. [3]"
    )


def test_deterministic() -> None:
    answers = {ask("Who bakes the cake?") for _ in range(5)}
    assert answers == {"Anna will bring the wine and Ben promised to bake a cake for dessert. [1]"}


def test_nothing_in_common_gives_not_found() -> None:
    assert ask("What is the boiling point of mercury?") == NOT_FOUND
    backend = ExtractiveBackend(LLMSettings(backend="extractive"))
    assert backend.complete([SYSTEM, Message("user", "Question: where are my keys?")]) == NOT_FOUND
    assert backend.complete([SYSTEM]) == NOT_FOUND


def test_question_without_a_label() -> None:
    passages, question = parse_prompt([Message("user", CONTEXT + "\nWhen do flights to Rome leave?")])
    assert [p.number for p in passages] == [1, 2, 3]
    assert question == "When do flights to Rome leave?"
    assert "flights" not in passages[-1].text.lower()
    passages, question = parse_prompt([Message("user", "What did Anna bring?\n\n" + CONTEXT)])
    assert question == "What did Anna bring?"
    assert len(passages) == 3


def test_stop_and_max_tokens_apply() -> None:
    assert ask("When does my flight to Rome leave?", stop=(" from",)) == "Flights to Rome leave at 07:40 on 12 May"
    assert ask("When does my flight to Rome leave?", max_tokens=3) == "Flights to Rome"


def test_header_lines_are_context_not_quotes() -> None:
    header, body = split_header("mail:8f2c@example.org (2024-03-02) Weekly report\nSales rose by 4 percent.")
    assert header.startswith("mail:8f2c@example.org")
    assert body.strip() == "Sales rose by 4 percent."
    assert split_header("One line passage about sales.") == ("", "One line passage about sales.")
    report = "[2] mail:x@y (2024-03-02) Weekly report\nSales rose by 4 percent.\n"
    # header words help pick the passage, but only a body sentence is ever quoted
    assert ask("What did the weekly report say?", context="[1] note:a.md\nThe garden needs water.\n" + report) == (
        NOT_FOUND
    )
    assert ask("How much did sales rise in the weekly report?", context="[1] note:a.md\nSeeds fell.\n" + report) == (
        "Sales rose by 4 percent. [2]"
    )


def test_the_ask_pipeline_format() -> None:
    user = (
        "Context passages:\n"
        "[1] (email, 2024-03-02 18:05, from anna@example.org, \u201cDinner on Friday at Luigi\u2019s\u201d)\n"
        "Hi both, see you at Luigi's. I will bring the wine, and Ben said he would bring the cheese.\n\n"
        "[2] (calendar event, 2024-03-08 19:30, \u201cDinner at Luigi\u2019s\u201d)\n"
        "Dinner at Luigi's, Via Roma 3. Table for four.\n\n"
        "[3] (note, 2024-02-11 10:00, \u201cGroceries\u201d)\nMilk, eggs, bread.\n\n"
        "Today is Monday 04 March 2024.\n"
        "Question: Who is bringing the cheese to dinner on Friday?"
    )
    passages, question = parse_prompt([SYSTEM, Message("user", user)])
    assert [p.number for p in passages] == [1, 2, 3]
    assert question == "Who is bringing the cheese to dinner on Friday?"
    assert "Today is" not in passages[2].text
    assert split_header(passages[0].text)[0].startswith("(email, 2024-03-02 18:05")
    backend = ExtractiveBackend(LLMSettings(backend="extractive"))
    assert backend.complete([SYSTEM, Message("user", user)]) == (
        "I will bring the wine, and Ben said he would bring the cheese. [1]"
    )


def test_passages_of_punctuation_do_not_crash_the_reader() -> None:
    """A sentence end after a piece that is only punctuation ("?!", "...", "(!)") raised IndexError."""
    for text in ("?! Really?", "Wait... ... what?! Yes.", "(!) Done. )", "\u2026 ?!? .", "a. ?! b."):
        assert all(s.strip() for s in sentences(text))
    context = "Context:\n[1] note:odd.md (2024-01-01, note)\n?! ... The spare key is under the blue pot. ?!\n"
    assert "blue pot" in ask("Where is the spare key?", context)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.text(
        alphabet=st.sampled_from(list("ab .?!\"')](\n\t…—ÇãЖ日本語🙂")) | st.characters(blacklist_categories=["Cs"]),
        max_size=400,
    )
)
def test_the_reader_never_raises_on_hostile_passages(text: str) -> None:
    """Empty sentences, only punctuation, long lines, mixed scripts: the reader answers or says not found."""
    for sentence in sentences(text):
        assert sentence.strip()
    context = f"Context:\n[1] note:x.md (2024-01-01, note)\n{text}\n"
    reply = ask("What is it?", context)
    assert isinstance(reply, str) and reply.strip()
