"""The personal constitution: the user's standing preferences and rules, stated, inferred from their data, or learned
from feedback, and which of them apply to a request.

- :func:`make_preference` turns what the user typed into a :class:`Preference`: the polarity from the wording
  ("never ...", "always ..." are rules; ``avoid=True`` or "avoid ..." an avoidance; "I value ..." a value) and the
  scope guessed from keywords (:data:`SCOPES`: scheduling, food, writing, money, travel, health, work, family), or
  ``general`` when nothing matches. A scope given by the user wins.
- :func:`inferred_preferences` reads the graph's facts about the user (diet, likes, dislikes) as preferences of
  origin ``inferred``, citing the records behind each fact; forgetting those records removes them with the facts.
  A stored row with the same id records the user's edits (strength, scope, hidden).
- :func:`applicable` picks the preferences that bear on a question: same scope as the question, or sharing a content
  word with it; strongest first, at most ``limit``.

Edge cases: an empty statement is a :class:`~knowme.errors.ConfigError`; so are an unknown polarity or a strength
outside [0, 1]. A negated fact ("not vegetarian any more") never becomes a preference: the extractor does not claim it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import UTC, datetime

from knowme.errors import ConfigError
from knowme.models import stable_hash
from knowme.models.graph import USER_ID
from knowme.models.persona import POLARITIES, Preference
from knowme.store.base import Store

SCOPES: dict[str, tuple[str, ...]] = {
    "scheduling": (
        "meeting", "meetings", "book", "booking", "schedule", "calendar", "call", "calls", "slot", "slots",
        "appointment", "morning", "mornings", "afternoon", "evening", "evenings", "weekend", "weekends", "monday",
        "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "am", "pm", "when", "time", "free",
        "busy", "focus", "deep work",
    ),
    "food": (
        "eat", "eating", "food", "meat", "red meat", "fish", "vegetarian", "vegan", "pescatarian", "diet", "dinner",
        "lunch", "breakfast", "restaurant", "restaurants", "cook", "cooking", "recipe", "meal", "meals", "dairy",
        "gluten", "drink", "alcohol", "wine", "beer", "coffee", "spicy", "dessert", "sushi", "keto",
    ),
    "writing": (
        "write", "writing", "email", "emails", "reply", "replies", "draft", "tone", "formal", "informal", "emoji",
        "sign-off", "message", "messages", "wording", "words",
    ),
    "money": (
        "money", "spend", "spending", "budget", "pay", "price", "cost", "costs", "expensive", "cheap", "invest",
        "investment", "savings", "save", "saving", "loan", "debt", "subscription", "buy", "purchase",
    ),
    "travel": ("travel", "trip", "trips", "flight", "flights", "fly", "train", "hotel", "seat", "holiday", "vacation"),
    "health": ("health", "sleep", "exercise", "workout", "gym", "run", "running", "doctor", "allergy", "medication"),
    "work": ("work", "job", "career", "project", "projects", "manager", "team", "office", "colleague", "colleagues"),
    "family": ("family", "mother", "father", "kids", "children", "partner", "parents", "brother", "sister"),
}  # fmt: skip
_STOP_WORDS = (
    "a an the and or of to in on at for with by from is are be i me my we our you your it this that what which who "
    "how when where should would could can do does did never always not no don't avoid prefer like love hate any "
    "some please about before after than more less very really"
)
STOP = frozenset(_STOP_WORDS.split())
INFERRED_PREDICATES = {"diet": "prefer", "likes": "prefer", "dislikes": "avoid"}


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def words(text: str) -> set[str]:
    """Content words of ``text``, lower-case, with a crude plural fold ("meetings" -> "meeting")."""
    found = set()
    for w in re.findall(r"[a-z][a-z'\-]+", text.lower()):
        if w in STOP or len(w) < 3:
            continue
        found.add(w[:-1] if w.endswith("s") and len(w) > 4 and not w.endswith("ss") else w)
    return found


def guess_scopes(text: str) -> list[str]:
    """The scopes whose keywords ``text`` mentions, most mentioned first (times like 10:00 mean scheduling)."""
    low = f" {text.lower()} "
    counts: dict[str, int] = {}
    for scope, keys in SCOPES.items():
        n = sum(1 for k in keys if re.search(rf"(?<![\w-]){re.escape(k)}(?![\w-])", low))
        if n:
            counts[scope] = n
    if re.search(r"\b\d{1,2}(?::\d{2}|\s?(?:am|pm|h))\b", low):
        counts["scheduling"] = counts.get("scheduling", 0) + 1
    return sorted(counts, key=lambda s: -counts[s])


def guess_scope(text: str) -> str:
    scopes = guess_scopes(text)
    return scopes[0] if scopes else "general"


def guess_polarity(text: str) -> str:
    low = text.strip().lower()
    if re.match(r"(?:never|always|don't|do not|no\b|only|must|make sure)", low):
        return "rule"
    if re.match(r"(?:avoid|i avoid|i don't like|i dislike|i hate|no more)", low):
        return "avoid"
    if re.match(r"(?:i value|i care about|it matters to me)", low):
        return "value"
    return "prefer"


def make_preference(
    text: str,
    *,
    avoid: bool = False,
    scope: str | None = None,
    strength: float = 1.0,
    polarity: str | None = None,
    origin: str = "stated",
    provenance: dict[str, object] | None = None,
) -> Preference:
    statement = " ".join(text.split())
    if not statement:
        raise ConfigError('a preference needs some text, e.g. knowme prefer "never book meetings before 10:00"')
    if not 0.0 <= strength <= 1.0:
        raise ConfigError(f"strength must be between 0 and 1, not {strength}")
    chosen = "avoid" if avoid else (polarity or guess_polarity(statement))
    if chosen not in POLARITIES:
        raise ConfigError(f"unknown polarity {chosen!r}; use one of {', '.join(POLARITIES)}")
    if avoid and not statement.lower().startswith("avoid"):
        statement = f"Avoid {statement}"
    now = _now()
    return Preference(
        id="p" + stable_hash(statement.lower(), now, length=8),
        statement=statement,
        polarity=chosen,
        strength=strength,
        scope=(scope or guess_scope(statement)).strip().lower(),
        origin=origin,
        created_at=now,
        updated_at=now,
        provenance=provenance or {},
    )


def _fact_statement(predicate: str, value: str) -> str:
    if predicate == "diet":
        return f"Diet: {value}"
    return f"Likes {value}" if predicate == "likes" else f"Avoid {value}"


def inferred_preferences(store: Store) -> list[Preference]:
    """Preferences the user's own words state (graph facts: diet, likes, dislikes), current ones only."""
    graph = store.graph()
    out = []
    for predicate, polarity in INFERRED_PREDICATES.items():
        for fact in graph.facts(subject_id=USER_ID, predicate=predicate):
            if fact.invalidated_at or fact.valid_to or not fact.object_value:
                continue
            refs = [s.ref for s in graph.sources("fact", fact.id)]
            statement = _fact_statement(predicate, fact.object_value)
            out.append(
                Preference(
                    id=f"fact:{fact.id}",
                    statement=statement,
                    polarity=polarity,
                    strength=round(min(1.0, fact.confidence), 2),
                    scope="food" if predicate == "diet" else guess_scope(fact.object_value),
                    origin="inferred",
                    created_at=fact.recorded_at,
                    updated_at=fact.recorded_at,
                    provenance={"refs": refs, "fact": fact.id, "evidence": str(fact.attributes.get("evidence", ""))},
                )
            )
    return out


def all_preferences(store: Store, *, include_inactive: bool = False) -> list[Preference]:
    """Stored preferences and inferred ones, with the user's edits applied to the inferred ones."""
    stored = {p.id: p for p in store.persona().preferences()}
    out: list[Preference] = []
    for pref in inferred_preferences(store):
        edit = stored.pop(pref.id, None)
        if edit is not None:
            pref = replace(pref, strength=edit.strength, scope=edit.scope, active=edit.active,
                           statement=edit.statement or pref.statement)  # fmt: skip
        out.append(pref)
    out.extend(p for p in stored.values() if not p.id.startswith("fact:"))
    return [p for p in out if include_inactive or p.active]


def find_preference(store: Store, preference_id: str) -> Preference:
    for pref in all_preferences(store, include_inactive=True):
        if pref.id == preference_id:
            return pref
    raise ConfigError(f"no preference {preference_id!r}; see `knowme prefs`")


def applicable(preferences: Iterable[Preference], question: str, *, limit: int = 5) -> list[Preference]:
    """The preferences that bear on ``question``: its scope or a shared content word; strongest first."""
    scopes = set(guess_scopes(question))
    asked = words(question)
    scored = []
    for pref in preferences:
        if not pref.active:
            continue
        overlap = len(asked & words(pref.statement))
        if pref.scope in scopes or overlap:
            scored.append((pref.strength + 0.5 * overlap + (0.5 if pref.scope in scopes else 0.0), pref))
    scored.sort(key=lambda x: (-x[0], x[1].id))
    return [p for _, p in scored[:limit]]


def describe(preferences: Sequence[Preference]) -> str:
    return "; ".join(p.statement.rstrip(".") for p in preferences)
