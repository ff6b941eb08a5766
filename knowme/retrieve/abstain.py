"""How sure retrieval is that the vault holds an answer: the "not found" signal ``ask`` uses to say it does not know.

A logistic function of the raw signals of a search (:class:`knowme.retrieve.search.Signals`): the best cosine
similarity of the question to any passage, and the share of the question's terms found in the best passage (ROC AUC
0.92 against unrelated questions). When the reranker has read the passages, ``ask`` uses the mean of this and the
reranker's own calibrated signal (:meth:`knowme.llm.rerank.Reranker.found`; together ROC AUC 0.99).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from knowme.models import Hit
from knowme.retrieve.search import SearchResult, Signals

# A class-balanced logistic regression on the LoCoMo development split: 760 answerable questions asked of their own
# conversation against 400 asked of another conversation's vault (ROC AUC 0.92; see docs/retrieval.md).
INTERCEPT = -5.28
COSINE_WEIGHT = 9.28
COVERAGE_WEIGHT = 4.19
# `ask` says it found nothing below this: on that split, with the mean of both signals 98.7% of answerable questions
# pass and 93% of unrelated ones stop; with this module's alone, 92% and 65%.
NOT_FOUND_BELOW = 0.3


def found(signals: Signals) -> float:
    """Probability-like confidence in [0, 1] that the best passages answer the question."""
    z = INTERCEPT + COSINE_WEIGHT * signals.best_cosine + COVERAGE_WEIGHT * signals.term_coverage
    return 1.0 / (1.0 + math.exp(-z))


def shown_found(result: SearchResult, shown: Sequence[Hit]) -> float:
    """The "found" signal for a caller who sees only ``shown`` of ``result`` (a client under a grant): the same
    estimate as the owner's, over the search it was allowed (its kinds only, inside the indexes), and 0.0 when none
    of it is left. Never 1.0 for any match: that would say "found" to every question."""
    if not shown:
        return 0.0
    signal = found(result.signals)
    return signal if result.found is None else (signal + result.found) / 2
