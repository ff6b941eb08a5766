"""The person's side of an open vault, as ``vault.persona``: stated and inferred preferences, feedback (ratings
that train the re-ranker, corrections that become rules or facts), the writing style, and the re-ranker handed to
search.

:class:`Persona` works over an open vault's parts; search and "remember this" are handed in, so this folder needs
neither the ingest pipeline nor the vault.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime
from typing import Protocol

from knowme.errors import ConfigError
from knowme.models import Hit, Record, stable_hash
from knowme.models.persona import Feedback, Preference
from knowme.parts import Parts
from knowme.persona import feedback as fb
from knowme.persona.prefs import all_preferences, applicable, find_preference, make_preference
from knowme.persona.rerank import META_KEY
from knowme.persona.style import StyleProfile, learn_style, sent_messages, style_for
from knowme.text.when import DateLike, local_tz

#: ``search(query, k, as_of)``: what the user was shown for a query, without their own re-ranking.
ShownFor = Callable[[str, int, DateLike | None], list[Hit]]


class Remember(Protocol):
    """Store a note the user stated and fold it into the graph (the ingest stage's ``remember``)."""

    def __call__(self, text: str, *, title: str, source: str, meta: Mapping[str, object] | None) -> Record: ...


class Persona:
    def __init__(self, parts: Parts, *, shown_for: ShownFor, remember: Remember) -> None:
        self.parts = parts
        self.shown_for = shown_for
        self.remember = remember

    # -- preferences and rules -----------------------------------------------------------------------------
    def prefer(
        self, statement: str, *, avoid: bool = False, scope: str | None = None, strength: float = 1.0,
        polarity: str | None = None,
    ) -> Preference:  # fmt: skip
        """Record a standing preference or rule the user states ("never book meetings before 10:00"); the scope is
        guessed from the words unless given."""
        pref = make_preference(statement, avoid=avoid, scope=scope, strength=strength, polarity=polarity)
        self._put(pref)
        return pref

    def preferences(self, *, include_inactive: bool = False) -> list[Preference]:
        """Stated preferences, those inferred from the user's own words (diet, likes, dislikes) and those learned
        from feedback."""
        return all_preferences(self.parts.store, include_inactive=include_inactive)

    def applicable(self, question: str, *, limit: int = 5) -> list[Preference]:
        """The active preferences that bear on ``question`` (same scope, or a shared word), strongest first."""
        return applicable(self.preferences(), question, limit=limit)

    def edit(
        self, preference_id: str, *, statement: str | None = None, scope: str | None = None,
        strength: float | None = None, active: bool | None = None,
    ) -> Preference:  # fmt: skip
        """Change a preference (an inferred one keeps its source; the edit is stored beside it)."""
        pref = find_preference(self.parts.store, preference_id)
        if strength is not None and not 0.0 <= strength <= 1.0:
            raise ConfigError(f"strength must be between 0 and 1, not {strength}")
        changed = replace(
            pref,
            statement=" ".join(statement.split()) if statement else pref.statement,
            scope=scope.strip().lower() if scope else pref.scope,
            strength=pref.strength if strength is None else strength,
            active=pref.active if active is None else active,
        )
        self._put(changed)
        return changed

    def remove(self, preference_id: str) -> Preference:
        """Delete a stated or learned preference; an inferred one is hidden (its source record stays)."""
        pref = find_preference(self.parts.store, preference_id)
        if pref.origin == "inferred":
            return self.edit(preference_id, active=False)
        with self.parts.store.transaction():
            self.parts.store.persona().delete_preference(preference_id)
        return pref

    def _put(self, pref: Preference) -> None:
        with self.parts.store.transaction():
            self.parts.store.persona().put_preference(pref)

    # -- feedback ------------------------------------------------------------------------------------------
    def feedback(
        self, ref: str, *, rating: int | None = None, correction: str | None = None, query: str | None = None,
        target_type: str = "hit", as_of: DateLike | None = None,
    ) -> Feedback:  # fmt: skip
        """Rate (+1/-1) or correct what knowme showed: a rating on a hit trains the re-ranker (pass the ``query`` it
        was shown for, so its rank and recency count); a correction becomes a rule or a fact, with this feedback as
        its provenance."""
        self._check_feedback(ref, rating, correction, target_type)
        now = datetime.now(local_tz()).replace(microsecond=0)
        fid = "f" + stable_hash(ref, str(rating), correction or "", now.isoformat(), length=12)
        detail: dict[str, object] = {"query": query} if query else {}
        if rating is not None and target_type == "hit":
            detail["features"] = self._train(ref, rating, query, as_of)
        text = " ".join((correction or "").split())
        if text and fb.reads_as_rule(text):
            pref = make_preference(text, origin="feedback", strength=0.8, provenance={"feedback": fid, "ref": ref})
            self._put(pref)
            detail["preference"] = pref.id
        elif text:
            meta = {"feedback": fid, "corrects": ref}
            record = self.remember(text, title=f"Correction to {ref}", source="feedback", meta=meta)
            detail["record"] = record.ref
            detail["facts"] = sorted(self.parts.store.graph().supported_by("fact", [record.id]))
        item = Feedback(fid, target_type, ref, rating, text or None, now.isoformat(), detail)
        with self.parts.store.transaction():
            self.parts.store.persona().add_feedback(item)
        return item

    def _check_feedback(self, ref: str, rating: int | None, correction: str | None, target_type: str) -> None:
        if rating is None and not (correction or "").strip():
            raise ConfigError("give a --rating (+1 or -1) or a --correction")
        if rating is not None and rating not in (1, -1):
            raise ConfigError(f"a rating is +1 or -1, not {rating}")
        if target_type not in fb.TARGET_TYPES:
            raise ConfigError(f"unknown feedback target {target_type!r}; use one of {', '.join(fb.TARGET_TYPES)}")
        if target_type == "hit" and not self.parts.store.records_by_ref(ref):
            raise ConfigError(f"no record {ref!r} in the vault; rate a ref that search or ask showed")

    def _train(self, ref: str, rating: int, query: str | None, as_of: DateLike | None) -> object:
        store = self.parts.store
        shown = self.shown_for(query, 40, as_of) if query else None
        features = fb.features_for(store, ref, shown)
        reranker = fb.load_reranker(store)
        reranker.update(features, rating)
        fb.save_reranker(store, reranker)
        return features

    def reset_feedback(self) -> int:
        """Forget the re-ranker and the ratings that trained it (corrections and what they became stay); return how
        many ratings went."""
        with self.parts.store.transaction():
            self.parts.store.set_meta(META_KEY, "")
            return self.parts.store.persona().clear_ratings()

    def reorder(self) -> Callable[[list[Hit]], list[Hit]] | None:
        """The re-ranker learned from the user's ratings as a function on hits, or None while it has learned
        nothing."""
        reranker = fb.load_reranker(self.parts.store)
        if not reranker.trained:
            return None
        names = fb.user_names(self.parts.store)
        return lambda hits: reranker.rerank(hits, names)

    def user_names(self) -> frozenset[str]:
        """The names and addresses the user goes by."""
        return fb.user_names(self.parts.store)

    # -- style ---------------------------------------------------------------------------------------------
    def style(self, recipient: str | None = None) -> StyleProfile:
        """The user's writing style from their sent mail and chat lines; with ``recipient`` (a name or address),
        the style they use with that person when there are enough examples."""
        messages = sent_messages(self.parts.store)
        return style_for(messages, recipient) if recipient else learn_style(messages)
