"""Grants and the audit log of an open vault, as ``vault.grants``: who may read what, until when, and what each
client or outside model was shown. Calling ``vault.grants()`` lists the grants.

Reads under a grant (search, records, recent items) go through here, so a client sees only its scopes and every
disclosure is written to the audit log under its name.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from knowme.errors import AccessDenied, ConfigError
from knowme.llm.batching import uncached_queries
from knowme.models import Hit, Record, stable_hash
from knowme.models.governance import AuditEvent, Grant
from knowme.parts import Parts
from knowme.privacy.grants import allows, filter_hits, new_token, parse_expiry, parse_scopes, token_hash
from knowme.retrieve.abstain import shown_found
from knowme.retrieve.search import SearchResult
from knowme.store.base import GovernanceStore
from knowme.text.when import DateLike, parse_when

#: ``result(query, k, kinds=..., **options)``: the owner's search with its signals, which a grant's search narrows.
Result = Callable[..., SearchResult]


class Grants:
    def __init__(self, parts: Parts) -> None:
        self.parts = parts

    def __call__(self) -> list[Grant]:
        """Every grant, active or not."""
        return self._store().grants()

    def _store(self) -> GovernanceStore:
        store = self.parts.store
        if not isinstance(store, GovernanceStore):
            raise ConfigError(f"the {type(store).__name__} store keeps no grants")
        return store

    # -- grants --------------------------------------------------------------------------------------------
    def add(
        self, client: str, scopes: str | Sequence[str], *, expires: str | timedelta | datetime | None = "30d"
    ) -> tuple[Grant, str]:
        """Let ``client`` read ``scopes`` until ``expires`` (``30d``, ``never``, a date...). Returns the grant and its
        token: show the token once, it is stored only as a hash."""
        if not client.strip():
            raise ConfigError("a grant needs a client name")
        now = datetime.now(UTC)
        ident = stable_hash(client, now.isoformat(), new_token(), length=12)
        grant = Grant(ident, client.strip(), parse_scopes(scopes), now, parse_expiry(expires, now))
        token = new_token()
        self._store().save_grant(grant, token_hash(token))
        self.record("owner", "grant.add", {"grant": grant.id, "client": grant.client, "scopes": list(grant.scopes)})
        return grant, token

    def revoke(self, id_or_client: str) -> list[Grant]:
        """Revoke a grant by id, or every active grant of a client."""
        gone = self._store().revoke_grants(id_or_client, datetime.now(UTC))
        for grant in gone:
            self.record("owner", "grant.revoke", {"grant": grant.id, "client": grant.client})
        return gone

    def check(self, token: str) -> Grant:
        """The active grant a client's token stands for; :class:`AccessDenied` if unknown, expired or revoked."""
        grant = self._store().grant_for_token(token_hash(token or ""))
        if grant is None:
            raise AccessDenied("unknown token: ask the vault owner for a grant (knowme grant add CLIENT --scopes ...)")
        if not grant.active():
            raise AccessDenied(f"the grant for {grant.client} is {grant.status()}; ask the vault owner for a new one")
        return grant

    def current(self, grant: Grant) -> Grant:
        """``grant`` as the vault holds it now; :class:`AccessDenied` once it is revoked or expired."""
        found = next((g for g in self._store().grants() if g.id == grant.id), None)
        if found is None or not found.active():
            raise AccessDenied(f"the grant for {grant.client} is no longer active")
        return found

    # -- the audit log -------------------------------------------------------------------------------------
    def audit(self, *, actor: str | None = None, limit: int | None = None) -> list[AuditEvent]:
        """The audit log, oldest first: what was disclosed to whom, under which grant, when."""
        return self._store().audit_events(actor=actor, limit=limit)

    def record(self, actor: str, action: str, detail: dict[str, object]) -> None:
        """Append one event to the audit log (a store that keeps none ignores it)."""
        if isinstance(self.parts.store, GovernanceStore):
            self.parts.store.append_audit(AuditEvent(datetime.now(UTC), actor, action, detail))

    def disclose(self, actor: str, action: str, hits: Sequence[Hit], *, grant: Grant | None, **extra: object) -> None:
        """Log the refs of ``hits`` shown to ``actor`` (a client under ``grant``, or an outside model)."""
        refs = list(dict.fromkeys(h.ref for h in hits))
        self.record(actor, action, {"grant": grant.id if grant else None, "refs": refs, "passages": len(hits), **extra})

    # -- reads under a grant -------------------------------------------------------------------------------
    def search(
        self, result: Result, query: str, k: int, grant: Grant, *, kinds: Sequence[str] = (), **options: Any
    ) -> tuple[list[Hit], float]:
        """The ``k`` best hits ``grant`` may see (its kinds, no sensitive class it lacks), not yet audited, and the
        "found" signal of what it may see (never a bare 1.0: a client gets "not found" too)."""
        current = self.current(grant)
        allowed = [kind for kind in (kinds or current.kinds) if kind in current.kinds]
        if not allowed:
            return [], 0.0
        with uncached_queries():  # no timing of the owner's searches through the query cache
            found = result(query, k=max(4 * k, 40), kinds=allowed, **options)
        hits = filter_hits(found.hits, current)[:k]
        return hits, shown_found(found, hits)

    def records(self, action: str, records: Sequence[Record], grant: Grant) -> list[Record]:
        """The ``records`` ``grant`` may see, audited under its client."""
        shown = [r for r in records if allows(grant, r.kind, f"{r.title}\n{r.text}")]
        if shown:
            refs = list(dict.fromkeys(r.ref for r in shown))
            self.record(grant.client, action, {"grant": grant.id, "refs": refs, "records": len(shown)})
        return shown

    def recent(
        self, limit: int, *, kinds: Sequence[str] = (), until: DateLike | None = None, grant: Grant
    ) -> list[Record]:
        """The newest records of ``grant``'s kinds and sensitive classes, newest first (audited)."""
        allowed = [kind for kind in (kinds or grant.kinds) if kind in grant.kinds]
        if not allowed:
            return []
        found = self.parts.store.recent_records(4 * limit, kinds=tuple(allowed), until=parse_when(until))
        return self.records("recent", found, grant)[:limit]
