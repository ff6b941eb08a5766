"""What leaves the machine with a question: the egress policy applied to a context pack bound for a model outside
knowme, and the audit line of every disclosure.

A backend that runs inside knowme's process (``embedded``, ``extractive``) sees the pack as it is. Any other one
(an OpenAI-compatible endpoint may be a cloud API) gets, under ``[privacy]``: passages outside ``remote_scopes``
dropped, identifiers replaced by placeholders (:class:`~knowme.privacy.redact.RedactingBackend`, names of the
graph's people too when ``redact_names`` is on), and preferences touching a sensitive class it may not see kept home
(still checked locally). What a client under a grant or an outside model was shown is written to the audit log.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from knowme.config import Settings
from knowme.llm.base import ChatBackend
from knowme.models import Hit
from knowme.models.governance import Grant
from knowme.models.persona import Preference
from knowme.privacy.governance import Grants
from knowme.privacy.redact import RedactingBackend, egress_filter, people_names
from knowme.privacy.sensitivity import classify
from knowme.store.base import PortableStore, Store

#: Chat backends that run inside knowme's process: a context pack given to them never leaves the machine.
LOCAL_BACKENDS = ("embedded", "extractive")


def is_remote(backend: ChatBackend) -> bool:
    return backend.name not in LOCAL_BACKENDS


def person_names(store: Store) -> list[str]:
    """Names and nicknames of the people in the knowledge graph (for redaction)."""
    if not isinstance(store, PortableStore):
        return []
    people = {row["id"]: row["name"] for row in store.export_rows("entities") if row["type"] == "person"}
    aliases = [
        row["alias"]
        for row in store.export_rows("entity_aliases")
        if row["entity_id"] in people and row["alias_kind"] in ("name", "nickname")
    ]
    return [*people.values(), *aliases]


@dataclass(frozen=True)
class Outbound:
    """The backend a pack goes to (wrapped in the redactor when the policy asks) and whether it leaves knowme."""

    backend: ChatBackend
    remote: bool
    redacting: RedactingBackend | None = None

    def audit(self, grants: Grants, action: str, hits: Sequence[Hit], grant: Grant | None) -> None:
        """Log what a client (a grant) or a model outside knowme was shown: under the client, else the model."""
        if grant is None and not self.remote:
            return
        actor = grant.client if grant is not None else f"model:{self.backend.describe()}"
        last = self.redacting.last if self.redacting is not None else None
        redacted = last.counts() if last is not None else {}
        grants.disclose(actor, action, hits, grant=grant, backend=self.backend.describe(), redacted=redacted)


def outbound(backend: ChatBackend, hits: list[Hit], settings: Settings, store: Store) -> tuple[list[Hit], Outbound]:
    """The hits ``backend`` may see and the backend to send them to, under the ``[privacy]`` policy."""
    if not is_remote(backend):
        return hits, Outbound(backend, remote=False)
    policy = settings.privacy
    hits = egress_filter(hits, policy.remote_scopes)
    if not policy.redact:
        return hits, Outbound(backend, remote=True)
    names = people_names([h.author for h in hits]) + person_names(store) if policy.redact_names else []
    redacting = RedactingBackend(
        backend, names=names, redact_names=policy.redact_names, phone_region=policy.phone_region
    )
    return hits, Outbound(redacting, remote=True, redacting=redacting)


def preferences_out(
    preferences: Sequence[Preference], settings: Settings, *, remote: bool
) -> tuple[tuple[Preference, ...], tuple[Preference, ...]]:
    """The preferences a pack may carry and those kept home: a rule touching a sensitive class ("never book therapy
    on Mondays") does not go to a remote model unless ``remote_scopes`` allows the class."""
    if not remote:
        return tuple(preferences), ()
    allowed = set(settings.privacy.remote_scopes)
    sent = tuple(p for p in preferences if classify(p.statement) <= allowed)
    home = tuple(p for p in preferences if not classify(p.statement) <= allowed)
    return sent, home
