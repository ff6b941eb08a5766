"""The incremental graph update run after each ingest batch (and the full re-run when an extractor's version changes).

For the records of one batch: their old provenance is cleared; every mention is resolved to an entity; mail
updates the owner statistics; one-word and address-only people are consolidated; each configured extractor turns the
records into facts and commitments; single-valued facts get their validity recomputed (a newer claim closes the older
one's ``valid_to``, the older row is kept); open commitments are checked against deliveries; and what no record
supports any more is pruned. It all runs in the batch's transaction.

When an extractor's version differs from the one recorded in the vault, that extractor's facts are deleted and it is
re-run over every record: other extractors' facts stay as they are.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from knowme.config import Settings
from knowme.graph.commitments import Delivery, delivery, thread_of, words
from knowme.graph.extractors import Claim, CommitmentClaim, ExtractContext, Extractor
from knowme.graph.mentions import Mention, mentions
from knowme.graph.model import SINGLE_VALUED, USER_ID, Commitment, Fact
from knowme.graph.resolve import Resolver
from knowme.models import Record, stable_hash
from knowme.store.base import Store

EXTRACTORS_META = "graph.extractors"
DELIVERIES_META = "graph.deliveries"
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
    from knowme.errors import ConfigError
    from knowme.plugins import extractors

    known = extractors()
    chosen: list[Extractor] = []
    for name in settings.graph.extractors:
        if name not in known:
            raise ConfigError(f"unknown graph extractor {name!r}; known: {', '.join(sorted(known))}")
        extractor = known[name]()
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

    return ExtractContext(record, author, subject, tuple(dict.fromkeys(recipients)), entity)


def _store_fact(store: Store, claim: Claim, record: Record, extractor: Extractor, resolver: Resolver) -> Fact:
    graph = store.graph()
    subject = resolver.current(claim.subject)
    obj = resolver.current(claim.object_id) if claim.object_id else None
    fid = stable_hash(
        extractor.name, subject, claim.predicate, obj or "", claim.object_value or "", claim.valid_from or "",
        claim.valid_to or "", length=24,
    )  # fmt: skip
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
        },
    )
    existing = {f.id: f for f in graph.facts(subject_id=subject, predicate=claim.predicate)}
    if fid in existing:
        old = existing[fid]
        fact = replace(fact, recorded_at=old.recorded_at, confidence=max(old.confidence, fact.confidence))
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


def dedupe_facts(store: Store, subject_ids: set[str]) -> None:
    """After merges, the same claim can exist twice under old and new ids: keep one, with all its sources."""
    graph = store.graph()
    for subject in subject_ids:
        seen: dict[tuple[object, ...], Fact] = {}
        for fact in graph.facts(subject_id=subject):
            key = (fact.extractor, fact.predicate, fact.object_id, fact.object_value, fact.valid_from, fact.valid_to)
            if key in seen:
                keep = seen[key]
                records = [s.record_id for s in graph.sources("fact", fact.id)]
                graph.add_provenance("fact", keep.id, records)
                graph.delete_facts([fact.id])
            else:
                seen[key] = fact


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
    all_deliveries = sorted(remembered + new_deliveries, key=lambda d: d.day)
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
        for record in records:
            ctx = _context(record, resolved[record.id], resolver)
            for extractor in chosen:
                result = extractor.extract(record, ctx)
                for claim in result.facts:
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
        update_status(store, new_commitments, new_deliveries)
        report.commitments = len(new_commitments)
        graph.prune(keep=(USER_ID,))
        report.entities = len(resolver.entities)
    return report
