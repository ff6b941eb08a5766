"""Grants: which client may read which parts of the vault, until when; and the audit trail of what it was shown.

A grant names a client, its scopes and an expiry. Its token (``km_`` + 43 URL-safe characters, 256 random bits) is
shown once when the grant is made; the vault keeps only its SHA-256 (a slow hash adds nothing for a random
256-bit secret). Scopes:

- kinds of data: ``mail`` (email), ``calendar`` (event), ``contacts`` (contact), ``notes`` (note), ``chats``
  (chat_message), ``browsing`` (web_visit), ``documents`` (document), ``photos`` (photo), ``places`` (place_visit);
- sensitive classes, off unless named: ``health``, ``money``, ``intimate``, ``location`` (see
  :mod:`knowme.privacy.sensitivity`).
  A passage touching a sensitive class is withheld from a grant without that class's scope, whatever its kind.

Every disclosure to a client (search hits, the context pack of an answer, an export) is appended to the audit log
with the client, the grant and the refs shown; so is every context pack sent to a model backend that is not
embedded in knowme (an OpenAI-compatible endpoint may be remote).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Protocol

from knowme.errors import ConfigError
from knowme.models import Hit
from knowme.models.governance import SCOPES, Grant
from knowme.privacy.sensitivity import classify

TOKEN_PREFIX = "km_"
_DURATION = re.compile(r"^\s*(\d+)\s*([hdwmy])\s*$")
_UNITS = {"h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1), "m": timedelta(days=30),
          "y": timedelta(days=365)}  # fmt: skip


def allows(grant: Grant, kind: str, text: str) -> bool:
    """Whether a passage of ``kind`` saying ``text`` may be shown under ``grant``."""
    return kind in grant.kinds and classify(text) <= grant.sensitive


def parse_scopes(value: str | Iterable[str]) -> tuple[str, ...]:
    items = value.split(",") if isinstance(value, str) else list(value)
    scopes = [s.strip().lower() for s in items if s.strip()]
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown:
        raise ConfigError(f"unknown scope(s) {', '.join(unknown)}; known: {', '.join(SCOPES)}")
    if not scopes:
        raise ConfigError(f"a grant needs at least one scope: {', '.join(SCOPES)}")
    return tuple(dict.fromkeys(scopes))


def parse_expiry(value: str | timedelta | datetime | None, now: datetime | None = None) -> datetime | None:
    """``30d``, ``12h``, ``2w``, ``6m``, ``1y``, ``never``, an ISO date, a timedelta or a datetime."""
    now = now or datetime.now(UTC)
    if value is None or (isinstance(value, str) and value.strip().lower() == "never"):
        return None
    if isinstance(value, timedelta):
        return now + value
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    match = _DURATION.match(value)
    if match:
        return now + int(match.group(1)) * _UNITS[match.group(2)]
    try:
        when = datetime.fromisoformat(value.strip())
    except ValueError as exc:
        raise ConfigError(f"not an expiry: {value!r} (use 30d, 12h, 2w, 6m, 1y, never or a date)") from exc
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.strip().encode("utf-8")).hexdigest()


class TokenHolders(Protocol):
    def add_user(self, name: str, token_hash: str) -> None: ...


def enrol(service: TokenHolders, name: str) -> str:
    """Create the vault service's user ``name`` and return their API token: shown once, kept only as a hash."""
    token = new_token()
    service.add_user(name, token_hash(token))
    return token


def filter_hits(hits: Sequence[Hit], grant: Grant) -> list[Hit]:
    """The hits ``grant`` may see: in its kinds, and touching no sensitive class it lacks."""
    return [h for h in hits if allows(grant, h.kind, f"{h.title}\n{h.text}")]
