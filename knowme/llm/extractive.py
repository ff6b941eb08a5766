"""The extractive chat backend: no model at all, it quotes the passage sentences that best match the question.

For machines without a language model and for fast, deterministic tests. It reads the messages the ask
pipeline sends and answers with the one or two sentences of the numbered context passages whose words best
overlap the question's, each followed by its ``[n]`` marker. See :class:`ExtractiveBackend` for the format.

Edge cases: passages may span several lines and paragraphs (hard-wrapped email text included); a question
with no word in common with any passage, or a message without passages, gets :data:`NOT_FOUND`; ties go to the
earlier passage and sentence, so the same messages always give the same reply. ``max_tokens`` is applied to
whitespace-separated words and ``stop`` strings cut the reply, as a model would.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from knowme.config import LLMSettings
from knowme.llm.base import ChatBackend, CompletionOptions, Message
from knowme.plugins import hookimpl

NOT_FOUND = "I could not find the answer in the given context."

_MARKER = re.compile(r"^[ \t]*\[(\d+)\][ \t]*", re.MULTILINE)
_QUESTION = re.compile(r"^[ \t]*(?:question|q)[ \t]*:[ \t]*", re.IGNORECASE | re.MULTILINE)
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9])")
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")
_ABBREVIATIONS = frozenset({"mr", "mrs", "ms", "dr", "st", "jr", "sr", "prof", "vs", "etc", "e.g", "i.e", "approx"})
_REF = re.compile(r"^(?:mail|cal|vcf|note|chat|web):\S")
_TODAY = re.compile(r"^[ \t]*Today is [^\n]*\n?\Z", re.MULTILINE | re.IGNORECASE)
_SHORT_LINE = 50  # a shorter line is a header or list item, not hard-wrapped prose

_STOPWORDS = """
    a about above after again all also am an and any are as at be been before being below between both but by
    can could did do does doing done down during each either else ever every few for from further get got had has
    have having he her here hers herself him himself his how i if in into is it its itself just know let like me
    might mine more most much must my myself no nor not now of off on once only or other our ours ourselves out
    over own please same shall she should so some such tell than that the their theirs them themselves then there
    these they this those through to too under until up upon us very was we were what when where whether which
    while who whom whose why will with would yet you your yours yourself yourselves"""
STOPWORDS = frozenset(_STOPWORDS.split())


@dataclass(frozen=True)
class Passage:
    number: int
    text: str


@dataclass(frozen=True)
class _Candidate:
    number: int
    sentence: str
    terms: frozenset[str]  # the question's words in the sentence
    header_terms: frozenset[str]  # the question's words in its passage's header


def terms(text: str) -> list[str]:
    """Lower-cased content words of ``text``, plurals, possessives and "-ing" folded ("meetings" -> "meet")."""
    out = []
    for raw in _WORD.findall(text.lower()):
        word = raw.removesuffix("'s").replace("'", "")
        if word in STOPWORDS or not word:
            continue
        if len(word) > 4 and word.endswith("ies"):
            word = word[:-3] + "y"
        elif len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
            word = word[:-1]
        if len(word) > 5 and word.endswith("ing"):
            word = word[:-3]
        out.append(word)
    return out


def parse_prompt(messages: Sequence[Message]) -> tuple[list[Passage], str]:
    """Split the messages into numbered passages and the question (see :class:`ExtractiveBackend`)."""
    users = [m for m in messages if m.role == "user"]
    if not users:
        return [], ""
    text = users[-1].content
    question = ""
    labels = list(_QUESTION.finditer(text))
    if labels:
        question = text[labels[-1].end() :].strip()
        text = _TODAY.sub("", text[: labels[-1].start()])
    markers = list(_MARKER.finditer(text))
    if not markers:
        return [], question or text.strip()
    passages = []
    for index, match in enumerate(markers):
        end = markers[index + 1].start() if index + 1 < len(markers) else len(text)
        passages.append(Passage(int(match.group(1)), text[match.end() : end].strip()))
    if not question:
        preamble = text[: markers[0].start()].strip()
        last = passages[-1]
        lines = last.text.rstrip().splitlines()
        if len(lines) > 1 and lines[-1].strip().endswith("?"):
            question = lines[-1].strip()
            passages[-1] = Passage(last.number, "\n".join(lines[:-1]).strip())
        else:
            asked = [line.strip() for line in preamble.splitlines() if line.strip().endswith("?")]
            question = asked[-1] if asked else preamble
    return passages, question


def sentences(text: str) -> list[str]:
    """Split passage text into sentences, joining hard-wrapped lines of a paragraph."""
    out: list[str] = []
    for paragraph in re.split(r"\n[ \t]*\n", text):
        lines = [line.strip() for line in paragraph.splitlines() if line.strip()]
        units: list[str] = []
        for line in lines:
            bullet = line[:1] in "-*•"
            if units and not bullet and not units[-1].endswith((".", "!", "?", ":")) and len(units[-1]) >= _SHORT_LINE:
                units[-1] = f"{units[-1]} {line}"
            else:
                units.append(line.lstrip("-*• ").strip() if bullet else line)
        for unit in units:
            out.extend(_split_sentences(unit))
    return [s for s in out if s]


def _split_sentences(text: str) -> list[str]:
    pieces: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        piece = text[start : match.start()]
        words = piece.rstrip(".!?\"')]").split()  # a piece of only punctuation ("?!", "...") has no last word
        last_word = words[-1].lower() if words else ""
        if last_word.strip("(") in _ABBREVIATIONS or (len(last_word) == 1 and last_word.isalpha()):
            continue  # "Dr. Smith", "J. Doe": not a sentence end
        pieces.append(text[start : match.end()].strip())
        start = match.end()
    pieces.append(text[start:].strip())
    return [p for p in pieces if p]


def split_header(text: str) -> tuple[str, str]:
    """Split a passage into its header line (a ref, date or subject) and its body; the header may be empty.

    The marker's own line is a header when more lines follow and it starts with a ref (``mail:...``), is
    wholly in parentheses, is followed by a blank line, or is short and does not end a sentence. Otherwise it
    is part of the body.
    """
    first, newline, rest = text.partition("\n")
    first = first.strip()
    if not newline or not rest.strip():
        return "", text
    is_ref = _REF.match(first) is not None or (first.startswith("(") and first.endswith(")"))
    blank_after = rest.lstrip(" \t").startswith("\n")
    short = len(first) < _SHORT_LINE and not first.endswith((".", "!", "?"))
    return (first, rest) if is_ref or blank_after or short else ("", text)


def extract_answer(passages: Sequence[Passage], question: str) -> str:
    """The 1-2 sentences that best overlap ``question``, each followed by its passage marker.

    A sentence scores the idf of each question word it contains, plus half that for question words found only
    in its passage's header line (headers are never quoted themselves).
    """
    wanted = set(terms(question))
    candidates = []
    for passage in passages:
        header, body = split_header(passage.text)
        header_terms = frozenset(terms(header)) & wanted
        for sentence in sentences(body):
            candidates.append(_Candidate(passage.number, sentence, frozenset(terms(sentence)) & wanted, header_terms))
    if not wanted or not candidates:
        return NOT_FOUND
    df: dict[str, int] = {}
    for candidate in candidates:
        for term in candidate.terms:
            df[term] = df.get(term, 0) + 1
    idf = {term: math.log(1 + len(candidates) / count) for term, count in df.items()}

    def score(candidate: _Candidate) -> float:
        own = sum(idf[t] for t in candidate.terms)
        return own + sum(idf.get(t, 1.0) for t in candidate.header_terms - candidate.terms) / 2

    scores = [score(c) for c in candidates]
    ranked = sorted(range(len(candidates)), key=lambda i: (-scores[i], i))
    best = candidates[ranked[0]]
    if not best.terms:
        return NOT_FOUND  # only header words matched: no sentence says it
    covered = best.terms | best.header_terms
    chosen = [ranked[0]]
    for i in ranked[1:]:
        if scores[i] < scores[ranked[0]] / 2:
            break
        other = candidates[i]
        if other.sentence != best.sentence and other.terms - covered:
            chosen.append(i)
            break
    return " ".join(f"{candidates[i].sentence} [{candidates[i].number}]" for i in sorted(chosen))


def _apply_options(text: str, options: CompletionOptions) -> str:
    for stop in options.stop:
        if stop and stop in text:
            text = text[: text.index(stop)]
    words = text.split(" ")
    if len(words) > options.max_tokens:
        text = " ".join(words[: options.max_tokens])
    return text.rstrip()


class ExtractiveBackend(ChatBackend):
    """Answers by quoting context sentences; no model, deterministic.

    It expects the ask pipeline's messages (``knowme.assist.ask.build_messages``): any system messages
    (ignored), then a last user message holding numbered context passages and the question, like::

        Context passages:
        [1] (email, 2024-03-02 18:05, from anna@example.org, "Dinner on Friday")
        Anna will bring the wine and Ben the cheese.

        [2] (note, 2024-04-10 09:00, "Rome")
        Flights to Rome leave at 07:40 on 12 May.

        Today is Monday 06 May 2024.
        Question: Who brings the wine?

    A passage starts with ``[n]`` at the beginning of a line and runs to the next marker, to the ``Question:``
    (or ``Q:``) line, or to the end; a "Today is ..." line just before the question is not part of it. A
    passage's first line is a header when it looks like one (see :func:`split_header`): its words help rank
    the passage's sentences but it is never quoted. Without a ``Question:`` label, the question is the last
    line of the message when it ends with "?", else the last line before the first passage that does.

    The reply is the best sentence, and a second one when it covers question words the first does not and
    scores at least half as well, in passage order, each followed by its marker:
    ``Anna will bring the wine and Ben the cheese. [1]``. When nothing overlaps the reply is :data:`NOT_FOUND`.
    """

    name = "extractive"

    def __init__(self, settings: LLMSettings) -> None:
        self.settings = settings

    def describe(self) -> str:
        return "extractive (quotes the best-matching context sentences; no language model)"

    def complete(self, messages: Sequence[Message], options: CompletionOptions | None = None) -> str:
        passages, question = parse_prompt(messages)
        answer = extract_answer(passages, question) if passages else NOT_FOUND
        return _apply_options(answer, options or CompletionOptions())


@hookimpl
def register_chat_backends() -> list[type[ChatBackend]]:
    return [ExtractiveBackend]
