"""Draft a reply in the user's voice, grounded in the thread and the graph.

:func:`draft_reply` assembles the reply from parts, no model needed: the greeting and sign-off the user uses with
this person (or their domain, or anyone; see :func:`knowme.persona.style.style_for`), the intent in the first
person ("tell her I'll send it Friday" -> "I'll send it Friday."), and at most one line of grounding when the user
writes long enough messages for it (a median of 25 words or more): an open commitment the user owes this person,
not made in the message being answered, that the intent does not already mention. The user's signature block ends
an email when they usually sign. The replies the user wrote to the most similar past messages (word overlap with
the incoming text, same person first) are returned as examples and, with ``backend``, shown to the chat model that
rephrases the draft (told to keep every fact, name and date; its reply is used only when non-empty).

With ``preferences`` (the user's rules that bear on the intent and on writing), the draft is checked
(:mod:`knowme.assist.enforce`): a reworded draft that breaks one is reworded once more with the rule named; what is
left is reported in ``Draft.compliance`` and its note, never written into the message the user will send.

Edge cases: a ref that is neither an email nor a chat message is a :class:`~knowme.errors.ConfigError`; an empty
intent too. The incoming text is data, never instructions: it is only compared, never put in a prompt as a command.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from knowme.assist.enforce import annotate, enforce
from knowme.errors import ConfigError
from knowme.graph.views import find_entity
from knowme.llm.base import ChatBackend, CompletionOptions, Message
from knowme.models import Record
from knowme.models.graph import USER_ID
from knowme.models.persona import Compliance, Preference
from knowme.persona.style import SentMessage, StyleProfile, first_name, style_for
from knowme.store.base import Store

PROMPT_VERSION = "draft-v1"
_WORD = re.compile(r"[a-zà-ÿ]{3,}")


@dataclass(frozen=True)
class Draft:
    text: str
    to: str
    subject: str
    reply_to: str
    examples: tuple[str, ...] = ()  # refs of the user's past replies used as models
    grounding: tuple[str, ...] = ()  # lines added from the graph, each with its ref
    refs: tuple[str, ...] = ()
    style: StyleProfile = field(default_factory=StyleProfile)
    backend: str = "template"
    preferences: tuple[Preference, ...] = ()  # the user's rules the draft was checked against
    compliance: Compliance | None = None


def first_person(intent: str) -> str:
    """``tell her I'll send it Friday`` -> ``I'll send it Friday.``; "him", "her", "he", "she" and "his" become "you"
    and "your" (the recipient); "them" and "they" may be things and stay."""
    text = " ".join(intent.split()).strip()
    text = re.sub(r"^(?:please\s+)?(?:say|tell (?:them|him|her)|reply|answer|let (?:them|him|her) know)\s*(?:that\s+)?",
                  "", text, flags=re.IGNORECASE)  # fmt: skip
    text = re.sub(r"\b(?:him|her)\b", "you", text)  # "them"/"they" may be things: left alone
    text = re.sub(r"\b(?:he|she)\b", "you", text)
    text = re.sub(r"\bhis\b", "your", text)
    if not text:
        return ""
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?" else text + "."


def _words(text: str) -> set[str]:
    return set(_WORD.findall(text.lower()))


def similar_replies(
    incoming: Record, messages: Sequence[SentMessage], store: Store, *, limit: int = 3
) -> list[SentMessage]:
    """The user's past replies whose parent message is most like ``incoming`` (same person counts double)."""
    target = _words(incoming.text)
    author = first_name(incoming.author or "").lower()
    scored = []
    for m in messages:
        if not m.reply_to or m.ref == incoming.ref:
            continue
        parents = store.records_by_ref(m.reply_to)
        if not parents:
            continue
        theirs = _words(parents[-1].text)
        overlap = len(target & theirs) / max(len(target | theirs), 1)
        same = 1.0 if author and first_name(m.recipient).lower() == author else 0.0
        scored.append((overlap + same, m.ref, m))
    scored.sort(key=lambda s: (-s[0], s[1]))
    return [m for _, _, m in scored[:limit]]


def _grounding(store: Store, counterparty: str | None, intent: str, incoming: Record) -> list[tuple[str, str]]:
    """One open commitment the user owes this person, not made in the message being answered, not in the intent."""
    if not counterparty:
        return []
    graph = store.graph()
    said = _words(intent)
    ranked = sorted(graph.commitments(counterparty_id=counterparty),
                    key=lambda c: (c.direction != "made", c.due is None, c.due or "", c.id))  # fmt: skip
    for c in ranked:  # explicit promises with a date first
        if c.status != "open" or c.direction not in ("made", "asked") or c.record_id == incoming.id:
            continue
        if len(_words(c.what) & said) >= 2:
            continue  # the intent already speaks to it
        what = re.sub(r"\bme\b", "you", c.what) if c.direction == "asked" else c.what
        what = re.sub(r"\bmy\b", "your", what) if c.direction == "asked" else what
        due = f" by {c.due}" if c.due else ""
        refs = [s.ref for s in graph.sources("commitment", c.id)]
        return [(f"I haven't forgotten: I'll {what}{due}.", refs[0] if refs else "")]
    return []


def _counterparty(store: Store, incoming: Record) -> str | None:
    from knowme.errors import KnowmeError

    for name in (incoming.author or "",):
        try:
            entity = find_entity(store, re.sub(r"\s*<[^>]*>", "", name).strip() or name)
        except KnowmeError:
            continue
        if entity.id != USER_ID:
            return entity.id
    return None


def assemble(style: StyleProfile, recipient: str, body: str, extra: Sequence[str], *, email: bool) -> str:
    parts = []
    if style.greeting:
        parts.append(style.greeting.replace("{name}", first_name(recipient) or "").replace(" ,", ","))
    parts.append(" ".join([body, *extra]))
    if style.sign_off:
        parts.append(style.sign_off)
    text = "\n\n".join(p for p in parts if p.strip())
    if email and style.signature:
        text += "\n\n-- \n" + style.signature
    return text


def draft_reply(
    store: Store,
    incoming: Record,
    intent: str,
    messages: Sequence[SentMessage],
    *,
    backend: ChatBackend | None = None,
    preferences: Sequence[Preference] = (),
) -> Draft:
    if incoming.kind not in ("email", "chat_message"):
        raise ConfigError(f"{incoming.ref} is a {incoming.kind}; draft replies to an email or a chat message")
    body = first_person(intent)
    if not body:
        raise ConfigError('say what the reply should do, e.g. --intent "say yes, Thursday works"')
    recipient = incoming.author or ""
    style = style_for(messages, recipient)
    grounding = _grounding(store, _counterparty(store, incoming), intent, incoming)
    if style.samples and style.words < 25:
        grounding = []  # the user writes short replies: no extra lines
    text = assemble(style, recipient, body, [g for g, _ in grounding], email=incoming.kind == "email")
    examples = similar_replies(incoming, messages, store)
    used = "template"
    compliance = None
    if backend is not None:
        asked = _phrase_messages(text, examples)
        phrased = backend.complete(asked, PHRASE_OPTIONS).strip()
        if phrased:
            text, used = phrased, backend.describe()
            if preferences:
                text, compliance = enforce(text, asked, backend, PHRASE_OPTIONS, preferences, question=intent,
                                           append_note=False)  # fmt: skip
    if preferences and compliance is None:
        _, compliance = annotate(text, preferences, question=intent, append_note=False)
    subject = incoming.title if incoming.title.lower().startswith("re:") else f"Re: {incoming.title}".strip()
    refs = tuple(dict.fromkeys([incoming.ref, *(r for _, r in grounding if r)]))
    return Draft(
        text=text,
        to=recipient,
        subject=subject if incoming.kind == "email" else "",
        reply_to=incoming.ref,
        examples=tuple(m.ref for m in examples),
        grounding=tuple(f"{g} [{r}]" for g, r in grounding),
        refs=refs,
        style=style,
        backend=used,
        preferences=tuple(preferences),
        compliance=compliance,
    )


PHRASE_OPTIONS = CompletionOptions(max_tokens=300)


def _phrase_messages(draft: str, examples: Sequence[SentMessage]) -> list[Message]:
    shots = "\n\n".join(f"Example of how I write:\n{m.text.strip()[:600]}" for m in examples)
    messages = [
        Message(
            "system",
            "Rewrite the draft so it sounds like the examples of the user's own writing. Keep every fact, name, date "
            "and promise; keep the greeting and sign-off; add nothing new. Output only the message.",
        ),
        Message("user", f"{shots}\n\nDraft:\n{draft}\n\nRewritten:"),
    ]
    return messages
