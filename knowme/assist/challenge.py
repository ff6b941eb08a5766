"""Healthy dissonance: for a question that seeks advice, a clearly labelled counterpoint from the user's own history.

:func:`is_advice` recognises advice-seeking questions ("should I ...", "is it a good idea to ...", "what do you
think about ...", "would it be wise ..."). :func:`counterpoint` then looks, among the user's own notes and messages
that search finds for the question and that share a content word with it, for a sentence that records a lesson or
how a past decision turned out ("I learned", "lesson", "regret", "in hindsight", "next time", "turned out", "was a
mistake", "never again", "glad I ..."); failing that, a stated value or rule from a scope the question does not
touch, which the answer might overlook. The counterpoint is labelled as such, quotes its source and cites its ref;
when nothing fits there is none (never an invented one).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from knowme.models import Hit
from knowme.models.persona import Preference
from knowme.persona.prefs import guess_scopes, words

ADVICE = re.compile(
    r"^\s*(?:should (?:I|we)|shall (?:I|we)|is it (?:a good idea|wise|worth)|would it be (?:wise|smart|a good idea)|"
    r"what do you think (?:about|of)|do you think I should|am I right to|would you|is .* worth it|"
    r"(?:can|could) you advise)\b",
    re.IGNORECASE,
)
LESSON = re.compile(
    r"\b(?:I learned|I've learned|lesson|regret|in hindsight|next time|turned out|was a mistake|never again|"
    r"glad (?:I|we)|should have|shouldn't have|worked out|didn't work|note to self)\b",
    re.IGNORECASE,
)
LABEL = "Counterpoint"


@dataclass(frozen=True)
class Counterpoint:
    text: str
    refs: tuple[str, ...]


def is_advice(question: str) -> bool:
    return bool(ADVICE.search(question))


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+|\n+", text) if s.strip()]


def counterpoint(
    question: str, hits: Sequence[Hit], preferences: Sequence[Preference], *, user_names: frozenset[str]
) -> Counterpoint | None:
    asked = words(question)
    for hit in hits:
        own = hit.kind == "note" or (hit.author or "").lower() in user_names or hit.author == "me"
        if not own or not asked & words(hit.text):
            continue  # someone else's words, or a lesson about something else
        for sentence in _sentences(hit.text):
            if LESSON.search(sentence) and len(sentence) <= 300:
                when = f" on {hit.timestamp:%d %B %Y}" if hit.timestamp else ""
                return Counterpoint(f"{LABEL} (from your own history): you wrote{when}: \u201c{sentence}\u201d",
                                    (hit.ref,))  # fmt: skip
    scopes = set(guess_scopes(question))
    for pref in sorted(preferences, key=lambda p: -p.strength):
        if pref.active and pref.polarity in ("value", "rule") and pref.scope not in scopes:
            return Counterpoint(f"{LABEL} (your values): you said \u201c{pref.statement}\u201d; does this fit?",
                                pref.refs)  # fmt: skip
    return None
