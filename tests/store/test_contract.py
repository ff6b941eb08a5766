"""The store interface, run against both backends: the SQLCipher vault file and the PostgreSQL service (one tenant).

Every test here takes the ``store`` fixture, parametrised over ``sqlcipher`` and ``postgres``; the results must be
the same on both (records, search with filters, thread links, graph, persona, governance, forgetting, export rows).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from knowme.models import Chunk, Record, SourceEntry
from knowme.models.governance import AuditEvent, Grant
from knowme.models.graph import Alias, Commitment, Entity, Fact, Merge
from knowme.models.persona import Feedback, Preference
from knowme.models.store import RecordSelector, SearchFilters
from knowme.privacy.grants import enrol
from knowme.store.base import Store
from knowme.store.sqlcipher import SQLCipherStore
from tests.store.conftest import CONTRACT_DIM, next_tenant

DIM = CONTRACT_DIM
T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def make_store(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> Any:
    if kind == "sqlcipher":
        return SQLCipherStore(tmp_path / f"vault-{next_tenant()}.db", b"\x07" * 32, dim=DIM)
    service = request.getfixturevalue("contract_service")
    name = next_tenant()
    enrol(service, name)
    return service.open_store(name, dim=DIM)


@pytest.fixture(params=["sqlcipher", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    s = make_store(request.param, tmp_path, request)
    try:
        yield s
    finally:
        s.close()


def vec(i: int) -> np.ndarray:
    v = np.zeros(DIM, dtype=np.float32)
    v[i % DIM] = 1.0
    v[(i + 1) % DIM] = 0.2
    return v / np.linalg.norm(v)


def put(store: Store, n: int, text: str, *, kind: str = "note", source: str = "notes:/home/me/Vault", days: int = 0,
        author: str | None = None, follows: str | None = None, ref: str | None = None) -> Record:  # fmt: skip
    record = Record(
        source=source,
        kind=kind,
        native_id=f"item-{n}",
        ref=ref or f"{source}#item-{n}",
        text=text,
        title=f"Title {n}",
        timestamp=T0 + timedelta(days=days),
        author=author,
        participants=(author,) if author else (),
        meta={"n": n},
        follows=follows,
    )
    chunks = [Chunk(record.id, 0, "", text, f"Title {n} {text}")]
    with store.transaction():
        store.upsert_record(record, chunks, np.stack([vec(n)]))
    return record


def life(store: Store) -> list[Record]:
    return [
        put(store, 0, "Booked the removal van for the move to Porto", days=0),
        put(store, 1, "The sourdough starter needs feeding twice a day", days=10),
        put(store, 2, "Dinner at the Porto riverside with Helena", kind="email", source="email:inbox", days=20,
            author="Helena Almeida"),
        put(store, 3, "Are we still on for the van on Saturday?", kind="chat_message", source="chat:friends",
            days=30, author="Rui", ref="chat:1"),
        put(store, 4, "Yes, the van is booked for nine", kind="chat_message", source="chat:friends", days=31,
            author="Me", follows="chat:1", ref="chat:2"),
    ]  # fmt: skip


def test_records_round_trip_and_listing(store: Any) -> None:
    records = life(store)
    assert store.get_record(records[2].id) == records[2]
    assert [r.id for r in store.iter_records()] == [r.id for r in records]
    assert [r.id for r in store.iter_records(kind="chat_message")] == [records[3].id, records[4].id]
    assert store.records_by_ref("chat:2") == [records[4]]
    assert [r.id for r in store.recent_records(2)] == [records[4].id, records[3].id]
    assert [r.id for r in store.recent_records(5, kinds=["note"], until=T0 + timedelta(days=5))] == [records[0].id]
    assert store.counts() == {"chat_message": 2, "email": 1, "note": 2}
    assert store.chunk_count() == 5
    assert store.size_bytes() > sum(len(r.text) for r in records)  # what the vault takes: never reported as 0
    assert store.content_hashes([records[1].id, "nope"]) == {records[1].id: records[1].content_hash}
    assert store.source_record_ids("chat:friends") == {"item-3": records[3].id, "item-4": records[4].id}
    assert store.speakers() == frozenset({"Rui", "Me"})
    assert store.delete_records([records[1].id, "nope"]) == 1
    assert store.get_record(records[1].id) is None and store.chunk_count() == 4


def test_contact_cards_list_each_cards_chunks_by_name(store: Any) -> None:
    life(store)
    assert store.contact_cards() == {}
    card = put(store, 7, "Email: lena@design.example. Birthday: 23 April", kind="contact", source="contacts:/home/me")
    ids = set(store.contact_cards())
    assert len(ids) == 1 and set(store.contact_cards().values()) == {card.title}
    assert [c.ref for c in store.load_chunks(list(ids)).values()] == [card.ref]
    store.delete_records([card.id])
    assert store.contact_cards() == {}  # a write is seen at once


def test_upsert_replaces_the_chunks(store: Any) -> None:
    first = put(store, 0, "an old text about the garden")
    put(store, 0, "a new text about the kitchen")
    assert store.chunk_count() == 1
    assert store.get_record(first.id).text == "a new text about the kitchen"  # type: ignore[union-attr]
    assert store.fts_search(["garden"], 5, SearchFilters()) == []


def test_full_text_search_with_filters(store: Any) -> None:
    records = life(store)
    ids = {c.record_id: c.chunk_id for c in store.load_chunks(range(1, 10_000)).values()}
    hits = store.fts_search(["porto", "van"], 10, SearchFilters())
    assert {cid for cid, _ in hits} == {ids[records[i].id] for i in (0, 2, 3, 4)}
    assert store.fts_search(["sourdough", "zebra"], 10, SearchFilters())[0][0] == ids[records[1].id]
    assert all(score > 0 for _, score in hits) and [s for _, s in hits] == sorted((s for _, s in hits), reverse=True)
    only_mail = store.fts_search(["porto"], 10, SearchFilters(kinds=("email",)))
    assert [cid for cid, _ in only_mail] == [ids[records[2].id]]
    by_source = store.fts_search(["van"], 10, SearchFilters(sources=("chat:",)))
    assert {cid for cid, _ in by_source} == {ids[records[3].id], ids[records[4].id]}
    late = store.fts_search(["van"], 10, SearchFilters(since=T0 + timedelta(days=31)))
    assert [cid for cid, _ in late] == [ids[records[4].id]]
    assert store.fts_search(["zebra"], 10, SearchFilters()) == []
    chunk = store.load_chunks([ids[records[2].id]])[ids[records[2].id]]
    assert (chunk.ref, chunk.title, chunk.author, chunk.text) == (
        records[2].ref, "Title 2", "Helena Almeida", records[2].text
    )  # fmt: skip


def test_vector_search_with_filters(store: Any) -> None:
    records = life(store)
    ids = {c.record_id: c.chunk_id for c in store.load_chunks(range(1, 10_000)).values()}
    hits = store.vector_search(vec(2), 3, SearchFilters())
    assert hits[0][0] == ids[records[2].id] and hits[0][1] == pytest.approx(1.0, abs=1e-5)
    assert len(hits) == 3 and [s for _, s in hits] == sorted((s for _, s in hits), reverse=True)
    notes = store.vector_search(vec(2), 5, SearchFilters(kinds=("note",)))
    assert {cid for cid, _ in notes} == {ids[records[0].id], ids[records[1].id]}
    chats = store.vector_search(vec(0), 5, SearchFilters(sources=("chat:",), until=T0 + timedelta(days=30)))
    assert [cid for cid, _ in chats] == [ids[records[3].id]]


def test_thread_links(store: Any) -> None:
    records = life(store)
    ids = {c.record_id: c.chunk_id for c in store.load_chunks(range(1, 10_000)).values()}
    links = store.thread_links([ids[records[3].id], ids[records[4].id]], SearchFilters())
    assert links.following == {ids[records[3].id]: (ids[records[4].id],)}
    assert links.previous == {ids[records[4].id]: (ids[records[3].id],)}
    assert store.thread_links([ids[records[3].id]], SearchFilters(kinds=("note",))).following == {}


def test_meta_cursors_and_sources(store: Any) -> None:
    assert store.get_meta("missing") is None
    store.set_meta("reranker", '{"w": [1, 2]}')
    store.set_meta("reranker", '{"w": [3]}')
    assert store.get_meta("reranker") == '{"w": [3]}'
    store.set_cursor("source:mail", {"uidvalidity": 7, "last": 42}, items=3)
    assert store.get_cursor("source:mail") == {"uidvalidity": 7, "last": 42}
    entry = SourceEntry("mail", "imaps://imap.example.org/INBOX", "imap", {"user": "me", "password_env": "PW"},
                        created_at=T0)  # fmt: skip
    store.save_source(entry)
    store.save_source(SourceEntry("alpha", "/home/me/notes", "files", created_at=T0))
    assert [e.name for e in store.list_sources()] == ["alpha", "mail"]
    assert store.list_sources()[1].settings == {"user": "me", "password_env": "PW"}
    assert store.delete_source("mail") and not store.delete_source("mail")
    assert store.get_cursor("source:mail") is None
    assert "m001_records_and_chunks" in store.applied_migrations() or "pg001_tables" in store.applied_migrations()


def graph_life(store: Any) -> list[Record]:
    records = life(store)
    g = store.graph()
    with store.transaction():
        g.put_entity(Entity("p-helena", "person", "Helena Almeida", {"city": "Porto"}))
        g.put_entity(Entity("p-rui", "person", "Rui", {}))
        g.put_entity(Entity("o-acme", "organisation", "Acme", {}))
        g.add_alias(Alias("p-helena", "helena almeida", "name", "from mail"))
        g.add_alias(Alias("p-helena", "helena@example.org", "email"))
        g.add_alias(Alias("p-rui", "rui", "name"))
        g.add_provenance("entity", "p-helena", [records[2].id])
        g.add_provenance("alias", "p-helena\x1fhelena almeida", [records[2].id])
        g.add_provenance("alias", "p-helena\x1fhelena@example.org", [records[2].id])
        g.add_provenance("entity", "p-rui", [records[3].id])
        g.add_provenance("alias", "p-rui\x1frui", [records[3].id])
        g.add_provenance("entity", "o-acme", [records[0].id])
        g.put_fact(Fact("f1", "p-helena", "lives_in", object_value="Porto", valid_from="2025-01-01",
                        recorded_at="2025-03-21T00:00:00+00:00", extractor="rules", extractor_version="1",
                        attributes={"evidence": "Dinner at the Porto riverside"}))  # fmt: skip
        g.put_fact(Fact("f2", "p-rui", "works_at", object_id="o-acme", recorded_at="2025-03-22T00:00:00+00:00",
                        extractor="rules", extractor_version="1"))  # fmt: skip
        g.add_provenance("fact", "f1", [records[2].id])
        g.add_provenance("fact", "f2", [records[3].id])
        g.put_commitment(Commitment("c1", "made", "p-rui", "bring the van keys", "2025-04-05", "open",
                                    "2025-03-31", records[4].id, thread="van", extractor="rules",
                                    extractor_version="1", recorded_at="2025-04-01T00:00:00+00:00"))  # fmt: skip
        g.add_provenance("commitment", "c1", [records[4].id])
    return records


def test_graph(store: Any) -> None:
    records = graph_life(store)
    g = store.graph()
    assert [e.name for e in g.entities()] == ["Acme", "Helena Almeida", "Rui"]
    assert g.get_entity("p-helena") == Entity("p-helena", "person", "Helena Almeida", {"city": "Porto"})
    assert [a.alias for a in g.aliases("p-helena")] == ["helena almeida", "helena@example.org"]
    g.add_alias(Alias("p-helena", "helena almeida", "name"))  # a no-op
    assert len(g.aliases()) == 3
    assert g.facts(subject_id="p-helena")[0].object_value == "Porto"
    assert g.facts(subject_id="p-helena")[0].attributes == {"evidence": "Dinner at the Porto riverside"}
    assert [f.id for f in g.facts()] == ["f2", "f1"]  # valid_from NULL sorts first, on both backends
    assert [f.id for f in g.facts(object_id="o-acme")] == ["f2"]
    assert g.commitments(counterparty_id="p-rui")[0].what == "bring the van keys"
    assert [s.record_id for s in g.sources("alias", "p-helena\x1fhelena@example.org")] == [records[2].id]
    assert g.supported_by("alias", [records[2].id]) == {
        "p-helena\x1fhelena almeida": {records[2].id},
        "p-helena\x1fhelena@example.org": {records[2].id},
    }
    g.pin_alias("rui", "p-rui", "user merge")
    assert g.pins() == {"rui": "p-rui"}
    g.add_merge(Merge("p-helena", "p-old", "H. Almeida", "same email", ("h. almeida",), "2025-04-01"))
    assert g.merges("p-helena")[0].aliases == ("h. almeida",)
    # deleting a record drops its provenance and prune removes what nothing supports
    store.delete_records([records[2].id])
    assert g.get_entity("p-helena") is None and g.facts(subject_id="p-helena") == []
    assert g.get_entity("p-rui") is not None and [a.alias for a in g.aliases("p-rui")] == ["rui"]


def test_reassign_entity(store: Any) -> None:
    records = graph_life(store)
    g = store.graph()
    g.reassign_entity("p-rui", "p-helena")
    assert g.get_entity("p-rui") is None
    assert {a.alias for a in g.aliases("p-helena")} == {"helena almeida", "helena@example.org", "rui"}
    assert g.facts(subject_id="p-helena", predicate="works_at")[0].id == "f2"
    assert g.supported_by("alias", [records[3].id]) == {"p-helena\x1frui": {records[3].id}}
    assert g.commitments(counterparty_id="p-helena")[0].id == "c1"


def test_persona(store: Any) -> None:
    p = store.persona()
    p.put_preference(Preference("pr1", "Prefer morning meetings", scope="calendar", created_at="2025-01-01",
                                provenance={"refs": ["mail:1"]}))  # fmt: skip
    p.put_preference(Preference("pr2", "Avoid calls on Fridays", polarity="avoid", created_at="2025-01-02"))
    assert [x.id for x in p.preferences()] == ["pr1", "pr2"]
    assert p.get_preference("pr1").provenance == {"refs": ["mail:1"]}  # type: ignore[union-attr]
    assert p.get_preference("pr1").scope == "calendar"  # type: ignore[union-attr]
    assert p.delete_preference("pr2") and not p.delete_preference("pr2")
    p.add_feedback(Feedback("fb1", "hit", "mail:1", rating=1, created_at="2025-01-03", detail={"rank": 2}))
    p.add_feedback(Feedback("fb2", "answer", "q1", correction="Helena lives in Porto", created_at="2025-01-04"))
    assert [f.id for f in p.feedback()] == ["fb1", "fb2"]
    assert p.feedback(target_type="hit")[0].detail == {"rank": 2}
    assert p.clear_ratings() == 1
    assert [f.correction for f in p.feedback()] == ["Helena lives in Porto"]


def test_governance(store: Any) -> None:
    now = datetime(2025, 5, 1, tzinfo=UTC)
    store.save_grant(Grant("g1", "claude-desktop", ("notes", "email"), now), "hash-1")
    store.save_grant(Grant("g2", "cursor", ("notes",), now + timedelta(seconds=1)), "hash-2")
    assert [g.id for g in store.grants()] == ["g2", "g1"]
    assert store.grant_for_token("hash-1").client == "claude-desktop"  # type: ignore[union-attr]
    assert store.grant_for_token("nope") is None
    [revoked] = store.revoke_grants("cursor", now)
    assert revoked.id == "g2" and revoked.status() == "revoked", "the grants returned are the revoked ones"
    assert store.revoke_grants("cursor", now) == []
    for i, actor in enumerate(("owner", "claude-desktop", "owner")):
        store.append_audit(AuditEvent(now + timedelta(minutes=i), actor, "search", {"refs": [f"mail:{i}"]}))
    events = store.audit_events()
    assert [e.actor for e in events] == ["owner", "claude-desktop", "owner"]
    assert [e.detail["refs"] for e in store.audit_events(actor="owner")] == [["mail:0"], ["mail:2"]]
    assert len(store.audit_events(limit=2)) == 2 and store.audit_events(limit=2)[-1].detail["refs"] == ["mail:2"]
    assert store.redact_audit({"mail:1": "forgotten:abc"}) == 1
    assert store.audit_events(actor="claude-desktop")[0].detail["refs"] == ["forgotten:abc"]


def test_forgetting(store: Any) -> None:
    records = graph_life(store)
    assert [r.id for r in store.select_records(RecordSelector(people=("Helena Almeida",)))] == [records[2].id]
    assert [r.id for r in store.select_records(RecordSelector(source_prefixes=("chat:",)))] == [
        records[3].id, records[4].id
    ]  # fmt: skip
    assert [r.id for r in store.select_records(RecordSelector(text="SOURDOUGH"))] == [records[1].id]
    assert [r.id for r in store.select_records(RecordSelector(refs=("chat:2",)))] == [records[4].id]
    assert [r.id for r in store.select_records(RecordSelector(before=T0 + timedelta(days=5)))] == [records[0].id]
    assert store.select_records(RecordSelector()) == []
    assert list(store.entities_named(["HELENA ALMEIDA"])) == ["p-helena"]
    store.persona().add_feedback(Feedback("fb", "hit", records[2].ref, rating=1, created_at="2025-01-01"))
    dry = store.forget([records[2].id], dry_run=True)
    assert dry.records == 1 and store.get_record(records[2].id) is not None
    counts = store.forget([records[2].id], cursors=["source:none"])
    assert (counts.records, counts.chunks, counts.facts, counts.tombstones) == (1, 1, 1, 3)
    assert counts.entities == 1 and counts.aliases == 2
    assert store.get_record(records[2].id) is None and store.persona().feedback() == []
    assert store.forgotten([records[2].id, records[2].content_hash, "other"]) == {
        records[2].id, records[2].content_hash
    }  # fmt: skip
    assert store.unforget([records[2].id]) == 1 and store.forgotten([records[2].id]) == set()
    assert isinstance(store.compact(), bool)
    assert store.fts_search(["riverside"], 5, SearchFilters()) == []


def export_all(store: Any) -> dict[str, list[dict[str, Any]]]:
    return {table: list(store.export_rows(table)) for table in store.portable_tables()}


def copy_into(source: Any, target: Any) -> None:
    with target.transaction():
        for record in source.iter_records():
            chunks = source.record_chunks(record.id)
            target.upsert_record(record, [c for c, _ in chunks], np.stack([v for _, v in chunks]))
    for table in source.portable_tables():
        target.import_rows(table, source.export_rows(table))


@pytest.mark.parametrize("target_kind", ["sqlcipher", "postgres"])
def test_export_rows_travel_between_backends(
    store: Any, target_kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    records = graph_life(store)
    store.persona().put_preference(Preference("pr1", "Prefer tea", created_at="2025-01-01"))
    store.persona().add_feedback(Feedback("fb1", "answer", "q", correction="No", created_at="2025-01-02"))
    store.graph().pin_alias("rui", "p-rui", "user")
    store.graph().add_merge(Merge("p-rui", "p-r", "R.", "same phone", ("r.",), "2025-04-01"))
    store.forget([records[1].id])
    exported = export_all(store)
    assert exported["entity_aliases"] and exported["tombstones"] and exported["entity_merges"]
    target = make_store(target_kind, tmp_path, request)
    try:
        copy_into(store, target)
        assert export_all(target) == exported
        assert [r.id for r in target.iter_records()] == [r.id for r in store.iter_records()]
        original = store.record_chunks(records[0].id)
        copied = target.record_chunks(records[0].id)
        assert [c for c, _ in copied] == [c for c, _ in original]
        assert np.allclose(copied[0][1], original[0][1])
    finally:
        target.close()


def test_items_deleted_at_a_source_are_marked_or_forgotten(store: Any) -> None:
    """The sync's two deletion policies through the interface alone: a marked record stays, out of both indexes; a
    forgotten one is gone."""
    from knowme.ingest.sync import forget_records, mark_deleted

    kept, gone, other = (put(store, n, f"Quarterly garden plan number {n}") for n in (0, 1, 2))
    assert mark_deleted(store, [kept.id]) == 1 and mark_deleted(store, [kept.id]) == 0, "marked once"
    marked = store.get_record(kept.id)
    assert marked is not None and marked.deleted_at_source and marked.text == kept.text
    assert forget_records(store, [gone.id]) == 1 and store.get_record(gone.id) is None
    found = {store.load_chunks([c])[c].record_id for c, _ in store.fts_search(["garden"], 10, SearchFilters())}
    assert found == {other.id}
    near = {store.load_chunks([c])[c].record_id for c, _ in store.vector_search(vec(0), 10, SearchFilters())}
    assert near == {other.id}


def test_learned_artifacts(store: Any) -> None:
    """Adapters, checkpoints and manifests: bytes in, the same bytes out, listed by prefix and kind, replaced,
    deleted."""
    blob = bytes(range(256)) * 40
    info = store.save_artifact("voice/shard-0/adapter", "adapter", {"steps": 12, "hashes": ["h1"]}, blob)
    assert info.size == len(blob) and info.meta == {"steps": 12, "hashes": ["h1"]}
    store.save_artifact("voice/shard-1/checkpoint", "checkpoint", {}, b"\x00\x01")
    store.save_artifact("other/x", "adapter", {}, b"x")
    loaded = store.load_artifact("voice/shard-0/adapter")
    assert loaded is not None and loaded[1] == blob and loaded[0].kind == "adapter"
    assert [a.name for a in store.list_artifacts(prefix="voice/")] == [
        "voice/shard-0/adapter",
        "voice/shard-1/checkpoint",
    ]
    assert [a.name for a in store.list_artifacts(prefix="voice/", kind="adapter")] == ["voice/shard-0/adapter"]
    store.save_artifact("voice/shard-0/adapter", "adapter", {"steps": 13}, b"new")
    assert store.load_artifact("voice/shard-0/adapter")[1] == b"new"  # replaced
    assert store.delete_artifacts(["voice/shard-0/adapter", "voice/shard-0/adapter", "nope"]) == 1
    assert store.load_artifact("voice/shard-0/adapter") is None
