"""Export and import: the open format round-trips byte for byte, searches match, encryption, RDF, ChatGPT memory."""

from __future__ import annotations

import io
import json
import os
import zipfile
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdflib import Graph, Literal, URIRef

import knowme
from knowme.extract.chunking import chunk_record
from knowme.llm.embedders import MiniLMEmbedder
from knowme.models import Record, Section
from knowme.privacy.envelope import MAGIC
from knowme.privacy.export import build_archive, import_archive
from knowme.store.sqlcipher import SQLCipherStore
from tests.conftest import PASSPHRASE
from tests.connectors.test_chats import lisbon_conversation, message, node
from tests.privacy.test_forget import _graph, _life, _run

QUERIES = ["Rua das Flores rent", "offsite slides", "dentist appointment", "climbing shoes", "locker code"]


def _members(path_or_bytes: Path | bytes) -> dict[str, bytes]:
    data = path_or_bytes if isinstance(path_or_bytes, bytes) else path_or_bytes.read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    manifest = json.loads(members["manifest.json"])
    manifest.pop("created_at")
    members["manifest.json"] = json.dumps(manifest, sort_keys=True).encode()
    return members


def _hits(vault: knowme.Vault) -> list[list[tuple[str, float]]]:
    return [[(h.ref, round(h.score, 5)) for h in vault.search(q, k=5)] for q in QUERIES]


def test_export_import_export_is_identical_and_search_matches(home: Path, tmp_path: Path) -> None:
    paths = _life(tmp_path)
    first = tmp_path / "out" / "me.knowme.zip"
    with knowme.open(home, PASSPHRASE) as vault:
        vault.ingest(list(paths.values()))
        _graph(vault)
        report = vault.export(first)
        hits = _hits(vault)
    # the four seeded facts, plus what the graph extracted while ingesting
    assert report.counts["records"] == 10 and report.counts["facts"] >= 4 and report.counts["provenance"] >= 10
    assert oct(first.stat().st_mode & 0o777) == "0o600"
    members = _members(first)
    assert set(members) == {
        "manifest.json", "records.jsonl", "entities.jsonl", "entity_aliases.jsonl", "facts.jsonl",
        "preferences.jsonl", "provenance.jsonl", "feedback.jsonl", "tombstones.jsonl", "commitments.jsonl",
        "entity_merges.jsonl", "alias_pins.jsonl",
    }  # fmt: skip
    fact = next(json.loads(line) for line in members["facts.jsonl"].splitlines() if b"f-locker" in line)
    assert {"valid_from", "valid_to", "recorded_at", "invalidated_at", "confidence", "extractor"} <= set(fact)

    other = tmp_path / "elsewhere"
    with knowme.open(other, PASSPHRASE) as fresh:
        result = fresh.import_file(first)
        assert result.kind == "knowme-export" and result.records == 10 and not result.reembedded
        assert result.rows["provenance"] == report.counts["provenance"]
        assert _hits(fresh) == hits
        second = tmp_path / "second.zip"
        fresh.export(second)
    assert _members(second) == members


def test_import_reembeds_when_the_model_differs_and_refuses_tampering(home: Path, tmp_path: Path) -> None:
    paths = _life(tmp_path)
    with knowme.open(home, PASSPHRASE) as vault:
        vault.ingest(paths["email"])
        data, _ = build_archive(vault.store, embedder="another-model")
    with knowme.open(tmp_path / "b", PASSPHRASE) as fresh:
        report = import_archive(fresh.store, fresh.embedder, data)
        assert report.reembedded and report.records == 2
        assert fresh.search("Rua das Flores", k=1)[0].ref == "mail:porto-7@example.org"
        members = _members(data)
        line = members["records.jsonl"].splitlines()[0].replace(b"Rua das Flores", b"Rua das Floras")
        tampered = io.BytesIO()
        with zipfile.ZipFile(tampered, "w") as archive:
            for name, body in members.items():
                archive.writestr(name, line if name == "records.jsonl" else body)
        with pytest.raises(knowme.VaultCorrupt, match="does not match"):
            import_archive(fresh.store, fresh.embedder, tampered.getvalue())


def test_encrypted_export(vault: knowme.Vault, tmp_path: Path) -> None:
    paths = _life(tmp_path)
    vault.ingest(paths["note"])
    target = tmp_path / "sealed.bin"
    assert vault.export(target, passphrase="export secret 9").encrypted
    blob = target.read_bytes()
    assert blob.startswith(MAGIC) and b"Zanzibarorchid" not in blob and b"locker" not in blob
    with knowme.open(tmp_path / "c", PASSPHRASE) as fresh:
        with pytest.raises(knowme.PassphraseMissing):
            fresh.import_file(target)
        with pytest.raises(knowme.WrongPassphrase, match="wrong passphrase for this export"):
            fresh.import_file(target, passphrase="not it")
        flipped = tmp_path / "flipped.bin"
        flipped.write_bytes(blob[:-1] + bytes([blob[-1] ^ 1]))
        with pytest.raises(knowme.WrongPassphrase, match="damaged"):
            fresh.import_file(flipped, passphrase="export secret 9")
        assert fresh.import_file(target, passphrase="export secret 9").records == 3
        assert fresh.search("gym locker", k=1)[0].ref == "note:locker.md"


def test_rdf_exports_read_back_with_schema_org_terms(home: Path, tmp_path: Path) -> None:
    paths = _life(tmp_path)
    with knowme.open(home, PASSPHRASE) as vault:
        vault.ingest(list(paths.values()))
        _graph(vault)
        vault.export(tmp_path / "me.jsonld", format="jsonld")
        vault.export(tmp_path / "me.ttl", format="turtle")
        with pytest.raises(knowme.ConfigError, match="unknown export format"):
            vault.export(tmp_path / "me.xml", format="xml")
    schema = "https://schema.org/"
    for path, fmt in ((tmp_path / "me.jsonld", "json-ld"), (tmp_path / "me.ttl", "turtle")):
        g = Graph().parse(path, format=fmt)
        mail = next(g.subjects(URIRef(schema + "identifier"), Literal("mail:porto-7@example.org")))
        assert (mail, URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"), URIRef(schema + "EmailMessage")) in g
        tom = URIRef("urn:knowme:entity:e-tom")
        assert (tom, URIRef(schema + "email"), Literal("tom.baker@example.org")) in g
        assert (tom, URIRef("urn:knowme:predicate:asked_for"), Literal("offsite slides")) in g
        derived = set(g.objects(URIRef("urn:knowme:fact:f-both"), URIRef("http://www.w3.org/ns/prov#wasDerivedFrom")))
        assert len(derived) == 2


def _chatgpt_export(folder: Path) -> Path:
    memory = {
        "mapping": {
            "root": node("root", None, ["u"], None),
            "u": node("u", "root", ["bio"], message("u", "user", ["Remember that I am vegetarian."], at=1.7e9)),
            "bio": node(
                "bio", "u", ["a"], message("bio", "assistant", ["User is vegetarian."], at=1.7e9 + 1, recipient="bio")
            ),
            "a": node("a", "bio", [], message("a", "assistant", ["Noted!"], at=1.7e9 + 2)),
        },
        "current_node": "a",
        "title": "Food",
        "id": "conv-food",
        "create_time": 1.7e9,
    }
    folder.mkdir(parents=True)
    path = folder / "chatgpt-export.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("conversations.json", json.dumps([lisbon_conversation(), memory]))
        archive.writestr("memories.json", json.dumps([{"content": "Lives in Porto"}, "Climbs on Saturdays"]))
    return path


def test_import_a_chatgpt_export_with_its_memory(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    export = _chatgpt_export(tmp_path / "downloads")
    code, out, _ = _run(capsys, "import", str(export), "--json")
    report = json.loads(out)
    assert code == 0 and report["kind"] == "chatgpt" and report["records"] >= 4
    assert report["rows"]["preferences"] == 4  # the bio write, the profile, and the two memories.json items
    with knowme.open(home, PASSPHRASE) as vault:
        prefs = {r["statement"]: r for r in vault.store.export_rows("preferences")}  # type: ignore[attr-defined]
        assert set(prefs) == {"User is vegetarian.", "I like fado", "Lives in Porto", "Climbs on Saturdays"}
        assert {p["origin"] for p in prefs.values()} == {"imported"}
        assert all(h.text != "User is vegetarian." for h in vault.search("vegetarian", k=5))
    code, out, _ = _run(capsys, "import", str(export), "--json")
    assert code == 0
    with knowme.open(home, PASSPHRASE) as vault:
        assert len(list(vault.store.export_rows("preferences"))) == 4  # type: ignore[attr-defined]


def test_cli_export_and_import(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: Any
) -> None:
    paths = _life(tmp_path)
    assert _run(capsys, "init")[0] == 0
    assert _run(capsys, "ingest", str(paths["email"]), "--json")[0] == 0
    code, _, err = _run(capsys, "export", str(tmp_path / "x.bin"), "--encrypt")
    assert code == 4 and "KNOWME_EXPORT_PASSPHRASE" in err
    monkeypatch.setenv("KNOWME_EXPORT_PASSPHRASE", "for the export")
    code, out, _ = _run(capsys, "export", str(tmp_path / "x.bin"), "--encrypt", "--json")
    assert code == 0 and json.loads(out)["encrypted"]
    code, out, _ = _run(capsys, "export", str(tmp_path / "plain.zip"))
    assert code == 0 and "not encrypted" in out
    code, out, _ = _run(capsys, "import", str(tmp_path / "x.bin"), "--home", str(tmp_path / "new"), "--json")
    assert code == 0 and json.loads(out)["records"] == 2
    code, _, err = _run(capsys, "import", str(tmp_path / "missing.zip"))
    assert code == 5 and "no such file" in err


# -- property: any records survive export -> import -> export unchanged -------------------------------------------
_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=300)
_records = st.lists(
    st.builds(
        lambda i, kind, text, title, minutes, offset, author, people, meta, sections: Record(
            source="prop:/data",
            kind=kind,
            native_id=f"item-{i}",
            ref=f"note:item-{i}",
            text=text,
            title=title,
            timestamp=None
            if minutes is None
            else datetime(2020, 1, 1, tzinfo=timezone(timedelta(minutes=offset))) + timedelta(minutes=minutes),
            author=author,
            participants=tuple(people),
            sections=tuple(Section(a, t) for a, t in sections),
            meta=meta,
        ),
        st.integers(0, 10_000),
        st.sampled_from(["email", "event", "contact", "note", "chat_message", "web_visit", "document"]),
        _text,
        _text,
        st.none() | st.integers(0, 5_000_000),
        st.integers(-12 * 60, 14 * 60),
        st.none() | _text,
        st.lists(_text, max_size=3),
        st.dictionaries(st.text(max_size=10), st.none() | st.booleans() | st.integers() | _text, max_size=3),
        st.lists(st.tuples(_text, _text), max_size=3),
    ),
    max_size=12,
    unique_by=lambda r: r.native_id,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(records=_records)
def test_property_export_import_export_identical(tmp_path: Path, records: list[Record]) -> None:
    embedder = MiniLMEmbedder()  # not called: the archive's vectors are reused
    folder = tmp_path / os.urandom(6).hex()
    folder.mkdir()
    stores = [SQLCipherStore(folder / f"{n}.db", os.urandom(32), dim=embedder.dim) for n in ("a", "b")]
    try:
        rng = np.random.default_rng(1)
        for record in records:
            chunks = chunk_record(record)
            vectors = rng.normal(size=(len(chunks), embedder.dim)).astype(np.float32)
            stores[0].upsert_record(record, chunks, vectors)
        created = datetime(2026, 1, 1, tzinfo=UTC)
        first, counts = build_archive(stores[0], embedder=embedder.name, created_at=created)
        assert counts["records"] == len(records)
        import_archive(stores[1], embedder, first)
        second, _ = build_archive(stores[1], embedder=embedder.name, created_at=created)
        assert second == first
        assert sorted(r.content_hash for r in stores[1].iter_records()) == sorted(r.content_hash for r in records)
    finally:
        for store in stores:
            store.close()
