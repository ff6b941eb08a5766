"""The concierge: what is due (the digest), replies in the user's voice (drafts) and times that respect the person
(slot suggestions), over an open vault's parts and the persona."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from knowme.assist.digest import Digest, build_digest
from knowme.assist.draft import Draft, draft_reply
from knowme.assist.slots import Slot, parse_span, suggest_slots
from knowme.errors import ConfigError
from knowme.graph.views import find_entity
from knowme.llm.base import ChatBackend
from knowme.parts import Parts
from knowme.persona.energy import learn_energy
from knowme.persona.service import Persona
from knowme.persona.style import sent_messages
from knowme.text.when import DateLike, local_tz, parse_when


class Concierge:
    def __init__(self, parts: Parts, *, persona: Persona, phrasing: Callable[[], ChatBackend]) -> None:
        self.parts = parts
        self.persona = persona
        self.phrasing = phrasing

    def digest(self, as_of: DateLike | None = None, days: int = 7) -> Digest:
        """Birthdays, due commitments, mail awaiting a reply and events to prepare from ``as_of`` (default today)
        to ``days`` later, each with the refs of the records behind it."""
        when = parse_when(as_of) or datetime.now(local_tz())
        return build_digest(self.parts.store, when.date(), days)

    def draft(self, reply_to: str, intent: str, *, phrase: bool = False) -> Draft:
        """A reply to the email or chat message ``reply_to`` that does ``intent``, in the user's voice, grounded in
        the thread and open commitments; ``phrase=True`` lets the configured chat model reword it. The draft is
        checked against the user's applicable rules (``Draft.compliance``)."""
        store = self.parts.store
        records = store.records_by_ref(reply_to)
        if not records:
            raise ConfigError(f"no record {reply_to!r} in the vault; use a ref from search")
        backend = self.phrasing() if phrase else None
        rules = self.persona.applicable(f"{intent} (a reply message)")  # writing rules, and what the intent touches
        return draft_reply(store, records[-1], intent, sent_messages(store), backend=backend, preferences=rules)

    def suggest_slots(
        self, duration: timedelta | str = "45m", within: timedelta | str = "7d", *, start: DateLike | None = None,
        with_person: str | None = None, limit: int = 5, purpose: str = "meeting",
    ) -> list[Slot]:  # fmt: skip
        """Free times of ``duration`` in the next ``within`` (from ``start``, default now) that respect the
        calendar, the user's scheduling rules and their energy pattern (a ``meeting`` keeps their best hours free,
        ``focus`` time takes them), each with its reason; ``with_person`` is named in them."""
        store = self.parts.store
        begin = parse_when(start, end_of_day=False) or datetime.now(local_tz()).replace(second=0, microsecond=0)
        people = (find_entity(store, with_person).name,) if with_person else ()
        energy = learn_energy(store, until=begin, zone=begin.tzinfo)
        slots, _ = suggest_slots(
            store, self.persona.preferences(), start=begin, duration=parse_span(duration),
            within=parse_span(within), limit=limit, people=people, purpose=purpose, energy=energy,
        )  # fmt: skip
        return slots
