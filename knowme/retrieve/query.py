"""Query analysis: the terms a full-text index should look for.

Hand-written because it is small and ours: lower-cased word tokens (Unicode-aware, diacritics kept for the index's
own folding), English stop words and one-letter tokens removed. If nothing survives (a question made only of stop
words), the raw tokens are used so that a search never silently matches nothing.
"""

from __future__ import annotations

import re

_TOKEN = re.compile(r"[^\W_]+(?:['’][^\W_]+)?", re.UNICODE)

STOP_WORDS = frozenset(
    """
    a about above after again against all am an and any are aren't as at be because been before being below between
    both but by can can't cannot could couldn't did didn't do does doesn't doing don't down during each few for from
    further had hadn't has hasn't have haven't having he he'd he'll he's her here here's hers herself him himself his
    how how's i i'd i'll i'm i've if in into is isn't it it's its itself let's me more most mustn't my myself no nor
    not of off on once only or other ought our ours ourselves out over own same shan't she she'd she'll she's should
    shouldn't so some such than that that's the their theirs them themselves then there there's these they they'd
    they'll they're they've this those through to too under until up very was wasn't we we'd we'll we're we've were
    weren't what what's when when's where where's which while who who's whom why why's with won't would wouldn't you
    you'd you'll you're you've your yours yourself yourselves did does tell know remember
    """.split()
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
