"""Governance data: grants (which client may read which scopes, until when) and the audit log's events.

Policy lives in :mod:`knowme.privacy.grants` (scopes parsed, tokens made and hashed, what a grant allows).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

#: Scopes naming kinds of data, and the record kind each stands for.
KIND_SCOPES: dict[str, str] = {
    "mail": "email",
    "calendar": "event",
    "contacts": "contact",
    "notes": "note",
    "chats": "chat_message",
    "browsing": "web_visit",
    "documents": "document",
    "photos": "photo",
    "places": "place_visit",
}
#: Sensitive classes: a passage touching one is withheld from a grant without its scope (see knowme.privacy).
SENSITIVE_CLASSES: tuple[str, ...] = ("health", "money", "intimate", "location")
SCOPES: tuple[str, ...] = (*KIND_SCOPES, *SENSITIVE_CLASSES)


@dataclass(frozen=True)
class Grant:
    """A client's permission to read some scopes of the vault until ``expires_at`` (None: until revoked)."""

    id: str
    client: str
    scopes: tuple[str, ...]
    created_at: datetime
    expires_at: datetime | None = None
    revoked_at: datetime | None = None

    @property
    def kinds(self) -> tuple[str, ...]:
        return tuple(KIND_SCOPES[s] for s in self.scopes if s in KIND_SCOPES)

    @property
    def sensitive(self) -> frozenset[str]:
        return frozenset(s for s in self.scopes if s in SENSITIVE_CLASSES)

    def active(self, now: datetime | None = None) -> bool:
        now = now or datetime.now(UTC)
        return self.revoked_at is None and (self.expires_at is None or now < self.expires_at)

    def status(self, now: datetime | None = None) -> str:
        if self.revoked_at is not None:
            return "revoked"
        return "active" if self.active(now) else "expired"

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "client": self.client,
            "scopes": list(self.scopes),
            "created_at": self.created_at.isoformat(timespec="seconds"),
            "expires_at": self.expires_at.isoformat(timespec="seconds") if self.expires_at else None,
            "revoked_at": self.revoked_at.isoformat(timespec="seconds") if self.revoked_at else None,
            "status": self.status(),
        }


@dataclass(frozen=True)
class AuditEvent:
    """One line of the append-only audit log."""

    at: datetime
    actor: str  # the client, "owner", or "model:<backend>"
    action: str  # search, ask, export, grant.add, grant.revoke, forget, ...
    detail: dict[str, Any] = field(default_factory=dict)  # grant id, refs shown, counts; never record text
    id: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "at": self.at.isoformat(timespec="seconds"), "actor": self.actor,
                "action": self.action, "detail": self.detail}  # fmt: skip
