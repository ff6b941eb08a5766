"""Names, addresses and phone numbers as comparable alias keys.

Edge cases handled: accents and case (``José Núñez`` and ``jose nunez`` give the same key), honorifics
(``Dr. Carla Menezes``), a name with a transliteration in brackets (``Kenji Watanabe (渡辺健二)`` gives both names),
``Last, First`` display names, quoted display names, addresses without a display name (the local part
``jose.nunez`` suggests the name ``jose nunez``, but a role address like ``marcacoes@`` or ``info@`` suggests none),
and phone numbers written with spaces, dashes, brackets or a country code (compared on their last nine digits).
"""

from __future__ import annotations

import re
import unicodedata
from email.utils import parseaddr

HONORIFICS = frozenset({"dr", "dra", "mr", "mrs", "ms", "miss", "prof", "sr", "sra", "sir", "dame", "mx"})
_ROLE_LOCALS = frozenset(
    {
        "info",
        "hello",
        "contact",
        "support",
        "noreply",
        "no-reply",
        "donotreply",
        "admin",
        "office",
        "team",
        "news",
        "newsletter",
        "billing",
        "sales",
        "mail",
        "me",
        "hi",
        "bookings",
        "reservas",
        "notifications",
        "marcacoes",
    }
)
_SPACE = re.compile(r"\s+")
_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
_BRACKETED = re.compile(r"\(([^()]*)\)|\[([^\[\]]*)\]")


def fold(text: str) -> str:
    """Lower case without accents, punctuation reduced to spaces: the comparable form of a name."""
    decomposed = unicodedata.normalize("NFKD", text)
    kept = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    kept = kept.replace("ø", "o").replace("Ø", "o").replace("ß", "ss").replace("æ", "ae").replace("ł", "l")
    cleaned = "".join(ch if ch.isalnum() or ch.isspace() else " " for ch in kept.casefold())
    return _SPACE.sub(" ", cleaned).strip()


def is_email(text: str) -> bool:
    return bool(_EMAIL.match(text.strip()))


def email_key(address: str) -> str:
    return address.strip().strip("<>").lower()


def phone_key(number: str) -> str:
    digits = re.sub(r"\D", "", number)
    return digits[-9:] if len(digits) >= 7 else ""


def clean_name(name: str) -> str:
    """A display name as people write it: quotes, brackets and honorifics removed, ``Last, First`` turned round."""
    name = _BRACKETED.sub(" ", name).strip().strip("\"'").strip()
    if "," in name and name.count(",") == 1 and "@" not in name:
        last, first = (part.strip() for part in name.split(","))
        if last and first and " " not in last and " " not in first:
            name = f"{first} {last}"
    words = name.split()
    while words and fold(words[0]) in HONORIFICS:
        words = words[1:]
    return " ".join(words)


def name_variants(name: str) -> list[str]:
    """The cleaned name, plus any name written in brackets after it (``Kenji Watanabe (渡辺健二)``)."""
    found = [clean_name(name)]
    for match in _BRACKETED.finditer(name):
        inner = (match.group(1) or match.group(2) or "").strip()
        if inner and not is_email(inner):
            found.append(inner)
    return [n for n in dict.fromkeys(found) if fold(n)]


def name_key(name: str) -> str:
    return fold(clean_name(name))


def split_address(value: str) -> tuple[str, str]:
    """``"José Núñez <jose@x.example>"`` → ``("José Núñez", "jose@x.example")``; a bare name gives no address."""
    value = value.strip()
    if is_email(value):
        return "", email_key(value)
    if "<" in value and value.rstrip().endswith(">"):
        display, address = parseaddr(value)
        if address and is_email(address):
            display = display.strip()
            return ("" if fold(display) == fold(address) else display), email_key(address)
    return value, ""


def name_from_local_part(address: str) -> str:
    """The name an address suggests (``jose.nunez@`` → ``jose nunez``; ``marcacoes@`` → ``""``)."""
    local = email_key(address).split("@", 1)[0].split("+", 1)[0]
    if fold(local) in _ROLE_LOCALS:
        return ""
    parts = [p for p in re.split(r"[._\-]+", local) if p]
    if not parts or any(not p.isalpha() for p in parts) or any(len(p) < 2 for p in parts):
        return ""
    return " ".join(parts)


def first_name(name: str) -> str:
    words = clean_name(name).split()
    return fold(words[0]) if words else ""


def looks_like_person_name(name: str) -> bool:
    """Two to four capitalised words (or one), no digits, not an address: a plausible personal name."""
    cleaned = clean_name(name)
    words = cleaned.split()
    if not 1 <= len(words) <= 4 or any(ch.isdigit() for ch in cleaned) or "@" in cleaned:
        return False
    particles = {"da", "de", "do", "dos", "das", "van", "von", "der", "den", "di", "du", "la", "le", "y", "e", "bin"}
    return all(w[0].isupper() or w.lower() in particles or not w[0].isalpha() for w in words)
