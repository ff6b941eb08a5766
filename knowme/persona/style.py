"""The user's voice: a style profile learned from what they wrote to people (sent mail and their chat lines).

:func:`sent_messages` collects the user's own messages (by their addresses and names in the graph; ChatGPT prompts
are not messages to people) with whom each was for. :func:`learn_style` measures, over a set of them:

- ``greetings``: how messages open ("Hi {name},", "Olá {name}!"), the addressee's first name abstracted to
  ``{name}``; ``sign_offs``: the short closing line ("Beijinhos", "Best,"); ``signature``: the block after ``-- ``;
- ``words``: the median length; ``sentence_words``: the mean sentence length;
- ``formality`` in [0, 1] (formal greetings and closings, no contractions, no exclamations or emoji raise it);
- ``emoji_rate`` and ``exclamation_rate`` (share of messages with any); ``language`` (by function words: en, pt,
  es, fr, de); ``phrases``: the most frequent two- and three-word phrases used in at least two messages.

:func:`style_for` narrows to what the user wrote to one person when there are at least ``min_examples`` such
messages, else to people at the same mail domain, else everything. :func:`message_features` gives the explicit
features the style-match benchmark compares.

Edge cases: an empty profile (no sent messages) has neutral defaults; text quoted from earlier messages is already
split off by the mail connector and never counted.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from knowme.models.graph import USER_ID
from knowme.store.base import Store

GREETING = re.compile(
    r"^(?P<g>(?:hi|hello|hey|dear|hiya|olá|ola|oi|bom dia|boa tarde|hola|buenos días|bonjour|coucou|salut|hallo|"
    r"guten tag|morning|good morning|filha|mãe|mae)\b[^\n.!?,:]{0,30}[,!:]?)",
    re.IGNORECASE,
)
SIGN_OFF = re.compile(
    r"^(?:best|best regards|kind regards|regards|cheers|thanks|thank you|many thanks|all the best|love|xx|x|"
    r"beijinhos|beijos|bjs|abraço|abraços|um abraço|obrigad[ao]|saludos|un abrazo|bises|bisous|cordialement|"
    r"liebe grüße|lg|talk soon|see you|speak soon|warmly|take care)\b[^\n]{0,20}$",
    re.IGNORECASE,
)
EMOJI = re.compile("[\U0001f300-\U0001faff\u2600-\u27bf\u2764\u2728]")
CONTRACTION = re.compile(r"\b\w+(?:'|’)(?:ll|re|ve|d|s|m|t)\b", re.IGNORECASE)
FORMAL = re.compile(r"\b(?:dear|kind regards|best regards|sincerely|regards|please find|I would|could you kindly)\b",
                    re.IGNORECASE)  # fmt: skip
LANGUAGE_WORDS = {
    "en": {"the", "and", "you", "is", "to", "for", "with", "that", "it", "of", "i"},
    "pt": {"o", "a", "que", "de", "não", "é", "para", "com", "um", "uma", "os", "obrigada", "obrigado", "beijinhos"},
    "es": {"el", "la", "que", "de", "no", "es", "para", "con", "un", "una", "los", "gracias"},
    "fr": {"le", "la", "que", "de", "pas", "est", "pour", "avec", "un", "une", "les", "merci", "je", "tu"},
    "de": {"der", "die", "und", "ist", "nicht", "für", "mit", "ein", "eine", "ich", "du", "danke"},
}
_PHRASE_STOP = frozenset(
    [
        "the",
        "a",
        "an",
        "to",
        "of",
        "and",
        "or",
        "in",
        "on",
        "at",
        "for",
        "is",
        "it",
        "i",
        "you",
        "we",
        "my",
        "your",
        "be",
        "that",
        "this",
    ]
)


@dataclass(frozen=True)
class SentMessage:
    """Something the user wrote to someone: the text (quotes removed), to whom, and where it came from."""

    ref: str
    kind: str
    text: str
    recipient: str  # display name of the first addressee ("" when unknown)
    address: str  # their address, lower-case ("" for chat)
    signature: str = ""
    reply_to: str | None = None  # the ref this message answers


@dataclass(frozen=True)
class StyleProfile:
    samples: int = 0
    greetings: tuple[tuple[str, int], ...] = ()
    sign_offs: tuple[tuple[str, int], ...] = ()
    signature: str = ""
    words: float = 0.0
    sentence_words: float = 0.0
    formality: float = 0.5
    emoji_rate: float = 0.0
    exclamation_rate: float = 0.0
    language: str = "en"
    phrases: tuple[str, ...] = ()
    refs: tuple[str, ...] = field(default_factory=tuple)

    @property
    def greeting(self) -> str | None:
        """The usual greeting, when at least a third of messages open with one."""
        if not self.greetings or self.greetings[0][1] * 3 < self.samples:
            return None
        return self.greetings[0][0]

    @property
    def sign_off(self) -> str | None:
        if not self.sign_offs or self.sign_offs[0][1] * 4 < self.samples:
            return None
        return self.sign_offs[0][0]


def first_name(display: str) -> str:
    name = re.sub(r"\s*<[^>]*>", "", display).strip().strip('"')
    return name.split()[0] if name and "@" not in name else ""


def _address(display: str) -> str:
    m = re.search(r"[\w.+\-]+@[\w.\-]+", display)
    return m.group(0).lower() if m else ""


def sent_messages(store: Store) -> list[SentMessage]:
    """The user's own mail and chat lines to people, oldest first."""
    aliases = {a.alias.lower() for a in store.graph().aliases(USER_ID)}
    out: list[SentMessage] = []
    for kind in ("email", "chat_message"):
        for record in store.iter_records(kind=kind):
            author = (record.author or "").lower()
            if not author or "chatgpt" in record.source.lower() or not record.text.strip():
                continue
            if not (author in aliases or _address(author) in aliases or author == "me"):
                continue
            if kind == "email":
                to = [str(t) for t in record.meta.get("to") or ()]
                recipient = to[0] if to else ""
                text, signature = _rejoin(record.text, str(record.meta.get("signature") or ""))
                reply_to = record.follows
            else:
                others = [p for p in record.participants if p.lower() not in aliases and p.lower() != "me"]
                recipient, signature, reply_to = (others[0] if others else ""), "", record.follows
                text = record.text
            out.append(SentMessage(record.ref, kind, text.strip(), recipient, _address(recipient),
                                   signature, reply_to))  # fmt: skip
    return out


def _rejoin(text: str, signature: str) -> tuple[str, str]:
    """The mail connector splits "Kind regards,\nNora\n\nNora Vidal\nHead of Finance" off as the signature: the
    closing paragraph belongs to the message, the block after it (or after ``--``) is the signature."""
    body = re.sub(r"(?m)^--\s*$", "", signature).strip()
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", body) if p.strip()]
    if paragraphs and SIGN_OFF.match(_lines(paragraphs[0])[0]):
        return f"{text.rstrip()}\n\n{paragraphs[0]}", "\n\n".join(paragraphs[1:])
    return text, body


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.strip().splitlines() if line.strip()]


def split_message(text: str, recipient: str = "") -> tuple[str | None, str, str | None]:
    """(greeting with ``{name}``, body, sign-off) of a message; the user's own name line after a sign-off is kept
    with it."""
    lines = _lines(text)
    greeting = None
    if lines:
        m = GREETING.match(lines[0])
        if m and len(m.group("g")) <= 40:
            greeting = m.group("g").strip()
            rest = lines[0][m.end() :].strip()
            lines = ([rest] if rest else []) + lines[1:]
            name = first_name(recipient)
            if name:
                greeting = re.sub(rf"\b{re.escape(name)}\b", "{name}", greeting)
    sign_off = None
    if len(lines) >= 2 and SIGN_OFF.match(lines[-2]) and len(lines[-1].split()) <= 2:
        sign_off, lines = f"{lines[-2]}\n{lines[-1]}", lines[:-2]
    elif lines and SIGN_OFF.match(lines[-1]) and len(lines) > 1:
        sign_off, lines = lines[-1], lines[:-1]
    return greeting, "\n".join(lines), sign_off


def language(text: str) -> str:
    tokens = re.findall(r"[a-zà-ÿ]+", text.lower())
    scores = {lang: sum(t in words for t in tokens) for lang, words in LANGUAGE_WORDS.items()}
    best = max(scores, key=lambda k: scores[k])
    return best if scores[best] else "en"


def message_features(text: str, recipient: str = "") -> dict[str, object]:
    """The explicit style features of one message (what the benchmark compares)."""
    greeting, body, sign_off = split_message(text, recipient)
    words = len(re.findall(r"\w+", body))
    sentences = [s for s in re.split(r"(?<=[.!?])\s+", body) if s.strip()]
    informal = bool(CONTRACTION.search(body)) + ("!" in text) + bool(EMOJI.search(text))
    formal = len(FORMAL.findall(text))
    return {
        "greeting": (greeting or "").split()[0].strip(",!:").lower() if greeting else "",
        "sign_off": (sign_off or "").splitlines()[0].strip(",!").lower() if sign_off else "",
        "words": words,
        "sentence_words": words / max(len(sentences), 1),
        "emoji": bool(EMOJI.search(text)),
        "exclamation": "!" in text,
        "language": language(text),
        "formality": max(0.0, min(1.0, 0.5 + 0.25 * formal - 0.15 * informal)),
    }


def _phrases(texts: Sequence[str], limit: int = 8) -> tuple[str, ...]:
    counts: Counter[str] = Counter()
    for text in texts:
        tokens = re.findall(r"[a-zà-ÿ']+", text.lower())
        grams = set()
        for n in (2, 3):
            for i in range(len(tokens) - n + 1):
                gram = tokens[i : i + n]
                if any(len(t) < 3 and t not in _PHRASE_STOP for t in gram) or gram[-1] in _PHRASE_STOP:
                    continue
                grams.add(" ".join(gram))
        counts.update(grams)
    return tuple(p for p, c in counts.most_common(limit * 3) if c >= 2)[:limit]


def learn_style(messages: Iterable[SentMessage]) -> StyleProfile:
    chosen = list(messages)
    if not chosen:
        return StyleProfile()
    greetings: Counter[str] = Counter()
    sign_offs: Counter[str] = Counter()
    signatures: Counter[str] = Counter()
    feats = []
    bodies = []
    for m in chosen:
        greeting, body, sign_off = split_message(m.text, m.recipient)
        if greeting:
            greetings[greeting] += 1
        if sign_off:
            sign_offs[sign_off] += 1
        if m.signature:
            signatures[m.signature.strip()] += 1
        feats.append(message_features(m.text, m.recipient))
        bodies.append(body)
    signature = (
        signatures.most_common(1)[0][0] if signatures and signatures.most_common(1)[0][1] * 2 >= len(chosen) else ""
    )
    langs = Counter(str(f["language"]) for f in feats)
    return StyleProfile(
        samples=len(chosen),
        greetings=tuple(greetings.most_common(3)),
        sign_offs=tuple(sign_offs.most_common(3)),
        signature=signature,
        words=float(statistics.median(int(f["words"]) for f in feats)),  # type: ignore[call-overload]
        sentence_words=round(statistics.fmean(float(f["sentence_words"]) for f in feats), 1),  # type: ignore[arg-type]
        formality=round(statistics.fmean(float(f["formality"]) for f in feats), 2),  # type: ignore[arg-type]
        emoji_rate=round(sum(bool(f["emoji"]) for f in feats) / len(feats), 2),
        exclamation_rate=round(sum(bool(f["exclamation"]) for f in feats) / len(feats), 2),
        language=langs.most_common(1)[0][0],
        phrases=_phrases(bodies),
        refs=tuple(m.ref for m in chosen[-5:]),
    )


def style_for(messages: Sequence[SentMessage], recipient: str, *, min_examples: int = 2) -> StyleProfile:
    """The style the user uses with ``recipient``: to them, else to their mail domain, else overall."""
    address = _address(recipient)
    name = first_name(recipient).lower()
    to_them = [
        m for m in messages if (address and m.address == address) or (name and first_name(m.recipient).lower() == name)
    ]
    if len(to_them) >= min_examples:
        return learn_style(to_them)
    domain = address.split("@")[-1] if address else ""
    same_domain = [m for m in messages if domain and m.address.endswith("@" + domain)]
    if len(same_domain) >= min_examples:
        return learn_style(same_domain)
    return learn_style(messages)
