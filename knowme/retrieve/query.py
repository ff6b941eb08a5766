"""Query analysis: the terms a full-text index should look for, and the people a question is about.

Hand-written because it is small and ours: lower-cased word tokens (Unicode-aware, diacritics kept for the index's
own folding), English stop words and one-letter tokens removed. If nothing survives (a question made only of stop
words), the raw tokens are used so that a search never silently matches nothing.

:func:`analyse` also finds the chat speakers a question names (full name, or a first name only one speaker has;
possessives included; role labels such as "me" or "assistant" and email addresses are never names), so that search
can prefer what those people said and embed the question without their names.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from knowme.retrieve.when import Window, time_windows

_TOKEN = re.compile(r"[^\W_]+(?:['’][^\W_]+)?", re.UNICODE)

STOP_WORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "am",
        "an",
        "and",
        "any",
        "are",
        "aren't",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "can't",
        "cannot",
        "could",
        "couldn't",
        "did",
        "didn't",
        "do",
        "does",
        "doesn't",
        "doing",
        "don't",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "had",
        "hadn't",
        "has",
        "hasn't",
        "have",
        "haven't",
        "having",
        "he",
        "he'd",
        "he'll",
        "he's",
        "her",
        "here",
        "here's",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "how's",
        "i",
        "i'd",
        "i'll",
        "i'm",
        "i've",
        "if",
        "in",
        "into",
        "is",
        "isn't",
        "it",
        "it's",
        "its",
        "itself",
        "let's",
        "me",
        "more",
        "most",
        "mustn't",
        "my",
        "myself",
        "no",
        "nor",
        "not",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "ought",
        "our",
        "ours",
        "ourselves",
        "out",
        "over",
        "own",
        "same",
        "shan't",
        "she",
        "she'd",
        "she'll",
        "she's",
        "should",
        "shouldn't",
        "so",
        "some",
        "such",
        "than",
        "that",
        "that's",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "there's",
        "these",
        "they",
        "they'd",
        "they'll",
        "they're",
        "they've",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "wasn't",
        "we",
        "we'd",
        "we'll",
        "we're",
        "we've",
        "were",
        "weren't",
        "what",
        "what's",
        "when",
        "when's",
        "where",
        "where's",
        "which",
        "while",
        "who",
        "who's",
        "whom",
        "why",
        "why's",
        "with",
        "won't",
        "would",
        "wouldn't",
        "you",
        "you'd",
        "you'll",
        "you're",
        "you've",
        "your",
        "yours",
        "yourself",
        "yourselves",
        "did",
        "does",
        "tell",
        "know",
        "remember",
    ]
)


def tokens(text: str) -> list[str]:
    return [t.replace("’", "'").lower() for t in _TOKEN.findall(text)]


def query_terms(text: str) -> list[str]:
    """Distinct search terms of ``text`` in order of appearance."""
    raw = tokens(text)
    kept = [t for t in raw if t not in STOP_WORDS and (len(t) > 1 or t.isdigit())]
    chosen = kept or raw
    # FTS tokenizers split on apostrophes; keep the parts so "Tom's" still finds "Tom".
    out: list[str] = []
    for term in chosen:
        for part in term.split("'"):
            if part and part not in out and (part not in STOP_WORDS or not kept) and part != "s":
                out.append(part)
    return out


def count_tokens(text: str) -> int:
    """A model-independent token estimate (words and punctuation marks), used for context budgets."""
    return len(re.findall(r"\w+|[^\w\s]", text))


# Names that label a side of a conversation rather than a person the question could be about.
_ROLE_NAMES = frozenset({"me", "i", "you", "user", "assistant", "system", "tool", "chatgpt", "bot"})


@dataclass(frozen=True)
class QueryAnalysis:
    """What a question says about where its answer is."""

    text: str
    terms: list[str]
    speakers: frozenset[str]  # chat speakers the question names ("What did Caroline research?")
    dense_text: str  # the question without those names: their messages are told apart by author instead
    windows: tuple[Window, ...] = ()  # the days the question points at ("on 9 November 2022", "last week")
    relatives: tuple[str, ...] = ()  # names of the people it calls by their relation to the owner ("my brother")


def _name_pattern(name: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![\w]){re.escape(name)}(?:['’]s)?(?![\w])", re.IGNORECASE)


def analyse(text: str, speakers: Iterable[str] = (), *, today: date | None = None) -> QueryAnalysis:
    """Find the chat speakers ``text`` names (by full name, or by first name when only one speaker has it) and the
    days it points at (:func:`knowme.retrieve.when.time_windows`, relative to ``today``, default the local date)."""
    by_first: dict[str, set[str]] = {}
    for speaker in speakers:
        words = speaker.split()
        if not words or speaker.lower() in _ROLE_NAMES or len(speaker) < 2 or "@" in speaker:
            continue
        by_first.setdefault(words[0].lower(), set()).add(speaker)
    lowered = {part for token in tokens(text) for part in token.split("'")}
    named: set[str] = set()
    spans: list[str] = []
    for first, owners in by_first.items():
        if first not in lowered or first in STOP_WORDS:
            continue
        for owner in owners:
            if _name_pattern(owner).search(text):
                named.add(owner)
                spans.append(owner)
        if not named & owners and len(owners) == 1:
            named |= owners
            spans.append(first)
    dense = text
    for span in sorted(spans, key=len, reverse=True):
        dense = _name_pattern(span).sub(" ", dense)
    dense = re.sub(r"\s+", " ", dense).strip() or text
    windows = time_windows(text, today or date.today())
    return QueryAnalysis(text, query_terms(text), frozenset(named), dense, windows)
