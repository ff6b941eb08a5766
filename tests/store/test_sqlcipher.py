"""The encrypted vault file: keys, wrong passphrases, plaintext on disk, migrations, round trips."""

from __future__ import annotations

import json
import sqlite3
import zlib
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import knowme
from knowme.extract.chunking import chunk_record
from knowme.models import Record, Section
from knowme.models.store import SearchFilters
from knowme.store import schema
from knowme.store.keys import KEY_FILE, create_key_file, derive_key
from knowme.store.sqlcipher import VAULT_FILE, SQLCipherStore
from tests.conftest import PASSPHRASE

SECRET = "Zanzibar-orchid-7731"


def _record(i: int, text: str, **kw: object) -> Record:
    base: dict[str, object] = {
        "source": "test:/tmp/x",
        "kind": "note",
        "native_id": f"n{i}",
        "ref": f"note:n{i}.md",
        "text": text,
        "title": f"Note {i}",
        "timestamp": datetime(2025, 1, 1, tzinfo=UTC) + timedelta(days=i),
    }
    base.update(kw)
    return Record(**base)  # type: ignore[arg-type]


def _put(store: SQLCipherStore, record: Record) -> None:
    chunks = chunk_record(record)
    rng = np.random.default_rng(zlib.crc32(record.text.encode()))
    vecs = rng.normal(size=(len(chunks), store.dim)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    store.upsert_record(record, chunks, vecs)


@pytest.fixture
def store(tmp_path: Path) -> SQLCipherStore:
    key = create_key_file(tmp_path, PASSPHRASE)
    s = SQLCipherStore(tmp_path / VAULT_FILE, key, dim=8)
    yield s
    s.close()


def test_vault_file_is_not_readable_as_plain_sqlite(tmp_path: Path) -> None:
    key = create_key_file(tmp_path, PASSPHRASE)
    s = SQLCipherStore(tmp_path / VAULT_FILE, key, dim=8)
    _put(s, _record(1, f"the code is {SECRET}"))
    s.close()
    raw = (tmp_path / VAULT_FILE).read_bytes()
    assert not raw.startswith(b"SQLite format 3")
    with pytest.raises(sqlite3.DatabaseError):
        sqlite3.connect(tmp_path / VAULT_FILE).execute("select * from sqlite_master").fetchall()


def test_no_plaintext_in_vault_wal_or_key_file(home: Path) -> None:
    with knowme.open(home) as v:
        notes = home.parent / "notes"
        notes.mkdir()
        (notes / "secret.md").write_text(f"# Plans\nMy locker code is {SECRET}, tell nobody.\n", encoding="utf-8")
        report = v.ingest(notes)
        assert report.added == {"note": 1}
        assert [h.ref for h in v.search("locker code", k=1)] == ["note:secret.md"]
        # while open, the write-ahead log holds the newest pages: it must be encrypted too
        files_open = [p for p in home.iterdir() if p.is_file()]
        for path in files_open:
            data = path.read_bytes()
            assert SECRET.encode() not in data, path
            assert b"locker" not in data, path
    for path in home.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert SECRET.encode() not in data and SECRET.encode("utf-16-le") not in data, path
            assert b"locker code" not in data, path


def test_wrong_passphrase_is_a_clear_error(home: Path) -> None:
    knowme.open(home, PASSPHRASE).close()
    with pytest.raises(knowme.WrongPassphrase, match="wrong passphrase"):
        knowme.open(home, "not the passphrase")
    # and the vault is untouched: the right one still opens it
    with knowme.open(home, PASSPHRASE) as v:
        assert v.store.counts() == {}


def test_key_file_holds_no_secret_and_a_damaged_one_is_reported(home: Path) -> None:
    knowme.open(home, PASSPHRASE).close()
    doc = json.loads((home / KEY_FILE).read_text())
    assert doc["kdf"] == "argon2id" and PASSPHRASE not in json.dumps(doc)
    assert derive_key(home, PASSPHRASE) == derive_key(home, PASSPHRASE)
    (home / KEY_FILE).write_text("{ not json")
    with pytest.raises(knowme.VaultCorrupt, match="damaged"):
        knowme.open(home, PASSPHRASE)


def test_missing_passphrase_says_what_to_do(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KNOWME_PASSPHRASE")
    with pytest.raises(knowme.PassphraseMissing, match="KNOWME_PASSPHRASE"):
        knowme.open(home)


def test_open_without_create_refuses_a_missing_vault(home: Path) -> None:
    with pytest.raises(knowme.VaultNotFound, match="knowme init"):
        knowme.open(home, create=False)
    assert not (home / VAULT_FILE).exists()


def test_garbage_vault_file_is_reported_not_overwritten(home: Path) -> None:
    knowme.open(home, PASSPHRASE).close()
    (home / VAULT_FILE).write_bytes(b"\x00garbage" * 512)
    with pytest.raises(knowme.VaultError):
        knowme.open(home, PASSPHRASE)
    assert (home / VAULT_FILE).read_bytes() == b"\x00garbage" * 512


def test_migrations_are_recorded_and_a_backup_precedes_new_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = create_key_file(tmp_path, PASSPHRASE)
    s = SQLCipherStore(tmp_path / VAULT_FILE, key, dim=8)
    assert s.applied_migrations() == [m.__name__ for m in schema.MIGRATIONS]
    _put(s, _record(1, "kept across the migration"))
    s.close()

    def m999_add_column(conn: object, dim: int) -> None:
        conn.execute("ALTER TABLE preferences ADD COLUMN note TEXT")  # type: ignore[attr-defined]

    monkeypatch.setattr(schema, "MIGRATIONS", (*schema.MIGRATIONS, m999_add_column))
    monkeypatch.setattr("knowme.store.sqlcipher.MIGRATIONS", schema.MIGRATIONS)
    s = SQLCipherStore(tmp_path / VAULT_FILE, key, dim=8)
    assert s.applied_migrations()[-1] == "m999_add_column"
    s.close()
    backups = list((tmp_path / "backups").glob("*before-m999_add_column.db"))
    assert len(backups) == 1
    old = SQLCipherStore(backups[0], key, dim=8)  # opens with the same key, as it was before
    assert old.counts() == {"note": 1}
    old.close()


def test_upsert_replaces_chunks_and_index_entries(store: SQLCipherStore) -> None:
    rec = _record(1, "alpha bravo charlie")
    _put(store, rec)
    _put(store, _record(1, "delta echo foxtrot"))
    assert store.chunk_count() == 1
    assert store.fts_search(["alpha"], 5, SearchFilters()) == []
    assert len(store.fts_search(["foxtrot"], 5, SearchFilters())) == 1
    assert store.delete_records([rec.id]) == 1
    assert store.fts_search(["foxtrot"], 5, SearchFilters()) == []
    assert store.vector_search(np.ones(8, dtype=np.float32) / np.sqrt(8), 5, SearchFilters()) == []


def test_filters_apply_to_both_indexes(store: SQLCipherStore) -> None:
    for i in range(6):
        kind = "note" if i % 2 else "email"
        _put(store, _record(i, f"shared words number {i}", kind=kind, source=f"{kind}:/tmp/{kind}"))
    _put(store, _record(9, "shared words undated", timestamp=None))
    q = np.ones(8, dtype=np.float32) / np.sqrt(8)
    until = datetime(2025, 1, 3, tzinfo=UTC)
    for results in (
        store.fts_search(["shared"], 20, SearchFilters(until=until)),
        store.vector_search(q, 20, SearchFilters(until=until)),
    ):
        got = store.load_chunks([cid for cid, _ in results])
        stamps = [c.timestamp for c in got.values()]
        assert None in stamps  # undated items pass an as-of filter
        assert all(t is None or t <= until for t in stamps)
        assert len(got) == 4
    for results in (
        store.fts_search(["shared"], 20, SearchFilters(kinds=("email",))),
        store.vector_search(q, 20, SearchFilters(kinds=("email",))),
        store.vector_search(q, 20, SearchFilters(sources=("email:",))),
    ):
        kinds = {c.kind for c in store.load_chunks([cid for cid, _ in results]).values()}
        assert kinds == {"email"}


texts = st.text(st.characters(blacklist_categories=("Cs",)), max_size=400)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    text=texts,
    title=st.text(max_size=60),
    author=st.none() | st.text(max_size=40),
    participants=st.lists(st.text(max_size=20), max_size=4),
    sections=st.lists(st.tuples(st.text(max_size=20), texts), max_size=3),
    meta=st.dictionaries(st.text(max_size=12), json_values, max_size=4),
    offset=st.integers(-12 * 60, 14 * 60),
)
def test_records_round_trip_exactly(
    store: SQLCipherStore,
    text: str,
    title: str,
    author: str | None,
    participants: list[str],
    sections: list[tuple[str, str]],
    meta: dict[str, object],
    offset: int,
) -> None:
    when = datetime(2024, 2, 29, 13, 5, 7, tzinfo=timezone(timedelta(minutes=offset)))
    rec = Record(
        source="prop:/x",
        kind="document",
        native_id="same-id",
        ref="doc:same-id",
        text=text,
        title=title,
        author=author,
        participants=tuple(participants),
        sections=tuple(Section(a, t) for a, t in sections),
        meta=meta,
        timestamp=when,
    )
    _put(store, rec)
    back = store.get_record(rec.id)
    assert back == rec
    assert back is not None and back.content_hash == rec.content_hash
    assert store.content_hashes([rec.id]) == {rec.id: rec.content_hash}


def test_in_memory_vectors_match_the_vault_scan_and_follow_other_writers(tmp_path: Path) -> None:
    key = create_key_file(tmp_path, PASSPHRASE)
    reader = SQLCipherStore(tmp_path / VAULT_FILE, key, dim=8)
    writer = SQLCipherStore(tmp_path / VAULT_FILE, key, dim=8)  # e.g. an ingest in another process
    for i in range(40):
        _put(writer, _record(i, f"text number {i} " * (i % 5 + 1), kind="note" if i % 3 else "email"))
    q = np.random.default_rng(1).normal(size=8).astype(np.float32)
    q /= np.linalg.norm(q)
    filters = SearchFilters(kinds=("note",), until=datetime(2025, 1, 30, tzinfo=UTC))
    fast = reader.vector_search(q, 10, filters)
    blob = q.tobytes()
    slow = reader._q(  # sqlite-vec's own scan of the encrypted table
        "SELECT chunk_id, distance FROM chunks_vec WHERE embedding MATCH ? AND k = 10 AND kind = 'note' "
        "AND ts <= ? ORDER BY distance",
        (blob, filters.until_epoch),
    ).fetchall()
    assert [cid for cid, _ in fast] == [cid for cid, _ in slow]
    assert np.allclose([s for _, s in fast], [1 - d for _, d in slow], atol=1e-5)
    gone = writer.get_record(_record(1, "").id)
    assert gone is not None
    writer.delete_records([gone.id])
    assert len(reader.vector_search(q, 50, SearchFilters())) == 39
    writer.close()
    reader.close()


def test_large_indexes_skip_terms_that_are_everywhere(store: SQLCipherStore, monkeypatch: pytest.MonkeyPatch) -> None:
    for i in range(30):
        _put(store, _record(i, f"weekly meeting notes {i}" + (" about the lighthouse" if i == 7 else "")))
    assert store._common_terms(["meeting", "lighthouse"]) == set()  # small index: nothing is dropped
    monkeypatch.setattr("knowme.store.sqlcipher.LARGE_INDEX", 10)
    assert store._common_terms(["meetings", "lighthouse"]) == {"meetings"}  # matched by its stem
    hits = store.fts_search(["meeting", "lighthouse"], 5, SearchFilters())
    assert len(hits) == 1  # only the rare term was searched
    assert store.load_chunks([hits[0][0]])[hits[0][0]].record_id == _record(7, "").id
    assert len(store.fts_search(["meeting"], 50, SearchFilters())) == 30  # a lone term is always kept
