"""Egress policy: what a model backend outside knowme may see, with personal identifiers replaced by placeholders.

Before a context pack goes to a backend that is not embedded in knowme (an OpenAI-compatible endpoint may be a cloud
API), :class:`RedactingBackend` applies the ``[privacy]`` policy:

- passages outside ``remote_scopes`` are dropped first (by :func:`egress_filter`; by default every kind of data but
  none of the sensitive classes health, money and intimate);
- identifiers in every message (the question too) are replaced by consistent placeholders: the same email address
  is ``[EMAIL_1]`` everywhere in the request, a second one ``[EMAIL_2]``. Recognised: email addresses, phone numbers
  (Google's libphonenumber via ``phonenumbers``: international numbers, and national ones of ``phone_region``),
  IBANs (mod-97 checked), payment card numbers (Luhn checked), street addresses (a house number next to a street
  word in English, Portuguese, Spanish, French, German or Italian, either order), and, when ``redact_names`` is on,
  the names of people the passages come from or mention (authors, participants, and names given by the caller);
- the model's reply has the placeholders put back, so the user reads the real values; a placeholder the model made
  up (one never sent) is left as it is.

Edge cases: overlapping matches keep the earliest, longest one; text that already looks like a placeholder is left
alone; names shorter than three letters are never redacted (too many false hits).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

import phonenumbers

from knowme.llm.base import ChatBackend, CompletionOptions, Message
from knowme.models import Hit
from knowme.models.governance import Grant
from knowme.privacy.grants import filter_hits, parse_scopes
from knowme.privacy.sensitivity import luhn, valid_iban

_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}\b")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b")
_CARD = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")
_STREET = (
    r"(?i:street|st\.?|road|rd\.?|avenue|ave\.?|lane|ln\.?|drive|dr\.?|boulevard|blvd\.?|way|place|square|court|"
    r"rua|avenida|av\.?|travessa|largo|praça|praca|calle|plaza|paseo|rue|boulevard|chemin|place|allée|"
    r"stra(?:ss|ß)e|str\.?|weg|platz|gasse|allee|via|viale|piazza|corso)"
)
_NAME = r"[A-ZÀ-Ý][\w'’.-]*(?:\s+(?:d[aeo]s?|de la|del|van|von|der|di|du|[A-ZÀ-Ý][\w'’.-]*)){0,4}"
_HOUSE = r"\d{1,5}[a-zA-Z]?"
_PARTICLE = r"(?:(?:d[aeo]s?|de la|del|di|du|van|von|der)\s+)?"
_ADDRESS = re.compile(
    rf"\b{_HOUSE},?\s+(?:{_NAME}\s+)?{_STREET}\b(?:\s+{_PARTICLE}{_NAME})?"  # 221B Baker Street, 12 rue de Rivoli
    rf"|\b{_STREET}\s+{_PARTICLE}{_NAME},?\s+(?:n\.?º\s*)?{_HOUSE}\b"  # Rua das Flores 12, Avenida da Liberdade, 110
    rf"|\b[A-ZÀ-Ý]\w*(?i:stra(?:ss|ß)e|weg|platz|gasse|allee)\s+{_HOUSE}\b",  # Lindenstraße 5
)
_PLACEHOLDER = re.compile(r"\[(?:EMAIL|PHONE|IBAN|CARD|ADDRESS|PERSON)_\d+\]")


@dataclass
class Redactor:
    """Replaces identifiers with placeholders, consistently within one request, and puts them back in replies."""

    names: Sequence[str] = ()
    phone_region: str | None = "US"
    redact_names: bool = False
    mapping: dict[str, str] = field(default_factory=dict)  # placeholder -> original
    _by_value: dict[tuple[str, str], str] = field(default_factory=dict)

    def _placeholder(self, label: str, value: str, norm: str | None = None) -> str:
        key = (label, norm or (value.casefold() if label in ("EMAIL", "PERSON") else re.sub(r"\s", "", value)))
        if key not in self._by_value:
            n = sum(1 for lab, _ in self._by_value if lab == label) + 1
            self._by_value[key] = f"[{label}_{n}]"
            self.mapping[self._by_value[key]] = value
        return self._by_value[key]

    def _spans(self, text: str) -> Iterator[tuple[int, int, str, str | None]]:
        for m in _EMAIL.finditer(text):
            yield m.start(), m.end(), "EMAIL", None
        for m in _IBAN.finditer(text):
            if valid_iban(m.group()):
                yield m.start(), m.end(), "IBAN", None
        for m in _CARD.finditer(text):
            if luhn(m.group()):
                yield m.start(), m.end(), "CARD", None
        for found in phonenumbers.PhoneNumberMatcher(text, self.phone_region or "ZZ"):
            e164 = phonenumbers.format_number(found.number, phonenumbers.PhoneNumberFormat.E164)
            yield found.start, found.end, "PHONE", e164
        for m in _ADDRESS.finditer(text):
            yield m.start(), m.end(), "ADDRESS", None
        if self.redact_names:
            wanted = sorted({n.strip() for n in self.names if len(n.strip()) >= 3}, key=len, reverse=True)
            if wanted:
                pattern = re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, wanted)) + r")(?!\w)", re.IGNORECASE)
                for m in pattern.finditer(text):
                    yield m.start(), m.end(), "PERSON", None

    def redact(self, text: str) -> str:
        protected = [(m.start(), m.end()) for m in _PLACEHOLDER.finditer(text)]
        spans = sorted(self._spans(text), key=lambda s: (s[0], -(s[1] - s[0])))
        out: list[str] = []
        cursor = 0
        for start, end, label, norm in spans:
            if start < cursor or any(a < end and start < b for a, b in protected):
                continue
            out.append(text[cursor:start])
            out.append(self._placeholder(label, text[start:end], norm))
            cursor = end
        out.append(text[cursor:])
        return "".join(out)

    def restore(self, text: str) -> str:
        return _PLACEHOLDER.sub(lambda m: self.mapping.get(m.group(), m.group()), text)

    def counts(self) -> dict[str, int]:
        counted: dict[str, int] = {}
        for placeholder in self.mapping:
            label = placeholder[1:].split("_")[0]
            counted[label] = counted.get(label, 0) + 1
        return counted


def people_names(values: Iterable[str | None]) -> list[str]:
    """Names (and addresses) from author/participant fields such as ``Tom Baker <tom@x.org>``."""
    names: list[str] = []
    for value in values:
        if not value:
            continue
        for part in re.split(r"[<>,;]", value):
            part = part.strip().strip('"')
            if part and "@" not in part:
                names.append(part)
                names.extend(w for w in part.split() if len(w) >= 3 and w[0].isupper())
    return list(dict.fromkeys(names))


class RedactingBackend(ChatBackend):
    """Wraps a remote backend: every request is redacted, every reply restored (one :class:`Redactor` per call)."""

    name = "redacting"

    def __init__(
        self, inner: ChatBackend, *, names: Sequence[str] = (), redact_names: bool = False, phone_region: str | None
    ) -> None:
        self.inner = inner
        self.names = list(names)
        self.redact_names = redact_names
        self.phone_region = phone_region
        self.last: Redactor | None = None
        self.last_sent: list[Message] = []

    @property
    def prompt_style(self) -> str:  # type: ignore[override]
        return self.inner.prompt_style

    @property
    def context_tokens(self) -> int | None:  # type: ignore[override]
        return self.inner.context_tokens

    def complete(self, messages: Sequence[Message], options: CompletionOptions | None = None) -> str:
        redactor = Redactor(self.names, phone_region=self.phone_region, redact_names=self.redact_names)
        sent = [Message(m.role, redactor.redact(m.content)) for m in messages]
        self.last, self.last_sent = redactor, sent
        return redactor.restore(self.inner.complete(sent, options))

    def describe(self) -> str:
        return self.inner.describe()

    def close(self) -> None:
        """The wrapped backend belongs to the vault, which closes it."""


def egress_filter(hits: Sequence[Hit], scopes: Sequence[str]) -> list[Hit]:
    """The hits a remote model may see under the ``remote_scopes`` policy."""
    from datetime import UTC, datetime

    policy = Grant("egress-policy", "remote model", parse_scopes(scopes), datetime.now(UTC))
    return filter_hits(hits, policy)
