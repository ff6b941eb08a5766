"""The incremental graph update run after each ingest batch (and the full re-run when an extractor's version changes).

For the records of one batch: their old provenance is cleared; every mention is resolved to an entity; mail
updates the owner statistics; one-word and address-only people are consolidated; each configured extractor turns the
records into facts and commitments; claims about the author's relation ("my mother is allergic to penicillin") are
stored on that person once the relationship is known (until then they wait, in the vault, for a later batch that
says who "my mother" is); single-valued facts get their validity recomputed (a newer claim closes the older one's
``valid_to``, the older row is kept); claims that disagree about the same time are all kept, the most reliable
one standing and the others marked ``invalidated_at`` with ``superseded_by`` (:func:`resolve_conflicts`); open
commitments are checked against deliveries; and what no record supports any more is pruned. It all runs in the
batch's transaction. Folding the same records again gives the same graph.

After records are forgotten, :func:`after_forget` recomputes validity and conflicts (a forgotten "moved to Porto"
re-opens Lisbon; a forgotten winning claim lets the next one stand) and drops what the tracker kept of them.

When an extractor's version differs from the one recorded in the vault, that extractor's facts are deleted and it is
re-run over every record: other extractors' facts stay as they are.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from knowme.config import Settings
from knowme.extract.claims import Claim, CommitmentClaim, ExtractContext, Extractor
from knowme.extract.commitments import Delivery, delivery, thread_of, words
from knowme.extract.mentions import Mention, mentions
from knowme.extract.resolve import Resolver
from knowme.models import Record, assistant_unconfirmed, stable_hash
from knowme.models.graph import SINGLE_VALUED, SYMMETRIC, USER_ID, Commitment, Fact
from knowme.plugins import extractor as find_extractor
from knowme.store.base import Store

EXTRACTORS_META = "graph.extractors"
DELIVERIES_META = "graph.deliveries"
PENDING_META = "graph.pending"  # claims about "my mother" waiting until the graph knows who she is
MAX_PENDING = 2000
UNDATED = frozenset({"birthday", "anniversary"})  # one value for all time: any two values conflict
MAX_DELIVERIES = 3000
TARGETS = ("entity", "alias", "fact", "commitment")
#: How far a source is trusted when claims conflict (structure beats prose, one's own words beat others').
RELIABILITY = {"contact": 0.95, "event": 0.85, "note": 0.85, "email": 0.8, "chat_message": 0.7}
TEMPORAL = frozenset({"lives_in", "works_at", "manager", "partner", "diet", "job_title"})
OWED_BY_USER = ("made", "asked")


@dataclass
class GraphUpdate:
    records: int = 0
    entities: int = 0
    facts: int = 0
    commitments: int = 0
    rebuilt: list[str] = field(default_factory=list)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def load_extractors(settings: Settings) -> list[Extractor]:
    chosen: list[Extractor] = []
    for name in settings.graph.extractors:
        extractor = find_extractor(name)()
        configure = getattr(extractor, "configure", None)
        if callable(configure):  # an extractor that needs the settings (the LLM one: which model)
            configure(settings)
        chosen.append(extractor)
    return chosen


def _context(record: Record, pairs: list[tuple[Mention, str]], resolver: Resolver) -> ExtractContext:
    current = [(m, resolver.current(e)) for m, e in pairs]
    author: str | None = None
    subject: str | None = None
    recipients: list[str] = []
    if record.kind == "note":
        author = USER_ID
        subject = next((e for m, e in current if m.role == "subject"), None)
    elif record.kind == "contact":
        subject = next((e for m, e in current if m.role == "contact"), None)
    else:
        author = next((e for m, e in current if m.role in ("author", "organizer")), None)
        recipients = [e for m, e in current if m.role in ("recipient", "attendee", "participant") and e != author]

    def entity(name: str, type_: str) -> str | None:
        return resolver.resolve(Mention(type_, "text", names=(name,)), [record.id], context=record.ref)

    return ExtractContext(record, author, subject, tuple(dict.fromkeys(recipients)), entity, resolver.known_person)


def _store_fact(store: Store, claim: Claim, record: Record, extractor: Extractor, resolver: Resolver) -> Fact:
    graph = store.graph()
    subject = resolver.current(claim.subject)
    obj = resolver.current(claim.object_id) if claim.object_id else None
    fid = fact_id(replace(claim, subject=subject, object_id=obj), extractor.name)
    fact = Fact(
        id=fid,
        subject_id=subject,
        predicate=claim.predicate,
        object_id=obj,
        object_value=claim.object_value,
        valid_from=claim.valid_from,
        valid_to=claim.valid_to,
        recorded_at=_now(),
        confidence=round(claim.confidence * RELIABILITY.get(record.kind, 0.7), 3),
        extractor=extractor.name,
        extractor_version=extractor.version,
        attributes={
            "evidence": claim.evidence[:300],
            "kind": claim.kind,
            "stated_to": claim.valid_to,
            "record_date": record.timestamp.date().isoformat() if record.timestamp else None,
            **({"via": claim.via} if claim.via else {}),
        },
    )
    existing = {f.id: f for f in graph.facts(subject_id=subject, predicate=claim.predicate)}
    if fid in existing:  # the same claim again: when it was learned, and whether it lost a conflict, stay as they were
        old = existing[fid]
        kept = {k: old.attributes[k] for k in ("superseded_by",) if k in old.attributes}
        fact = replace(fact, recorded_at=old.recorded_at, confidence=max(old.confidence, fact.confidence),
                       invalidated_at=old.invalidated_at, attributes={**fact.attributes, **kept})  # fmt: skip
    graph.put_fact(fact)
    graph.add_provenance("fact", fid, [record.id])
    return fact


def _store_commitment(
    store: Store, claim: CommitmentClaim, record: Record, extractor: Extractor, resolver: Resolver
) -> Commitment:
    cid = stable_hash("commitment", record.id, claim.direction, claim.what, length=24)
    commitment = Commitment(
        id=cid,
        direction=claim.direction,
        counterparty_id=resolver.current(claim.counterparty) if claim.counterparty else None,
        what=claim.what,
        due=claim.due,
        status="open",
        made_at=record.timestamp.isoformat() if record.timestamp else None,
        record_id=record.id,
        thread=thread_of(record),
        extractor=extractor.name,
        extractor_version=extractor.version,
        recorded_at=_now(),
    )
    store.graph().put_commitment(commitment)
    store.graph().add_provenance("commitment", cid, [record.id])
    return commitment


def recompute_validity(store: Store, keys: set[tuple[str, str]]) -> None:
    """For single-valued predicates: each claim holds until the next claim of another value starts."""
    graph = store.graph()
    for subject, predicate in keys:
        if predicate not in TEMPORAL:
            continue
        facts = graph.facts(subject_id=subject, predicate=predicate)
        starts = sorted(
            {
                (f.valid_from or "", f.object_id or f.object_value or "")
                for f in facts
                if f.attributes.get("kind") != "ended"
            }
        )
        for fact in facts:
            value = fact.object_id or fact.object_value or ""
            stated = fact.attributes.get("stated_to")
            start = fact.valid_from or ""
            nxt = next((s for s, v in starts if s > start and v != value), None)
            valid_to = stated or nxt
            if fact.attributes.get("kind") == "ended":
                valid_to = stated
            if valid_to != fact.valid_to:
                graph.put_fact(replace(fact, valid_to=valid_to))


def kin_of(store: Store, resolver: Resolver, author: str, relation: str, day: str | None) -> tuple[str | None, bool]:
    """Who the author's ``relation`` was on ``day``: ``(entity id, False)``; ``(None, True)`` when several people
    fit (two sisters: the claim is dropped, never guessed); ``(None, False)`` when nobody is known yet."""
    graph = store.graph()
    facts = [f for f in graph.facts(subject_id=author, predicate=relation) if f.object_id and not f.invalidated_at]
    if relation in SYMMETRIC:
        facts += [replace(f, object_id=f.subject_id) for f in graph.facts(object_id=author, predicate=relation)
                  if not f.invalidated_at]  # fmt: skip
    if day:
        valid = [f for f in facts if (f.valid_from or "") <= day and (f.valid_to is None or day < f.valid_to)]
        facts = valid or facts
    ids = {resolver.current(f.object_id) for f in facts if f.object_id}
    if len(ids) == 1:
        return next(iter(ids)), False
    return None, len(ids) > 1


Deferred = tuple[Claim, Record, Extractor]


def _load_pending(store: Store, chosen: Sequence[Extractor], skip: set[str]) -> list[Deferred]:
    raw = store.get_meta(PENDING_META)
    by_name = {e.name: e for e in chosen}
    out: list[Deferred] = []
    for item in json.loads(raw) if raw else []:
        extractor = by_name.get(item["extractor"])
        if item["record_id"] in skip or extractor is None or extractor.version != item["version"]:
            continue  # re-extracted in this batch, or the extractor changed: its claims are made afresh
        record = store.get_record(item["record_id"])
        if record is not None:
            out.append((Claim(**item["claim"]), record, extractor))
    return out


def _save_pending(store: Store, pending: Sequence[Deferred]) -> None:
    items = [
        {"record_id": r.id, "extractor": e.name, "version": e.version, "claim": asdict(c)}
        for c, r, e in pending[-MAX_PENDING:]
    ]
    if items or store.get_meta(PENDING_META):
        store.set_meta(PENDING_META, json.dumps(items))


def store_kin_claims(store: Store, deferred: Sequence[Deferred], resolver: Resolver) -> list[Fact]:
    """Store the claims about the author's relations that can now be placed; keep the rest waiting."""
    stored: list[Fact] = []
    waiting: list[Deferred] = []
    for claim, record, extractor in deferred:
        assert claim.via is not None
        day = record.timestamp.date().isoformat() if record.timestamp else None
        subject, ambiguous = kin_of(store, resolver, resolver.current(claim.subject), claim.via, day)
        if subject is None:
            if not ambiguous:
                waiting.append((claim, record, extractor))
            continue
        stored.append(_store_fact(store, replace(claim, subject=subject), record, extractor, resolver))
    _save_pending(store, waiting)
    return stored


def _value_key(fact: Fact) -> str:
    if fact.predicate in UNDATED:
        return (fact.object_value or "")[-5:]  # "1958-09-17" and "--09-17" agree
    return fact.object_id or (fact.object_value or "").lower()


def resolve_conflicts(store: Store, keys: set[tuple[str, str]]) -> None:
    """Single-valued claims that disagree about the same time (two birthdays for one person; two employers stated
    from the same day) are all kept with their sources. The most reliable claim stands (confidence, which carries
    the source's reliability, then the most recent record, then the most supporting records); the others get
    ``invalidated_at`` and ``superseded_by``. When the winner goes (forgotten), the next one stands again."""
    graph = store.graph()
    now = _now()
    for subject, predicate in keys:
        if predicate not in SINGLE_VALUED:
            continue
        slots: dict[str, list[Fact]] = {}
        for fact in graph.facts(subject_id=subject, predicate=predicate):
            if fact.attributes.get("kind") != "ended":
                slots.setdefault("" if predicate in UNDATED else (fact.valid_from or ""), []).append(fact)
        for group in slots.values():
            best: Fact | None = None
            if len({_value_key(f) for f in group}) > 1:
                best = max(group, key=lambda f: (f.confidence, str(f.attributes.get("record_date") or ""),
                                                 len(graph.sources("fact", f.id)), f.id))  # fmt: skip
            for fact in group:
                loses = best is not None and _value_key(fact) != _value_key(best)
                attributes: dict[str, Any] = dict(fact.attributes)
                if loses and best is not None:
                    if fact.invalidated_at and attributes.get("superseded_by") == best.id:
                        continue
                    attributes["superseded_by"] = best.id
                    graph.put_fact(replace(fact, invalidated_at=fact.invalidated_at or now, attributes=attributes))
                elif "superseded_by" in attributes:
                    attributes.pop("superseded_by")
                    graph.put_fact(replace(fact, invalidated_at=None, attributes=attributes))


def after_forget(store: Store, record_ids: Sequence[str]) -> None:
    """What the graph must redo once records are gone: validity and conflicts of what is left, and the delivery
    tracker's and the waiting claims' copies of the forgotten records."""
    prune_deliveries(store, record_ids)
    gone = set(record_ids)
    raw = store.get_meta(PENDING_META)
    if raw:
        items = json.loads(raw)
        kept = [i for i in items if i["record_id"] not in gone]
        if len(kept) != len(items):
            store.set_meta(PENDING_META, json.dumps(kept))
    keys = {(f.subject_id, f.predicate) for p in SINGLE_VALUED for f in store.graph().facts(predicate=p)}
    recompute_validity(store, keys)
    resolve_conflicts(store, keys)


def fact_id(fact: Fact | Claim, extractor: str) -> str:
    """A claim's id: the same claim about the same entities always gets the same one (also after merges)."""
    if isinstance(fact, Fact):
        subject, start, stated = fact.subject_id, fact.valid_from, fact.attributes.get("stated_to")
    else:
        subject, start, stated = fact.subject, fact.valid_from, fact.valid_to
    parts = (fact.object_id or "", fact.object_value or "", start or "", stated or "")
    return stable_hash(extractor, subject, fact.predicate, *parts, length=24)


def dedupe_facts(store: Store, entity_ids: set[str]) -> None:
    """After merges, a claim made about the dropped entity takes the id it has about the kept one (so folding the
    same records again finds it), and a claim held twice is kept once, with all its sources."""
    graph = store.graph()
    facts = {f.id: f for e in entity_ids for f in graph.facts(subject_id=e) + graph.facts(object_id=e)}
    for fact in sorted(facts.values(), key=lambda f: (f.recorded_at, f.id)):
        canonical = fact_id(fact, fact.extractor)
        if canonical == fact.id:
            continue
        records = [s.record_id for s in graph.sources("fact", fact.id)]
        if not any(f.id == canonical for f in graph.facts(subject_id=fact.subject_id, predicate=fact.predicate)):
            graph.put_fact(replace(fact, id=canonical))
        graph.add_provenance("fact", canonical, records)
        graph.delete_facts([fact.id])


def _matches(c: Commitment, d: Delivery, what_words: frozenset[str]) -> bool:
    if c.made_at is None or d.day <= c.made_at or d.record_id == c.record_id:
        return False
    deliverer = USER_ID if c.direction in OWED_BY_USER else c.counterparty_id
    if d.author != deliverer:
        return False
    if d.thread == c.thread:
        return True
    other = c.counterparty_id if c.direction in OWED_BY_USER else USER_ID
    return other in d.recipients and len(what_words & d.words) >= 2


def update_status(store: Store, new_commitments: list[Commitment], new_deliveries: list[Delivery]) -> None:
    raw = store.get_meta(DELIVERIES_META)
    remembered = [
        Delivery(d["record_id"], d["author"], tuple(d["recipients"]), d["thread"], d["day"], frozenset(d["words"]))
        for d in (json.loads(raw) if raw else [])
    ]
    refolded = {d.record_id for d in new_deliveries}  # the same message folded again replaces its old entry
    kept = [d for d in remembered if d.record_id not in refolded]
    all_deliveries = sorted(kept + new_deliveries, key=lambda d: d.day)
    graph = store.graph()
    new_ids = {c.id for c in new_commitments}
    open_old = [c for c in graph.commitments() if c.status == "open" and c.id not in new_ids]
    for commitment, pool in [(c, all_deliveries) for c in new_commitments] + [(c, new_deliveries) for c in open_old]:
        what_words = words(commitment.what)
        done = next((d for d in sorted(pool, key=lambda d: d.day) if _matches(commitment, d, what_words)), None)
        if done is not None:
            graph.put_commitment(replace(commitment, status="done", done_at=done.day, done_record_id=done.record_id))
    keep = all_deliveries[-MAX_DELIVERIES:]
    store.set_meta(
        DELIVERIES_META,
        json.dumps(
            [
                {
                    "record_id": d.record_id,
                    "author": d.author,
                    "recipients": list(d.recipients),
                    "thread": d.thread,
                    "day": d.day,
                    "words": sorted(d.words)[:40],
                }  # fmt: skip
                for d in keep
            ]
        ),
    )


def prune_deliveries(store: Store, record_ids: Sequence[str]) -> None:
    """Drop the remembered deliveries of forgotten records (they hold a few of each message's words)."""
    raw = store.get_meta(DELIVERIES_META)
    if not raw or not record_ids:
        return
    gone = set(record_ids)
    kept = [d for d in json.loads(raw) if d["record_id"] not in gone]
    store.set_meta(DELIVERIES_META, json.dumps(kept))


def _stale_extractors(store: Store, chosen: Sequence[Extractor]) -> list[Extractor]:
    raw = store.get_meta(EXTRACTORS_META)
    recorded: dict[str, str] = json.loads(raw) if raw else {}
    stale = [e for e in chosen if e.name in recorded and recorded[e.name] != e.version]
    if any(recorded.get(e.name) != e.version for e in chosen):
        recorded.update({e.name: e.version for e in chosen})
        store.set_meta(EXTRACTORS_META, json.dumps(recorded, sort_keys=True))
    return stale


def update_graph(store: Store, records: Sequence[Record], settings: Settings) -> GraphUpdate:
    """Fold ``records`` (new or changed) into the graph; see the module docstring."""
    report = GraphUpdate(records=len(records))
    if not settings.graph.enabled:
        return report
    chosen = load_extractors(settings)
    graph = store.graph()
    with store.transaction():
        stale = _stale_extractors(store, chosen)
        if stale:
            for extractor in stale:
                graph.delete_facts([f.id for f in graph.facts(extractor=extractor.name)])
                graph.delete_commitments([c.id for c in graph.commitments() if c.extractor == extractor.name])
            report.rebuilt = [e.name for e in stale]
            records = list(store.iter_records())
        # an assistant's note is not the user's word until the owner confirms it (knowme.privacy.pending)
        records = [r for r in records if not assistant_unconfirmed(r)]
        if not records:
            return report
        resolver = Resolver(store)
        resolver.seed_user(settings.user.name, settings.user.emails)
        ids = [r.id for r in records]
        graph.clear_provenance(ids, TARGETS)
        resolved: dict[str, list[tuple[Mention, str]]] = {}
        mail: list[set[str]] = []
        for record in records:
            pairs: list[tuple[Mention, str]] = []
            for mention in mentions(record):
                entity_id = resolver.resolve(mention, [record.id], context=record.ref)
                if entity_id:
                    pairs.append((mention, entity_id))
            resolved[record.id] = pairs
            if record.kind == "email":
                mail.append({e for m, _ in pairs for e in m.emails})
        resolver.observe_mail(mail)
        resolver.consolidate()
        touched: set[tuple[str, str]] = set()
        new_commitments: list[Commitment] = []
        new_deliveries: list[Delivery] = []
        deferred: list[Deferred] = []
        for record in records:
            ctx = _context(record, resolved[record.id], resolver)
            for extractor in chosen:
                result = extractor.extract(record, ctx)
                for claim in result.facts:
                    if claim.via:
                        deferred.append((claim, record, extractor))
                        continue
                    fact = _store_fact(store, claim, record, extractor, resolver)
                    touched.add((fact.subject_id, fact.predicate))
                    report.facts += 1
                for commitment in result.commitments:
                    new_commitments.append(_store_commitment(store, commitment, record, extractor, resolver))
            found = delivery(record, ctx)
            if found is not None:
                new_deliveries.append(found)
        if resolver.merged:
            subjects = {resolver.current(k) for k in resolver.merged} | {s for s, _ in touched}
            dedupe_facts(store, subjects)
            touched |= {(f.subject_id, f.predicate) for s in subjects for f in graph.facts(subject_id=s)}
        recompute_validity(store, {(resolver.current(s), p) for s, p in touched if p in SINGLE_VALUED})
        kin_facts = store_kin_claims(store, _load_pending(store, chosen, set(ids)) + deferred, resolver)
        report.facts += len(kin_facts)
        kin = {(f.subject_id, f.predicate) for f in kin_facts}
        recompute_validity(store, {k for k in kin if k[1] in SINGLE_VALUED})
        resolve_conflicts(store, {(resolver.current(s), p) for s, p in touched | kin if p in SINGLE_VALUED})
        update_status(store, new_commitments, new_deliveries)
        report.commitments = len(new_commitments)
        graph.prune(keep=(USER_ID,))
        report.entities = len(resolver.entities)
    return report
