"""A small per-user re-ranker trained online from ratings: logistic regression over a hit's features.

Features of a hit (all in [0, 1], sparse, named): ``bias``; ``kind:<kind>``; ``source:<connector>`` (the part of
``Hit.source`` before ``:``); ``author:<name>`` (display name, lower-case, address dropped) and ``author:me`` for
the user's own items; ``recent`` (``exp(-age/90 days)`` against the newest hit of the same list, so an ``as_of``
search behaves like a search made that day); ``score`` (the hit's search score scaled to the list's best).

A rating ``+1``/``-1`` is one step of stochastic gradient descent on the log loss (learning rate ``lr``, L2 decay)
toward ``y = 1``/``0``. :meth:`Reranker.rerank` orders hits by ``base + w·x`` where ``base`` is the search score
scaled to [0, 1] and ``x`` leaves out ``bias`` and ``score``: with no ratings (all weights zero) the order is the
search's own. The weights are kept in the vault's meta table (:data:`META_KEY`); reset deletes them.

Edge cases: an undated hit has ``recent`` 0; a hit list of one is returned as is; unknown features weigh 0.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from knowme.models import Hit

META_KEY = "persona.reranker"
RECENCY_DAYS = 90.0
Features = dict[str, float]


def _author_key(author: str | None) -> str:
    name = re.sub(r"\s*<[^>]*>", "", str(author or "")).strip().strip('"').lower()
    return name or str(author or "").lower()


def hit_features(
    hit: Hit, *, newest: datetime | None, best: float, user_names: frozenset[str] = frozenset()
) -> Features:
    """The named features of ``hit`` within a list whose newest item is ``newest`` and best score ``best``."""
    x: Features = {"bias": 1.0, f"kind:{hit.kind}": 1.0, f"source:{hit.source.split(':', 1)[0]}": 1.0}
    author = _author_key(hit.author)
    if author:
        x[f"author:{author}"] = 1.0
        if author in user_names or (hit.author or "").lower() in user_names:
            x["author:me"] = 1.0
    if hit.timestamp is not None and newest is not None:
        age = max((newest - hit.timestamp).total_seconds() / 86400.0, 0.0)
        x["recent"] = math.exp(-age / RECENCY_DAYS)
    x["score"] = max(hit.score, 0.0) / best if best > 0 else 0.0
    return x


def list_features(hits: Sequence[Hit], user_names: frozenset[str] = frozenset()) -> list[Features]:
    stamps = [h.timestamp for h in hits if h.timestamp is not None]
    newest = max(stamps) if stamps else None
    best = max((h.score for h in hits), default=0.0)
    return [hit_features(h, newest=newest, best=best, user_names=user_names) for h in hits]


@dataclass
class Reranker:
    weights: dict[str, float] = field(default_factory=dict)
    updates: int = 0
    lr: float = 0.3
    l2: float = 0.001

    @property
    def trained(self) -> bool:
        return self.updates > 0 and any(abs(w) > 1e-9 for w in self.weights.values())

    def margin(self, x: Mapping[str, float], *, personal_only: bool = False) -> float:
        skip = ("bias", "score") if personal_only else ()
        return sum(self.weights.get(k, 0.0) * v for k, v in x.items() if k not in skip)

    def probability(self, x: Mapping[str, float]) -> float:
        z = max(min(self.margin(x), 30.0), -30.0)
        return 1.0 / (1.0 + math.exp(-z))

    def update(self, x: Mapping[str, float], rating: int) -> None:
        """One SGD step of logistic regression toward ``rating`` (+1 liked, -1 not)."""
        target = 1.0 if rating > 0 else 0.0
        error = target - self.probability(x)
        for key, value in x.items():
            w = self.weights.get(key, 0.0)
            self.weights[key] = w + self.lr * (error * value - self.l2 * w)
        self.updates += 1

    def rerank(self, hits: Sequence[Hit], user_names: frozenset[str] = frozenset()) -> list[Hit]:
        """``hits`` ordered by search score plus the learned preference; each hit's score becomes that sum."""
        if len(hits) < 2 or not self.trained:
            return list(hits)
        features = list_features(hits, user_names)
        scored = [
            (x["score"] + self.margin(x, personal_only=True), n, hit)
            for n, (hit, x) in enumerate(zip(hits, features, strict=True))
        ]
        scored.sort(key=lambda item: (-item[0], item[1]))
        return [replace(hit, score=round(score, 6)) for score, _, hit in scored]

    def to_json(self) -> str:
        return json.dumps({"weights": self.weights, "updates": self.updates}, sort_keys=True)

    @classmethod
    def from_json(cls, text: str | None) -> Reranker:
        if not text:
            return cls()
        data = json.loads(text)
        return cls(weights={str(k): float(v) for k, v in data.get("weights", {}).items()},
                   updates=int(data.get("updates", 0)))  # fmt: skip
