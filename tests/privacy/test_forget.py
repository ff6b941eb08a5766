"""Forget, completely: records and everything derived go, and no decrypted page of the vault or its log keeps them."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

import knowme
from knowme.store.keys import derive_key
from knowme.store.sqlcipher import BACKUP_DIR, VAULT_FILE
from tests.conftest import PASSPHRASE
from tests.privacy.pages import all_pages, traces
from tests.samples import write_life, write_mbox

SECRET = "Zanzibarorchid"


def _life(tmp_path: Path) -> dict[str, Path]:
    paths = write_life(tmp_path / "life")
    (paths["note"] / "locker.md").write_text(
        f"# Locker\nMy gym locker code is {SECRET} 4471, tell nobody.\n", encoding="utf-8"
    )
    return paths


def _graph(vault: knowme.Vault) -> None:
    """A tiny knowledge graph in the m002 tables, with provenance pointing at records (as the extractor writes it)."""
    conn = vault.store._conn  # type: ignore[attr-defined]
    now = datetime.now(UTC).isoformat()
    tom_mail = vault.store.records_by_ref("mail:offsite-1@example.org")[0].id
    porto_mail = vault.store.records_by_ref("mail:porto-7@example.org")[0].id
    locker = vault.store.records_by_ref("note:locker.md")[0].id
    conn.execute("BEGIN")
    for eid, name in (("e-tom", "Tom Baker"), ("e-jose", "José Núñez"), ("e-gym", "Gym")):
        conn.execute("INSERT INTO entities VALUES (?, 'person', ?, '{}', ?, ?)", (eid, name, now, now))
    conn.executemany(
        "INSERT INTO entity_aliases(entity_id, alias, alias_kind) VALUES (?, ?, ?)",
        [
            ("e-tom", "Tom Baker", "name"),
            ("e-tom", "tom.baker@example.org", "email"),
            ("e-tom", "Tommy", "nickname"),
            ("e-jose", "jose@example.org", "email"),
            ("e-gym", "Gym", "name"),
        ],
    )
    facts = [
        ("f-tom-slides", "e-tom", "asked_for", None, "offsite slides"),
        ("f-jose-rent", "e-jose", "rents_flat_for", None, "950 euros"),
        ("f-locker", "e-gym", "locker_code", None, f"{SECRET} 4471"),
        ("f-both", "e-gym", "near", None, "Porto"),
    ]
    for fid, subject, predicate, obj, value in facts:
        conn.execute(
            "INSERT INTO facts(id, subject_id, predicate, object_id, object_value, recorded_at, extractor, "
            "extractor_version) VALUES (?, ?, ?, ?, ?, ?, 'test', '1')",
            (fid, subject, predicate, obj, value, now),
        )
    conn.execute(
        "INSERT INTO preferences(id, statement, origin, created_at, updated_at) VALUES "
        "('p-locker', 'keeps the locker code secret', 'inferred', ?, ?), "
        "('p-stated', 'likes Porto', 'stated', ?, ?)",
        (now, now, now, now),
    )
    provenance = [
        ("entity", "e-tom", tom_mail),
        ("fact", "f-tom-slides", tom_mail),
        ("entity", "e-jose", porto_mail),
        ("fact", "f-jose-rent", porto_mail),
        ("entity", "e-gym", locker),
        ("fact", "f-locker", locker),
        ("preference", "p-locker", locker),
        ("fact", "f-both", locker),
        ("fact", "f-both", porto_mail),
        ("alias", "e-gym\x1fGym", locker),
    ]
    conn.executemany("INSERT INTO provenance(target_type, target_id, record_id) VALUES (?, ?, ?)", provenance)
    conn.execute(
        "INSERT INTO feedback(id, target_type, target_id, rating, created_at) VALUES "
        "('fb-locker', 'hit', 'note:locker.md', 1, ?), ('fb-porto', 'hit', 'mail:porto-7@example.org', 1, ?)",
        (now, now),
    )
    conn.execute("COMMIT")


def _ids(vault: knowme.Vault, table: str) -> set[str]:
    return {row[0] for row in vault.store._conn.execute(f"SELECT id FROM {table}")}  # type: ignore[attr-defined]


def test_forget_a_note_leaves_no_trace_in_any_decrypted_page(home: Path, tmp_path: Path) -> None:
    paths = _life(tmp_path)
    with knowme.open(home, PASSPHRASE) as vault:
        key = derive_key(home, PASSPHRASE)
        vault.ingest(list(paths.values()))
        _graph(vault)
        db = home / VAULT_FILE
        # the reader works: page 1 decrypts to a SQLite header, and the secret is found before forgetting
        assert all_pages(key, db)[0][:2] == (4096).to_bytes(2, "big")
        before = traces(key, db, SECRET.encode(), SECRET.lower().encode())
        assert before[SECRET.encode()] > 0 and before[SECRET.lower().encode()] > 0  # text and the FTS5 term
        # the in-memory vector copy is loaded now; it must not keep answering with the forgotten chunk
        assert vault.search("gym locker code", k=1, preset="dense")[0].ref == "note:locker.md"

        preview = vault.forget(ref="note:locker.md", dry_run=True)
        assert preview.dry_run and [r.ref for r in preview.records] == ["note:locker.md"]
        assert preview.counts.records == 1 and preview.counts.chunks >= 1
        assert preview.counts.facts == 1 and preview.counts.preferences == 1 and preview.counts.aliases == 1
        assert vault.store.records_by_ref("note:locker.md"), "a dry run changes nothing"

        result = vault.forget(ref="note:locker.md")
        assert result.counts == preview.counts and result.compacted
        assert vault.store.records_by_ref("note:locker.md") == []
        for preset in ("hybrid", "bm25", "dense"):
            assert all(h.ref != "note:locker.md" for h in vault.search("gym locker code", k=20, preset=preset))
        assert vault.search(SECRET, k=5, preset="bm25") == []
        # derived items with no other support are gone; the fact also supported by an email stays
        seeded = {"f-tom-slides", "f-jose-rent", "f-both", "f-locker"}
        assert _ids(vault, "facts") & seeded == {"f-tom-slides", "f-jose-rent", "f-both"}
        assert _ids(vault, "preferences") == {"p-stated"}
        assert _ids(vault, "feedback") == {"fb-porto"}
        assert "e-gym" in _ids(vault, "entities"), "kept: a fact still supported by an email is about it"
        aliases = {r[0] for r in vault.store._conn.execute("SELECT alias FROM entity_aliases")}  # type: ignore[attr-defined]
        assert "Gym" not in aliases, "its alias came only from the note"
        after = traces(key, db, SECRET.encode(), SECRET.lower().encode(), b"4471, tell nobody")
        assert after == {SECRET.encode(): 0, SECRET.lower().encode(): 0, b"4471, tell nobody": 0}
        # compaction truncated the log; at most the audit event of the forget was written to it since
        assert (home / "vault.db-wal").stat().st_size < 3 * (24 + 4096) + 32
    after_close = traces(key, home / VAULT_FILE, SECRET.encode(), SECRET.lower().encode())
    assert set(after_close.values()) == {0}


def test_forget_a_person_removes_their_items_entity_aliases_and_facts(home: Path, tmp_path: Path) -> None:
    paths = _life(tmp_path)
    # a note that only mentions Tom stays (it is not from or with him), and the preview says so
    (paths["note"] / "tom.md").write_text("# Ideas\nAsk Tom Baker about the offsite.\n", encoding="utf-8")
    with knowme.open(home, PASSPHRASE) as vault:
        vault.ingest(list(paths.values()))
        _graph(vault)
        key = derive_key(home, PASSPHRASE)
        result = vault.forget(person="Tommy")  # a nickname the graph knows: widened to every alias of Tom
        assert [r.ref for r in result.records] == ["mail:offsite-1@example.org"]
        # the seeded entity, and the one the graph built from his mail headers (found through his address)
        assert "e-tom" in result.entities and "tom.baker@example.org" in result.entities["e-tom"]
        assert all("tom.baker@example.org" in aliases for aliases in result.entities.values())
        assert result.mentions == 1
        assert "e-tom" not in _ids(vault, "entities") and "f-tom-slides" not in _ids(vault, "facts")
        aliases = {r[0] for r in vault.store._conn.execute("SELECT alias FROM entity_aliases")}  # type: ignore[attr-defined]
        assert not aliases & {"Tom Baker", "Tommy", "tom.baker@example.org"}
        assert vault.store.records_by_ref("mail:porto-7@example.org"), "others' mail stays"
        assert traces(key, home / VAULT_FILE, b"tom.baker@example.org", b"offsite slides before Friday") == {
            b"tom.baker@example.org": 0,
            b"offsite slides before Friday": 0,
        }


def test_person_matches_whole_words_only(vault: knowme.Vault, tmp_path: Path) -> None:
    paths = write_life(tmp_path / "life")
    vault.ingest(list(paths.values()))
    assert vault.forget(person="Tom Baker", dry_run=True).counts.records == 1  # From: tom.baker@example.org
    assert vault.forget(person="tom.baker@example.org", dry_run=True).counts.records == 1
    assert vault.forget(person="Baker", dry_run=True).records == ()
    assert vault.forget(person="Maya", dry_run=True).counts.records == 4  # To: Maya <maya@...> twice; both chat lines
    assert vault.forget(person="jose@example.org", dry_run=True).counts.records == 1


def test_forgotten_items_stay_out_of_later_ingests_unless_asked(vault: knowme.Vault, tmp_path: Path) -> None:
    paths = write_life(tmp_path / "life")
    vault.ingest(paths["email"])
    result = vault.forget(source=paths["email"])
    assert result.counts.records == 2 and result.counts.cursors == 1 and result.counts.tombstones == 6
    assert vault.store.get_cursor(f"mbox:{paths['email'].resolve()}") is None

    again = vault.ingest(paths["email"])
    assert again.added == {} and again.forgotten == {"email": 2}
    assert vault.store.counts() == {}
    # the same messages copied elsewhere are recognised by their content hash
    copy = tmp_path / "copy.mbox"
    write_mbox(copy)
    assert vault.ingest(copy).forgotten == {"email": 2}

    back = vault.ingest(paths["email"], include_forgotten=True)
    assert back.added == {"email": 2} and vault.store.counts() == {"email": 2}
    assert vault.ingest(paths["email"]).unchanged == {"email": 2}


def test_before_and_query_and_combined(vault: knowme.Vault, tmp_path: Path) -> None:
    paths = write_life(tmp_path / "life")
    vault.ingest(list(paths.values()))
    early = vault.forget(before="2025-03-01", dry_run=True)
    assert {r.ref for r in early.records} == {"mail:porto-7@example.org", "web:https://www.example.com/trail-boots"}
    assert all(r.timestamp is not None for r in early.records), "undated items (the contact) never match --before"
    text = vault.forget(query="RUA DAS flores", dry_run=True)
    assert [r.ref for r in text.records] == ["mail:porto-7@example.org"]
    both = vault.forget(query="offsite", before="2025-03-01", dry_run=True)
    assert both.records == ()
    with pytest.raises(knowme.ConfigError, match="say what to forget"):
        vault.forget()
    assert vault.forget(ref="mail:nothing-like-this").empty


def test_forget_deletes_backups_that_hold_the_data(home: Path, tmp_path: Path) -> None:
    paths = write_life(tmp_path / "life")
    with knowme.open(home, PASSPHRASE) as vault:
        vault.ingest(paths["email"])
        backup = vault.store._backup("before-test")  # type: ignore[attr-defined]
        assert backup.exists()
        assert vault.forget(ref="mail:porto-7@example.org", dry_run=True).backups == (str(backup),)
        assert backup.exists()
        vault.forget(ref="mail:porto-7@example.org")
        assert not backup.exists() and not any((home / BACKUP_DIR).iterdir())


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    from knowme.interfaces.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    captured = capsys.readouterr()
    code = exit_info.value.code
    return (code if isinstance(code, int) else 0), captured.out, captured.err


def test_cli_forget_previews_and_needs_yes_without_a_terminal(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = write_life(tmp_path / "life")
    assert _run(capsys, "init")[0] == 0
    assert _run(capsys, "ingest", str(paths["email"]), "--json")[0] == 0
    code, out, err = _run(capsys, "forget", "--person", "Tom Baker")
    assert code == 2 and "add --yes" in err and "mail:offsite-1@example.org" in out
    code, out, _ = _run(capsys, "search", "offsite slides", "--json")
    assert json.loads(out)[0]["ref"] == "mail:offsite-1@example.org", "nothing was forgotten without --yes"

    code, out, _ = _run(capsys, "forget", "--person", "Tom Baker", "--dry-run", "--json")
    assert code == 0 and json.loads(out)["counts"]["records"] == 1 and json.loads(out)["dry_run"]

    code, out, _ = _run(capsys, "forget", "--person", "Tom Baker", "--yes", "--json")
    doc = json.loads(out)
    assert code == 0 and not doc["dry_run"] and doc["records"][0]["ref"] == "mail:offsite-1@example.org"
    code, out, _ = _run(capsys, "search", "offsite slides", "--json")
    assert all(h["ref"] != "mail:offsite-1@example.org" for h in json.loads(out))

    code, out, _ = _run(capsys, "ingest", str(paths["email"]))
    assert code == 0 and "1 item(s) you had forgotten were left out" in out
    code, out, _ = _run(capsys, "forget", "--query", "no such words anywhere", "--yes")
    assert code == 0 and "Nothing matches" in out


def test_forget_drops_the_words_the_commitment_tracker_kept(vault: knowme.Vault, tmp_path: Path) -> None:
    """A message that delivers something is remembered (a few of its words) to close later commitments; forgetting
    it must forget that too."""
    from knowme.extract.build import DELIVERIES_META

    mail = tmp_path / "delivery.eml"
    mail.write_text(
        "From: Ana Costa <ana@example.org>\nTo: Tom Becker <tom@example.org>\nSubject: Re: budget\n"
        "Date: Tue, 05 Mar 2024 10:00:00 +0000\nMessage-ID: <delivery-1@example.org>\n\n"
        "Here is the quarterly budget spreadsheet, attached as promised.\n",
        encoding="utf-8",
    )
    vault.ingest(mail)
    [record] = vault.records("mail:delivery-1@example.org")
    remembered = vault.store.get_meta(DELIVERIES_META) or ""
    assert record.id in remembered and "spreadsheet" in remembered
    vault.forget(ref="mail:delivery-1@example.org")
    remembered = vault.store.get_meta(DELIVERIES_META) or ""
    assert record.id not in remembered and "spreadsheet" not in remembered
