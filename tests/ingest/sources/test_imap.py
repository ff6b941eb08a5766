"""IMAP sources against a real Dovecot on 127.0.0.1: first sync, incremental new/deleted, failures, credentials."""

from __future__ import annotations

import imaplib
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

import knowme
from knowme.ingest.sources import connector_for
from knowme.ingest.sync import state_key
from tests.conftest import MemoryKeyring
from tests.ingest.sources.mail import message
from tests.ingest.sources.servers import Dovecot


@pytest.fixture
def dovecot(tmp_path: Path) -> Iterator[Dovecot]:
    server = Dovecot(tmp_path / "dovecot")
    for n in range(3):
        (server.maildir / "cur" / f"1700000000.{n}.host:2,S").write_bytes(message(n))
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _imap(server: Dovecot) -> imaplib.IMAP4:
    client = imaplib.IMAP4("127.0.0.1", server.port, timeout=10)
    client.login(server.user, server.password)
    client.select("INBOX")
    return client


def test_imap_sync_new_and_deleted(
    vault: knowme.Vault, dovecot: Dovecot, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("MAIL_PW", dovecot.password)
    entry = vault.add_source(dovecot.uri, name="work", user=dovecot.user, password_env="MAIL_PW", insecure=True)
    assert entry.kind == "imap"
    assert entry.settings == {"user": "sam", "password_env": "MAIL_PW", "on_delete": "mark", "insecure": True}
    [first] = vault.sync()
    assert first.error is None and sum(first.ingest.added.values()) == 3 and first.items == 3
    hit = vault.search("update number 1 greenhouse budget", k=1)[0]
    assert hit.ref == "mail:note-1@example.org" and hit.source == f"imap:sam@127.0.0.1:{dovecot.port}/INBOX"
    [quiet] = vault.sync()
    assert quiet.ingest.total == 0 and quiet.removed == 0

    client = _imap(dovecot)
    client.append("INBOX", None, None, message(7, subject="Boat trip", body="The ferry leaves at 7:40 from pier 3."))
    client.store("1", "+FLAGS", "\\Deleted")
    client.expunge()
    client.logout()
    [second] = vault.sync(["work"])
    assert sum(second.ingest.added.values()) == 1 and second.marked == 1 and second.items == 3
    assert vault.records("mail:note-0@example.org")[0].deleted_at_source, "expunged at the server: kept, marked"
    assert all(h.ref != "mail:note-0@example.org" for h in vault.search("update number 0", k=10))
    assert vault.search("ferry pier", k=1)[0].ref == "mail:note-7@example.org"
    assert vault.records("mail:note-7@example.org")[0].meta["folder"] == "INBOX"
    assert vault.records("mail:note-7@example.org")[0].meta["flags"] == []

    client = _imap(dovecot)  # flags change on the server (CONDSTORE): the message is read again
    client.uid("STORE", str(vault.records("mail:note-7@example.org")[0].meta["imap_uid"]), "+FLAGS",
               "(\\Flagged \\Answered)")  # fmt: skip
    client.logout()
    [flagged] = vault.sync(["work"])
    assert sum(flagged.ingest.updated.values()) == 1 and flagged.ingest.total == 1, "only that message"
    assert vault.records("mail:note-7@example.org")[0].meta["flags"] == ["\\Answered", "\\Flagged"]
    [calm] = vault.sync(["work"])
    assert calm.ingest.total == 0, "no flag changed since: nothing read"

    # the password is nowhere: not in the registration, the state, reprs or logs
    secret = dovecot.password
    stored = json.dumps([e.settings for e in vault.store.list_sources()]) + json.dumps(
        vault.store.get_cursor(state_key("work"))
    )
    assert secret not in stored
    assert secret not in repr(vault.sources()) and secret not in repr(connector_for(vault.sources()[0]))
    assert secret not in caplog.text and caplog.records, "imapclient logs at debug level, without the password"


def test_imap_failures_are_clear(
    vault: knowme.Vault, dovecot: Dovecot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WRONG_PW", "not-the-password")
    vault.add_source(dovecot.uri, name="wrong", user=dovecot.user, password_env="WRONG_PW", insecure=True)
    vault.add_source("imap://127.0.0.1:9/INBOX", name="down", user="sam", password_env="WRONG_PW", insecure=True)
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "a.md").write_text("# A\n\nA note.\n", encoding="utf-8")
    vault.add_source(tmp_path / "notes", name="files")
    reports = {r.name: r for r in vault.sync()}
    assert "refused the login for 'sam' (wrong password?)" in (reports["wrong"].error or "")
    assert "cannot reach the IMAP server 127.0.0.1:9" in (reports["down"].error or "")
    assert reports["files"].error is None
    assert "not-the-password" not in json.dumps([r.as_dict() for r in reports.values()])


def test_imap_password_from_keyring(vault: knowme.Vault, dovecot: Dovecot, memory_keyring: MemoryKeyring) -> None:
    entry = vault.add_source(f"imap://{dovecot.user}@127.0.0.1:{dovecot.port}/INBOX", name="kr", insecure=True)
    assert entry.settings == {"user": "sam", "on_delete": "mark", "insecure": True}
    [missing] = vault.sync()
    assert "keyring set knowme sam@127.0.0.1" in (missing.error or "")
    memory_keyring.set_password("knowme", "sam@127.0.0.1", dovecot.password)
    [ok] = vault.sync()
    assert ok.error is None and ok.items == 3


def test_password_in_uri_is_refused(vault: knowme.Vault) -> None:
    with pytest.raises(knowme.ConfigError, match="do not put a password"):
        vault.add_source("imap://sam:hunter2@127.0.0.1:143/INBOX")
    assert vault.sources() == []


def test_interrupted_sync_resumes(vault: knowme.Vault, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    server = Dovecot(tmp_path / "dovecot-resume")
    for n in range(10):
        (server.maildir / "cur" / f"1700000000.{n}.host:2,S").write_bytes(message(n))
    server.start()
    try:
        monkeypatch.setattr("knowme.connectors.live.imap.FETCH_GROUP", 3)  # a checkpoint every three messages
        monkeypatch.setenv("MAIL_PW", server.password)
        vault.add_source(server.uri, name="box", user=server.user, password_env="MAIL_PW", insecure=True)

        def stop_after_five(label: str, done: int, total: int | None) -> None:
            if done == 5:
                raise KeyboardInterrupt  # Ctrl-C in the middle of the second group

        with pytest.raises(KeyboardInterrupt):
            vault.sync(progress=stop_after_five)
        assert sum(vault.store.counts().values()) == 3, "the first group was committed with its checkpoint"
        [resumed] = vault.sync()
        assert resumed.error is None and sum(resumed.ingest.added.values()) == 7
        assert resumed.ingest.total == 7, "the committed messages are not fetched again"
        assert resumed.items == 10
    finally:
        server.stop()


def test_imap_attachments_are_read_and_go_with_their_message(
    vault: knowme.Vault, dovecot: Dovecot, monkeypatch: pytest.MonkeyPatch
) -> None:
    from email.message import EmailMessage

    monkeypatch.setenv("MAIL_PW", dovecot.password)
    vault.add_source(dovecot.uri, name="work", user=dovecot.user, password_env="MAIL_PW", insecure=True)
    vault.sync()
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = "Lena Vogel <lena@example.org>", "sam@example.net", "Boat rules"
    mail["Date"], mail["Message-ID"] = "Sat, 01 Mar 2025 12:00:00 +0000", "<boat-1@example.org>"
    mail.set_content("The club's rules are attached.")
    mail.add_attachment(
        "Life jackets on deck at all times. Return the keys to the harbour office.", filename="rules.txt"
    )
    client = _imap(dovecot)
    client.append("INBOX", None, None, mail.as_bytes())
    client.logout()
    [added] = vault.sync(["work"])
    assert added.ingest.added == {"email": 1, "document": 1} and added.error is None
    hit = vault.search("life jackets harbour office keys", k=1)[0]
    assert hit.ref == "mail:boat-1@example.org#att/rules.txt" and hit.source.startswith("imap:sam@127.0.0.1")
    [quiet] = vault.sync(["work"])
    assert quiet.ingest.total == 0
    client = _imap(dovecot)
    client.store("4", "+FLAGS", "\\Deleted")
    client.expunge()
    client.logout()
    [gone] = vault.sync(["work"])
    assert gone.marked == 2  # the message and its attachment
    assert vault.records("mail:boat-1@example.org#att/rules.txt")[0].deleted_at_source


def test_no_password_in_clear_without_saying_so(
    vault: knowme.Vault, dovecot: Dovecot, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """imap:// must upgrade with STARTTLS before the login; this Dovecot (ssl = no) offers none, so the password is
    never sent unless the source was registered --insecure, which only a loopback or test host may be."""
    import logging

    monkeypatch.setenv("MAIL_PW", dovecot.password)
    vault.add_source(dovecot.uri, name="plain", user=dovecot.user, password_env="MAIL_PW")
    with caplog.at_level(logging.DEBUG, logger="imapclient"):
        [report] = vault.sync()
    assert "offers no STARTTLS" in (report.error or "") and report.items == 0
    assert "LOGIN" not in caplog.text.upper().replace("LOGINDISABLED", "")  # no login was even attempted
    with pytest.raises(knowme.ConfigError, match="loopback or test host"):
        vault.add_source("imap://mail.example.org/INBOX", user="sam", password_env="MAIL_PW", insecure=True)
    with pytest.raises(knowme.ConfigError, match="in clear"):
        vault.add_source("caldav+http://127.0.0.1:5232/sam/cal/", user="sam", password_env="MAIL_PW")
    vault.remove_source("plain")
    vault.add_source(dovecot.uri, name="plain", user=dovecot.user, password_env="MAIL_PW", insecure=True)
    [ok] = vault.sync()
    assert ok.error is None and ok.items == 3


def test_imap_upgrades_with_starttls_before_the_login(
    vault: knowme.Vault, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Dovecot that offers STARTTLS and refuses any login before it: imap:// (no --insecure) syncs, so the login
    went over TLS; with a certificate nobody vouches for, the sync fails before the password is sent."""
    from tests.ingest.sources.servers import self_signed

    cert, key = self_signed(tmp_path / "tls")
    server = Dovecot(tmp_path / "dovecot-tls", tls=(cert, key))
    for n in range(3):
        (server.maildir / "cur" / f"1700000000.{n}.host:2,S").write_bytes(message(n))
    server.start()
    try:
        monkeypatch.setenv("MAIL_PW", server.password)
        vault.add_source(server.uri, name="tls", user=server.user, password_env="MAIL_PW")
        [untrusted] = vault.sync()
        assert "failed STARTTLS" in (untrusted.error or "") and untrusted.items == 0
        monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # the system store now vouches for this certificate
        [ok] = vault.sync()
        assert ok.error is None and ok.items == 3
    finally:
        server.stop()
