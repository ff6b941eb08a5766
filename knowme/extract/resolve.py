"""Entity resolution: mentions to entities, each alias with the reason it was attached, merges that can be undone.

Matching order for one mention: a user's pinned alias (from ``people merge``/``split``) wins; then a shared email
address; a shared phone number; the same full name (accents and case ignored); for a one-word name, the only person
whose first name or nickname it is; for an address with no display name, the name its local part spells
(``jose.nunez@`` → José Núñez). When one mention (a vCard, a header ``Name <addr>``) matches two entities, they
are merged and the merge is logged with its reason. A one-word name shared by two people is ambiguous: it gets an
entity of its own rather than a guess.

The vault owner is the entity :data:`~knowme.models.graph.USER_ID`: seeded from the ``[user]`` settings, and from mail
(the address that appears in most messages of a mailbox is its owner's) and chat exports (``me``).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from knowme.extract.mentions import Mention, display_name
from knowme.models import stable_hash
from knowme.models.graph import USER_ID, Alias, Entity, Merge
from knowme.store.base import Store
from knowme.text.names import (
    clean_name,
    email_key,
    first_name,
    fold,
    is_email,
    name_from_local_part,
    name_key,
    phone_key,
)

TYPE_RANK = {"person": 5, "organisation": 4, "place": 3, "project": 2, "topic": 1, "thing": 0}
OWNER_META = "graph.mail_counts"
MIN_OWNER_MAIL = 3


def prune_owner_counts(store: Store) -> None:
    """Keep in the owner detector's tally only addresses some entity still has (after a forget)."""
    raw = store.get_meta(OWNER_META)
    if not raw:
        return
    state = json.loads(raw)
    known = {email_key(a.alias) for a in store.graph().aliases() if a.kind == "email"}
    counts = {address: n for address, n in state["counts"].items() if address in known}
    if counts != state["counts"]:
        store.set_meta(OWNER_META, json.dumps({"total": state["total"], "counts": counts}))


def alias_keys(alias: str, kind: str) -> list[str]:
    """The index keys of a stored alias."""
    if kind == "email":
        return [f"email:{email_key(alias)}"]
    if kind == "phone":
        key = phone_key(alias)
        return [f"phone:{key}"] if key else []
    key = name_key(alias)
    return [f"name:{key}"] if key else []


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def compatible(a: str, b: str) -> bool:
    return a == b or "topic" in (a, b) or {a, b} == {"project", "topic"}


@dataclass
class _Candidate:
    entity_id: str
    reason: str
    pinned: bool = False


class Resolver:
    """Resolves mentions against the graph, keeping an in-memory alias index in step with what it writes."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.graph = store.graph()
        self.entities: dict[str, Entity] = {e.id: e for e in self.graph.entities()}
        self.index: dict[str, set[str]] = {}
        self.alias_kinds: dict[str, dict[str, str]] = {}
        for alias in self.graph.aliases():
            self._index(alias.entity_id, alias.alias, alias.kind)
        self.pinned = self.graph.pins()
        self.merged: dict[str, str] = {}  # dropped id -> kept id, for callers holding old ids
        if USER_ID not in self.entities:
            self._put(Entity(USER_ID, "person", "Me", {"owner": True}))

    # -- index -------------------------------------------------------------------------------------------------
    def _index(self, entity_id: str, alias: str, kind: str) -> None:
        self.alias_kinds.setdefault(entity_id, {})[alias] = kind
        for key in alias_keys(alias, kind):
            self.index.setdefault(key, set()).add(entity_id)

    def _unindex(self, entity_id: str) -> None:
        for alias, kind in self.alias_kinds.pop(entity_id, {}).items():
            for key in alias_keys(alias, kind):
                self.index.get(key, set()).discard(entity_id)

    def _put(self, entity: Entity) -> None:
        self.entities[entity.id] = entity
        self.graph.put_entity(entity)

    def current(self, entity_id: str) -> str:
        while entity_id in self.merged:
            entity_id = self.merged[entity_id]
        return entity_id

    def persons_named(self, first: str) -> set[str]:
        """Person entities whose first name (of a full name) or one-word name/nickname is ``first``."""
        found: set[str] = set()
        for eid, aliases in self.alias_kinds.items():
            entity = self.entities.get(eid)
            if entity is None or entity.type != "person":
                continue
            for alias, kind in aliases.items():
                if kind in ("name", "nickname") and (
                    first_name(alias) == first if " " in alias else fold(alias) == first
                ):
                    found.add(eid)
                    break
        return found

    def known_person(self, name: str) -> str | None:
        """The one person already known by ``name`` (a full name, or a first name only one person has), else None."""
        key = name_key(name)
        if not key:
            return None
        pool = {e for e in self.index.get(f"name:{key}", ()) if (x := self.entities.get(e)) and x.type == "person"}
        if not pool and " " not in key:
            pool = self.persons_named(key)
        return self.current(next(iter(pool))) if len(pool) == 1 else None

    # -- attaching -----------------------------------------------------------------------------------------------
    def add_alias(self, entity_id: str, alias: str, kind: str, reason: str, record_ids: Iterable[str]) -> None:
        alias = alias.strip()
        if not alias or not alias_keys(alias, kind):
            return
        known = self.alias_kinds.get(entity_id, {})
        if alias not in known:
            self.graph.add_alias(Alias(entity_id, alias, kind, reason))
            self._index(entity_id, alias, kind)
        self.graph.add_provenance("alias", f"{entity_id}\x1f{alias}", record_ids)

    def _create(self, mention: Mention) -> str:
        keys = self._keys(mention)
        entity_id = stable_hash(mention.type, keys[0] if keys else mention.label, length=16)
        while entity_id in self.entities:
            entity_id = stable_hash(entity_id, length=16)
        self._put(Entity(entity_id, mention.type, display_name(mention)))
        return entity_id

    @staticmethod
    def _keys(mention: Mention) -> list[str]:
        keys = [f"email:{email_key(e)}" for e in mention.emails]
        keys += [f"phone:{phone_key(p)}" for p in mention.phones if phone_key(p)]
        keys += [f"name:{name_key(n)}" for n in (*mention.names, *mention.nicknames) if name_key(n)]
        return keys

    def _candidates(self, mention: Mention) -> list[_Candidate]:
        found: list[_Candidate] = []

        def take(ids: Iterable[str], reason: str, *, type_check: bool = True) -> None:
            for eid in sorted(ids):
                entity = self.entities.get(eid)
                if entity is None or (type_check and not compatible(entity.type, mention.type)):
                    continue
                if all(c.entity_id != eid for c in found):
                    found.append(_Candidate(eid, reason))

        for key in self._keys(mention):
            if key in self.pinned:
                return [_Candidate(self.current(self.pinned[key]), f"pinned alias {key.split(':', 1)[1]}", True)]
        if mention.owner:
            found.append(_Candidate(USER_ID, "the vault owner's own messages"))
        for email in mention.emails:
            holders = {e for e in self.index.get(f"email:{email_key(email)}", ()) if not self._other_person(e, mention)}
            take(holders, f"shared email address {email}", type_check=False)
        for phone in mention.phones:
            take(self.index.get(f"phone:{phone_key(phone)}", ()), f"shared phone number {phone}")
        for name in (*mention.names, *mention.nicknames):
            key = name_key(name)
            if not key:
                continue
            if " " in key:
                take(self.index.get(f"name:{key}", ()), f"same name {clean_name(name)}")
            elif mention.type != "person":  # one-word places and organisations: "Berlin", "Acme"
                same = {e for e in self.index.get(f"name:{key}", ()) if self.entities[e].type == mention.type}
                take(same, f"same name {clean_name(name)}")
            elif not found and mention.type == "person":
                exact = {e for e in self.index.get(f"name:{key}", ()) if self.entities[e].type == "person"}
                by_first = self.persons_named(key)
                pool = exact or by_first
                if len(pool) == 1:
                    take(pool, f"the only person called {clean_name(name)}")
        if not found and mention.emails and not mention.names:
            for email in mention.emails:
                guess = name_from_local_part(email)
                if guess and " " in guess:
                    take(self.index.get(f"name:{fold(guess)}", ()), f"address {email} spells the name")
        return found

    def _other_person(self, entity_id: str, mention: Mention) -> bool:
        """True when the entity's full names and the mention's full name clearly differ (a shared address such as a
        notification bot's, or one household address): the address then does not make them one person."""
        mine = {name_key(n) for n in mention.names if " " in name_key(n)}
        if not mine or entity_id == USER_ID and mention.owner:
            return False
        theirs = {name_key(a) for a, k in self.alias_kinds.get(entity_id, {}).items() if k == "name"}
        full = {n for n in theirs if " " in n}
        if not full or mine & theirs:
            return False
        return not ({n.split()[0] for n in mine} & {n.split()[0] for n in full})

    def shared_address(self, entity_id: str, email: str, mention: Mention) -> bool:
        return self._other_person(entity_id, mention) and entity_id in self.index.get(f"email:{email_key(email)}", ())

    def resolve(self, mention: Mention, record_ids: Sequence[str], *, context: str = "") -> str | None:
        """The entity ``mention`` refers to (created when new), with aliases and provenance recorded."""
        if mention.tentative:
            pool = {e for n in mention.names for e in self.index.get(f"name:{name_key(n)}", ())}
            if len(pool) == 1:
                entity_id = next(iter(pool))
                self.graph.add_provenance("entity", entity_id, record_ids)
                return entity_id
            if len(pool) > 1:
                return None
        candidates = self._candidates(mention)
        if not candidates:
            entity_id = self._create(mention)
            reason = f"first seen {context}".strip()
        else:
            entity_id = candidates[0].entity_id
            reason = candidates[0].reason
            if not candidates[0].pinned:
                for other in candidates[1:]:
                    entity_id = self.merge(entity_id, other.entity_id, f"{other.reason} ({context or 'one record'})")
        self._upgrade(entity_id, mention)
        pinned = candidates[0].pinned if candidates else False
        for kind, values in (
            ("name", mention.names),
            ("nickname", mention.nicknames),
            ("email", mention.emails),
            ("phone", mention.phones),
        ):
            for value in values:
                keys = alias_keys(value, kind)
                if pinned and any(self.index.get(k, set()) - {entity_id} for k in keys):
                    continue  # a split the user made: do not pull that alias back
                if kind == "email" and any(
                    self.shared_address(other, value, mention) for other in self.index.get(keys[0], set()) - {entity_id}
                ):
                    continue  # an address several people write from is nobody's alias
                text = clean_name(value) if kind == "name" else value
                self.add_alias(
                    entity_id, text, kind, f"{reason}" if kind != "name" else f"name in {context}", record_ids
                )
        self.graph.add_provenance("entity", entity_id, record_ids)
        return entity_id

    def _upgrade(self, entity_id: str, mention: Mention) -> None:
        """Prefer the stronger type and a full name over a one-word name or an address."""
        entity = self.entities[entity_id]
        new = entity
        if TYPE_RANK.get(mention.type, 0) > TYPE_RANK.get(entity.type, 0) and not mention.tentative:
            new = replace(new, type=mention.type)
        if mention.names and entity_id != USER_ID or (entity_id == USER_ID and entity.name == "Me" and mention.names):
            candidate = display_name(mention)
            weak = " " not in entity.name or is_email(entity.name) or entity.name == "Me"
            if weak and " " in candidate and not is_email(candidate):
                new = replace(new, name=candidate)
        if new != entity:
            self._put(new)

    # -- merging ---------------------------------------------------------------------------------------------
    def merge(self, keep: str, drop: str, reason: str) -> str:
        keep, drop = self.current(keep), self.current(drop)
        if keep == drop:
            return keep
        if drop == USER_ID or (
            keep != USER_ID and TYPE_RANK[self.entities[drop].type] > TYPE_RANK[self.entities[keep].type]
        ):
            keep, drop = drop, keep
        kept, dropped = self.entities[keep], self.entities[drop]
        aliases = tuple(self.alias_kinds.get(drop, {}))
        self.graph.reassign_entity(drop, keep)
        self.graph.add_merge(Merge(keep, drop, dropped.name, reason, aliases, _now()))
        for alias in aliases:
            self._index(keep, alias, self.alias_kinds[drop][alias])
        self._unindex(drop)
        del self.entities[drop]
        self.merged[drop] = keep
        better = kept
        if TYPE_RANK[dropped.type] > TYPE_RANK[kept.type]:
            better = replace(better, type=dropped.type)
        if (" " not in kept.name or kept.name == "Me" or is_email(kept.name)) and " " in dropped.name:
            better = replace(better, name=dropped.name)
        if better != kept:
            self._put(better)
        return keep

    def consolidate(self) -> None:
        """Merge one-word and address-only person entities into the only full-name person they can be."""
        for eid in list(self.entities):
            entity = self.entities.get(eid)
            if entity is None or entity.type != "person" or eid == USER_ID:
                continue
            aliases = self.alias_kinds.get(eid, {})
            names = [a for a, k in aliases.items() if k in ("name", "nickname")]
            emails = [a for a, k in aliases.items() if k == "email"]
            if any(" " in fold(n) for n in names):
                continue
            if any(f"{k}:{a}" in self.pinned for a, k in ((fold(n), "name") for n in names)):
                continue
            target: set[str] = set()
            reason = ""
            if names:
                first = fold(names[0])
                pool = {p for p in self.persons_named(first) if p != eid and self._has_full_name(p)}
                if len(pool) == 1:
                    target, reason = pool, f"the only person called {names[0]}"
            elif emails:
                guess = name_from_local_part(emails[0])
                if guess and " " in guess:
                    pool = {e for e in self.index.get(f"name:{fold(guess)}", ()) if e != eid}
                    if len(pool) == 1:
                        target, reason = pool, f"address {emails[0]} spells the name"
            if target:
                self.merge(next(iter(target)), eid, reason)

    def _has_full_name(self, entity_id: str) -> bool:
        return any(" " in fold(a) for a, k in self.alias_kinds.get(entity_id, {}).items() if k == "name")

    # -- the owner -----------------------------------------------------------------------------------------------
    def seed_user(self, name: str | None, emails: Sequence[str]) -> None:
        """The ``[user]`` settings: pinned to the owner entity."""
        for alias, kind in ([(name, "name")] if name else []) + [(e, "email") for e in emails]:
            assert alias is not None
            for key in alias_keys(alias, kind):
                holders = self.index.get(key, set()) - {USER_ID}
                for other in list(holders):
                    self.merge(USER_ID, other, "named as the user in the configuration")
                if self.pinned.get(key) != USER_ID:
                    self.graph.pin_alias(key, USER_ID, "configuration")
                    self.pinned[key] = USER_ID
            if alias not in self.alias_kinds.get(USER_ID, {}):
                self.graph.add_alias(Alias(USER_ID, alias, kind, "configuration"))
                self._index(USER_ID, alias, kind)
        if name and self.entities[USER_ID].name != clean_name(name):
            self._put(replace(self.entities[USER_ID], name=clean_name(name)))

    def observe_mail(self, addresses_per_message: Sequence[set[str]]) -> None:
        """Count addresses per message; the one in most messages (at least half, at least 3) is the owner's. A tie
        for the most (a mailbox of mail between the owner and one other person) decides nothing: ``[user]`` does."""
        if not addresses_per_message:
            return
        raw = self.store.get_meta(OWNER_META)
        state: dict[str, Any] = json.loads(raw) if raw else {"total": 0, "counts": {}}
        counts: Counter[str] = Counter({str(k): int(v) for k, v in state["counts"].items()})
        for addresses in addresses_per_message:
            counts.update(addresses)
        total = int(state["total"]) + len(addresses_per_message)
        self.store.set_meta(OWNER_META, json.dumps({"total": total, "counts": dict(counts.most_common(200))}))
        if not counts:
            return
        top = counts.most_common(2)
        address, seen = top[0]
        if seen < MIN_OWNER_MAIL or seen * 2 < total:
            return
        if len(top) > 1 and top[1][1] == seen:
            return  # two addresses in every message (all mail between the owner and one person): not a guess

        holders = self.index.get(f"email:{address}", set())
        for holder in list(holders - {USER_ID}):
            if any(self.pinned.get(k) == holder for k in alias_keys(address, "email")):
                continue
            self.merge(USER_ID, holder, f"{address} appears in {seen} of {total} emails: the mailbox owner")
