"""Feedback: ratings that train the re-ranker, and corrections that become rules or facts.

- A rating (``+1``/``-1``) on a hit (a source-native ref) is one online update of the user's
  :class:`~knowme.persona.rerank.Reranker`. The hit's features come from the search it was shown in when the query
  is given (its score and recency relative to that list), else from the record alone (no recency, a middling
  score). The features are kept with the feedback row.
- A correction that reads as a standing preference or rule ("never ...", "always ...", "I prefer ...", "avoid ...")
  becomes a :class:`~knowme.models.persona.Preference` of origin ``feedback``; any other correction becomes a remembered
  note (``note:remembered/...``) whose meta names the feedback and the corrected ref, and the graph's extractors read
  facts from it like from any note, so the fact's provenance leads back to the feedback. Forgetting that note
  forgets the facts.

Edge cases: a rating other than +1/-1, feedback with neither rating nor correction, and a rating on a ref the
vault does not hold are :class:`~knowme.errors.ConfigError`.
"""

from __future__ import annotations

import re

from knowme.models import Hit, Record
from knowme.models.graph import USER_ID
from knowme.persona.prefs import guess_polarity
from knowme.persona.rerank import META_KEY, Features, Reranker, hit_features, list_features
from knowme.store.base import Store

TARGET_TYPES = ("hit", "answer", "draft", "suggestion")
_PREFERENCE_WORDS = re.compile(
    r"^\s*(?:I\s+(?:prefer|like|love|hate|dislike|avoid|don't like|do not like|value|'d rather|would rather)|"
    r"(?:please\s+)?(?:avoid|prefer|never|always|don't|do not)\b)",
    re.IGNORECASE,
)


def user_names(store: Store) -> frozenset[str]:
    return frozenset(a.alias.lower() for a in store.graph().aliases(USER_ID))


def load_reranker(store: Store) -> Reranker:
    return Reranker.from_json(store.get_meta(META_KEY))


def save_reranker(store: Store, reranker: Reranker) -> None:
    store.set_meta(META_KEY, reranker.to_json())


def reads_as_rule(text: str) -> bool:
    return bool(_PREFERENCE_WORDS.match(text)) or guess_polarity(text) != "prefer"


def record_hit(record: Record) -> Hit:
    return Hit(record.ref, record.text, record.source, record.kind, record.timestamp, 0.5, title=record.title,
               author=record.author, record_id=record.id)  # fmt: skip


def features_for(store: Store, ref: str, shown: list[Hit] | None) -> Features:
    """The features the rated hit had where it was shown (``shown``), or those of its record alone."""
    names = user_names(store)
    if shown:
        for hit, x in zip(shown, list_features(shown, names), strict=True):
            if hit.ref == ref:
                return x
    records = store.records_by_ref(ref)
    return hit_features(record_hit(records[-1]), newest=None, best=1.0, user_names=names)
