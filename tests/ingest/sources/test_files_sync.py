"""Registered file and folder sources: add, list, sync incrementally (new, changed, deleted), remove."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import knowme
from knowme.errors import ConfigError, SourceError
from tests.ingest.sources.mail import deliver, make_maildir, message
from tests.samples import write_history, write_mbox


def test_add_list_and_names(vault: knowme.Vault, tmp_path: Path) -> None:
    box = make_maildir(tmp_path / "Mail", 2)
    entry = vault.add_source(box)
    assert (entry.name, entry.kind, entry.uri) == ("Mail", "files", str(box.resolve()))
    again = vault.add_source(box)
    assert again.name == "Mail-2"
    with pytest.raises(ConfigError, match="exists already"):
        vault.add_source(box, name="Mail")
    with pytest.raises(ConfigError, match="no such file"):
        vault.add_source(tmp_path / "missing")
    assert [e.name for e in vault.sources()] == ["Mail", "Mail-2"]
    assert vault.sources()[0].last_sync_at is None


def test_maildir_sync_is_incremental(vault: knowme.Vault, tmp_path: Path) -> None:
    box = make_maildir(tmp_path / "Mail", 5)
    vault.add_source(box, name="mail")
    [first] = vault.sync()
    assert first.error is None and sum(first.ingest.added.values()) == 5 and first.items == 5
    [second] = vault.sync()
    assert second.ingest.total == 0 and second.removed == 0, "an unchanged Maildir reads no message"
    deliver(box, "1700000099.1.host", message(99, subject="Greenhouse keys", body="The keys are under the pot."))
    (box / "cur" / "1700000000.2.host:2,S").unlink()
    os.rename(box / "cur" / "1700000000.3.host:2,S", box / "cur" / "1700000000.3.host:2,RS")  # a flag change
    [third] = vault.sync(["mail"])
    assert sum(third.ingest.added.values()) == 1 and third.marked == 1 and third.items == 5
    assert vault.records("mail:note-2@example.org")[0].deleted_at_source
    assert vault.search("keys under the pot", k=1)[0].ref == "mail:note-99@example.org"
    listed = vault.sources()[0]
    assert listed.items == 5 and listed.last_sync_at is not None and listed.last_error is None


def test_folder_files_changed_and_vanished(vault: knowme.Vault, tmp_path: Path) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    write_mbox(folder / "archive.mbox", garbage=False)
    (folder / "ideas.md").write_text("# Ideas\n\nBuild a rain barrel for the allotment.\n", encoding="utf-8")
    vault.add_source(folder, name="exports")
    [first] = vault.sync()
    assert first.error is None and first.items >= 2
    before = first.items
    [same] = vault.sync()
    assert same.ingest.total == 0, "unchanged files are not re-read"
    os.utime(folder / "archive.mbox")  # touched, identical content: one hash, no re-read
    [touched] = vault.sync()
    assert touched.ingest.total == 0
    (folder / "ideas.md").write_text("# Ideas\n\nPlant garlic in October.\n", encoding="utf-8")
    [changed] = vault.sync()
    assert sum(changed.ingest.updated.values()) + sum(changed.ingest.added.values()) >= 1
    assert "garlic" in vault.search("garlic october", k=1)[0].text.lower()
    (folder / "archive.mbox").unlink()
    [gone] = vault.sync()
    assert gone.marked == before - 1 and gone.items == 1


def test_the_forget_policy_forgets_what_the_source_deleted(vault: knowme.Vault, tmp_path: Path) -> None:
    box = make_maildir(tmp_path / "Mail", 3)
    vault.add_source(box, name="mail", on_delete="forget")
    [first] = vault.sync()
    assert first.items == 3 and vault.records("mail:note-1@example.org")
    (box / "cur" / "1700000000.1.host:2,S").unlink()
    [second] = vault.sync()
    assert second.removed == 1 and second.marked == 0 and second.items == 2
    assert vault.records("mail:note-1@example.org") == []
    with pytest.raises(ConfigError, match="--on-delete"):
        vault.add_source(box, name="other", on_delete="shred")


def test_remove_keeps_or_forgets(vault: knowme.Vault, tmp_path: Path) -> None:
    vault.add_source(make_maildir(tmp_path / "A", 3), name="a")
    vault.add_source(make_maildir(tmp_path / "B", 0), name="b")
    deliver(tmp_path / "B", "x.1.host", message(500))
    vault.sync()
    assert vault.remove_source("b", forget_data=False) == 0
    assert vault.records("mail:note-500@example.org")
    assert vault.remove_source("a", forget_data=True) == 3
    assert vault.records("mail:note-0@example.org") == []
    assert vault.sources() == []
    with pytest.raises(SourceError, match="no source named"):
        vault.remove_source("a")


def test_one_failing_source_does_not_block_others(vault: knowme.Vault, tmp_path: Path) -> None:
    vault.add_source("imap://127.0.0.1:9/INBOX", name="down", user="sam", password_env="KNOWME_TEST_UNSET_VAR")
    vault.add_source(make_maildir(tmp_path / "Mail", 2), name="mail")
    reports = {r.name: r for r in vault.sync()}
    assert "KNOWME_TEST_UNSET_VAR is not set" in (reports["down"].error or "")
    assert reports["mail"].error is None and reports["mail"].items == 2
    assert {e.name: e.last_error for e in vault.sources()}["down"] is not None
    with pytest.raises(SourceError):
        vault.sync(["nope"])


def test_a_fifo_in_a_folder_is_skipped_not_opened(vault: knowme.Vault, tmp_path: Path) -> None:
    folder = tmp_path / "run"
    folder.mkdir()
    os.mkfifo(folder / "log-errors")  # opening it to sniff would block forever
    (folder / "note.md").write_text("# Run\n\nThe run folder note.\n", encoding="utf-8")
    report = vault.ingest(folder)
    assert sum(report.added.values()) == 1


def _visit(history: Path, visit_id: int, url: str, title: str, when: int) -> None:
    import sqlite3

    db = sqlite3.connect(history)
    columns = "url, title, visit_count, typed_count, last_visit_time, hidden"
    db.execute(f"INSERT INTO urls({columns}) VALUES (?, ?, 1, 0, ?, 0)", (url, title, when))
    url_id = db.execute("SELECT max(id) FROM urls").fetchone()[0]
    db.execute("INSERT INTO visits VALUES (?, ?, ?, 0, 1, 0, 0)", (visit_id, url_id, when))
    db.commit()
    db.close()


def test_browser_history_is_followed_by_visit_id(vault: knowme.Vault, tmp_path: Path) -> None:
    import sqlite3

    history = tmp_path / "History"
    write_history(history)
    vault.add_source(history, name="chrome")
    [first] = vault.sync()
    assert first.error is None and first.items == 1
    _visit(history, 2, "https://example.org/sourdough", "Sourdough starter guide", 13385000100000000)
    [second] = vault.sync()
    assert sum(second.ingest.added.values()) == 1 and second.ingest.total == 1, "only the new visit is read"
    assert vault.search("sourdough starter", k=1)[0].ref == "web:https://example.org/sourdough"
    db = sqlite3.connect(history)  # the user clears the history; the browser starts counting again
    db.execute("DELETE FROM visits")
    db.commit()
    db.close()
    _visit(history, 1, "https://example.org/kayak", "Kayak rental", 13385000200000000)
    [cleared] = vault.sync()
    assert cleared.marked == 2 and cleared.items == 1, "a cleared history is read whole"


def test_a_synced_maildir_reads_attachments_and_forgets_them_with_their_message(
    vault: knowme.Vault, tmp_path: Path
) -> None:
    from email.message import EmailMessage

    box = make_maildir(tmp_path / "Mail", 1)
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = "Lena Vogel <lena@example.org>", "sam@example.net", "Allotment rules"
    mail["Date"], mail["Message-ID"] = "Sat, 01 Mar 2025 12:00:00 +0000", "<rules-1@example.org>"
    mail.set_content("The rules are attached.")
    mail.add_attachment("No bonfires after 18:00. Water butts must be covered.", filename="rules.txt")
    deliver(box, "1700000100.1.host", mail.as_bytes())
    vault.add_source(box, name="mail", on_delete="forget")
    [first] = vault.sync()
    assert first.error is None and first.ingest.added == {"email": 2, "document": 1}
    assert vault.search("bonfires water butts", k=1)[0].ref == "mail:rules-1@example.org#att/rules.txt"
    (box / "new" / "1700000100.1.host").unlink()
    [second] = vault.sync()
    assert second.removed == 2  # the message and its attachment
    assert vault.records("mail:rules-1@example.org#att/rules.txt") == []
