"""A small classifier of sensitive classes in text: health, money, intimate relationships, where one was.

Grants keep these classes off unless the grant names them (``knowme grant add app --scopes notes,health``). The
classifier errs on the side of flagging: a passage that mentions a dentist, an IBAN or a breakup is withheld from a
client without that scope even if the rest of it is harmless. It is a set of word lists (English, with common
Portuguese, Spanish, French and German words) and two structural recognisers: IBANs (checked with the ISO 13616
mod-97 rule) and payment card numbers (13-19 digits passing the Luhn check); ``location`` is recognised by GPS
positions (a latitude, longitude pair with four or more decimals, as photos and visits carry). Matching is on whole
words, case- and accent-insensitive; word stems end with ``*``.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

_WORDS: dict[str, tuple[str, ...]] = {
    "health": (
        "doctor",
        "dr",
        "dentist*",
        "dental",
        "clinic*",
        "clinica",
        "hospital*",
        "diagnos*",
        "therap*",
        "prescription*",
        "medication*",
        "medicine*",
        "symptom*",
        "blood test*",
        "surgery",
        "surgeon",
        "mri",
        "x-ray",
        "vaccin*",
        "allerg*",
        "depress*",
        "anxiety",
        "psychiatr*",
        "psycholog*",
        "pregnan*",
        "ivf",
        "cancer",
        "tumou?r",
        "diabet*",
        "chemo*",
        "physio*",
        "gp",
        "nurse",
        "pharmac*",
        "pill*",
        "dose",
        "illness",
        "sick leave",
        "medico",
        "médico",
        "arzt",
        "ärztin",
        "krankenhaus",
        "médecin",
        "saude",
        "saúde",
        "salud",
    ),
    "money": (
        "iban",
        "bic",
        "swift",
        "salary",
        "salaries",
        "payslip*",
        "invoice*",
        "bank*",
        "mortgage*",
        "loan*",
        "debt*",
        "tax return*",
        "taxes",
        "credit card*",
        "debit card*",
        "account number*",
        "rent",
        "wage*",
        "bonus",
        "pension",
        "brokerage",
        "stocks?",
        "crypto*",
        "bitcoin",
        "paypal",
        "overdraft",
        "budget*",
        "expenses",
        "refund*",
        "euros?",
        "dollars?",
        "eur",
        "usd",
        "gbp",
        "€",
        "\\$",
        "£",
        "salário",
        "salario",
        "gehalt",
        "rechnung",
        "facture",
        "fatura",
        "factura",
        "hipoteca",
        "renda",
    ),
    "intimate": (
        "sex*",
        "sexual*",
        "intimate",
        "intimacy",
        "dating",
        "tinder",
        "hinge",
        "bumble",
        "grindr",
        "boyfriend",
        "girlfriend",
        "lover",
        "affair",
        "breakup",
        "break up",
        "broke up",
        "divorce*",
        "my ex",
        "crush",
        "romantic*",
        "romance",
        "i love you",
        "love you",
        "kiss*",
        "naked",
        "nude*",
        "condom*",
        "libido",
        "namorad*",
        "novio",
        "novia",
        "freund",
        "freundin",
        "copain",
        "copine",
    ),
}

#: A latitude, longitude pair with at least four decimals each (a GPS position: a photo's, a visit's).
_COORDINATES = re.compile(r"(?<![\d.])(-?\d{1,2}\.\d{4,}),\s?(-?\d{1,3}\.\d{4,})(?![\d.])")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b")
_CARD = re.compile(r"\b(?:\d[ -]?){12,18}\d\b")


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@cache
def _patterns() -> dict[str, re.Pattern[str]]:
    out: dict[str, re.Pattern[str]] = {}
    for name, words in _WORDS.items():
        parts = []
        for word in words:
            body = word if word.startswith("\\") else re.escape(_fold(word.rstrip("*"))).replace("\\?", "?")
            if word.endswith("?") and not word.startswith("\\"):
                body = re.escape(_fold(word[:-1])) + "?"
            parts.append(body + (r"\w*" if word.endswith("*") else ""))
        out[name] = re.compile(r"(?<!\w)(?:" + "|".join(parts) + r")(?!\w)")
    return out


def valid_iban(candidate: str) -> bool:
    compact = candidate.replace(" ", "").upper()
    if not 15 <= len(compact) <= 34:
        return False
    rearranged = compact[4:] + compact[:4]
    digits = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(digits) % 97 == 1


def luhn(number: str) -> bool:
    digits = [int(d) for d in number if d.isdigit()]
    if not 13 <= len(digits) <= 19:
        return False
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def classify(text: str) -> frozenset[str]:
    """The sensitive classes ``text`` touches (empty for ordinary text)."""
    if not text:
        return frozenset()
    folded = _fold(text)
    found = {name for name, pattern in _patterns().items() if pattern.search(folded)}
    if "money" not in found and (
        any(valid_iban(m.group()) for m in _IBAN.finditer(text.upper()))
        or any(luhn(m.group()) for m in _CARD.finditer(text))
    ):
        found.add("money")
    if any(abs(float(m.group(1))) <= 90 and abs(float(m.group(2))) <= 180 for m in _COORDINATES.finditer(text)):
        found.add("location")
    return frozenset(found)
