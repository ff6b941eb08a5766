"""Grants and audit: a calendar-only client never reads mail; sensitive classes need their own scope; every
disclosure is logged; the log only grows; tokens are stored hashed."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import knowme
from knowme.config import LLMSettings
from knowme.errors import AccessDenied
from knowme.llm.openai_compat import OpenAICompatBackend
from knowme.privacy.grants import parse_expiry, parse_scopes
from knowme.privacy.sensitivity import classify, luhn, valid_iban
from knowme.store.keys import derive_key
from knowme.store.sqlcipher import VAULT_FILE
from tests.conftest import PASSPHRASE
from tests.llm.conftest import FakeOpenAI, fake_openai  # noqa: F401 - the fixture
from tests.privacy.pages import traces
from tests.privacy.test_forget import _run
from tests.samples import write_life

MAIL_QUERIES = ["Rua das Flores rent", "offsite slides", "Porto flat", "Tom", "send before Friday"]


@pytest.fixture
def life_vault(vault: knowme.Vault, tmp_path: Path) -> knowme.Vault:
    paths = write_life(tmp_path / "life")
    extra = tmp_path / "life" / "more.ics"
    extra.write_text(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:standup-1@example.org\r\n"
        "DTSTAMP:20250101T000000Z\r\nDTSTART:20250314T090000Z\r\nDTEND:20250314T091500Z\r\n"
        "SUMMARY:Team standup about the Porto offsite\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
        encoding="utf-8",
    )
    vault.ingest([*paths.values(), extra])
    return vault


def test_a_calendar_grant_never_reads_mail(life_vault: knowme.Vault) -> None:
    vault = life_vault
    grant, token = vault.grant("calendar-app", "calendar", expires="30d")
    assert token.startswith("km_") and grant.kinds == ("event",)
    checked = vault.check_grant(token)
    assert checked.id == grant.id
    seen: set[str] = set()
    for query in [*MAIL_QUERIES, "standup", "dentist"]:
        for preset in ("hybrid", "bm25", "dense"):
            hits = vault.search(query, k=10, grant=checked, preset=preset)
            assert all(h.kind == "event" for h in hits), (query, preset)
            seen.update(h.ref for h in hits)
        assert vault.search(query, k=10, grant=checked, kinds=["email"]) == []
    assert "cal:standup-1@example.org" in seen
    # the dentist appointment is a health matter: withheld until the grant has the health scope
    assert "cal:dentist-42@example.org" not in seen
    health, health_token = vault.grant("doctor-app", "calendar,health")
    assert [h.ref for h in vault.search("dentist", k=3, grant=vault.check_grant(health_token))][:1] == [
        "cal:dentist-42@example.org"
    ]
    vault.choose_backend("extractive")
    answer = vault.ask("What is the rent of the Porto flat?", grant=checked)
    assert all(h.kind == "event" for h in answer.evidence) and "950" not in answer.text
    events = vault.audit(actor="calendar-app")
    assert {e.action for e in events} == {"search", "ask"}
    shown = {ref for e in events for ref in e.detail["refs"]}
    assert shown and all(ref.startswith("cal:") for ref in shown) and "cal:dentist-42@example.org" not in shown
    assert all(e.detail["grant"] == grant.id for e in events)


def test_expired_revoked_and_unknown_tokens_are_refused(life_vault: knowme.Vault) -> None:
    vault = life_vault
    _, old = vault.grant("old-app", "notes", expires="2000-01-01")
    with pytest.raises(AccessDenied, match="expired"):
        vault.check_grant(old)
    grant, token = vault.grant("notes-app", ["notes"], expires="never")
    checked = vault.check_grant(token)
    assert vault.search("anniversary", k=3, grant=checked)
    assert [g.id for g in vault.revoke("notes-app")] == [grant.id]
    with pytest.raises(AccessDenied, match="revoked"):
        vault.check_grant(token)
    with pytest.raises(AccessDenied, match="no longer active"):
        vault.search("anniversary", k=3, grant=checked)  # a grant object checked before the revocation
    with pytest.raises(AccessDenied, match="unknown token"):
        vault.check_grant("km_" + "x" * 43)
    with pytest.raises(knowme.ConfigError, match="unknown scope"):
        vault.grant("x", "mail,everything")
    assert {g.status() for g in vault.grants()} == {"expired", "revoked"}


def test_tokens_are_stored_hashed(home: Path) -> None:
    with knowme.open(home, PASSPHRASE) as vault:
        _, token = vault.grant("app", "mail")
        stored = vault.store._conn.execute("SELECT token_hash FROM grants").fetchone()[0]  # type: ignore[attr-defined]
        assert stored != token and token not in stored and len(stored) == 64
    key = derive_key(home, PASSPHRASE)
    assert traces(key, home / VAULT_FILE, token.encode(), token[3:20].encode()) == {
        token.encode(): 0,
        token[3:20].encode(): 0,
    }


def test_audit_log_is_append_only_and_forget_scrubs_refs(life_vault: knowme.Vault, tmp_path: Path) -> None:
    vault = life_vault
    _, token = vault.grant("mail-app", "mail,money")
    hits = vault.search("Rua das Flores rent", k=2, grant=vault.check_grant(token))
    assert hits[0].ref == "mail:porto-7@example.org"
    vault.export(tmp_path / "out.zip")
    conn = vault.store._conn  # type: ignore[attr-defined]
    with pytest.raises(Exception, match="append-only"):
        conn.execute("DELETE FROM audit_events")
    with pytest.raises(Exception, match="append-only"):
        conn.execute("UPDATE audit_events SET actor = 'someone else'")
    assert [e.action for e in vault.audit()] == ["grant.add", "search", "export"]

    record_id = vault.store.records_by_ref("mail:porto-7@example.org")[0].id
    vault.forget(ref="mail:porto-7@example.org")
    events = vault.audit()
    assert [e.action for e in events] == ["grant.add", "search", "export", "forget"]
    assert "mail:porto-7@example.org" not in json.dumps([e.as_dict() for e in events])
    assert f"forgotten:{record_id}" in events[1].detail["refs"]


def test_context_sent_to_a_remote_model_is_audited(
    life_vault: knowme.Vault,
    fake_openai: FakeOpenAI,  # noqa: F811
) -> None:
    vault = life_vault
    vault.use_backend(OpenAICompatBackend(LLMSettings(backend="openai", base_url=fake_openai.base("ok"))))
    answer = vault.ask("What did Tom ask me to send before Friday?")
    assert answer.text.startswith("echo:")
    (event,) = vault.audit()
    assert event.action == "ask" and event.actor.startswith("model:") and event.detail["grant"] is None
    assert "mail:offsite-1@example.org" in event.detail["refs"]
    assert "mail:porto-7@example.org" not in event.detail["refs"], "a money matter is not sent by default"
    vault.choose_backend("extractive")
    vault.ask("What is the rent of the Porto flat?")
    assert len(vault.audit()) == 1, "an answer composed inside knowme discloses nothing"


def test_sensitivity_classifier() -> None:
    assert classify("Dentist appointment with Dr. Okafor") == {"health"}
    assert classify("Consulta na clínica às 10h") == {"health"}  # accents folded
    assert classify("Rent is 950 euros") == {"money"}
    assert classify("please pay to DE89 3704 0044 0532 0130 00") == {"money"}  # a valid IBAN
    assert classify("ref DE00 3704 0044 0532 0130 00") == frozenset()  # fails the mod-97 check
    assert classify("my card 4111 1111 1111 1111") == {"money"} and not luhn("4111 1111 1111 1112")
    assert valid_iban("GB82 WEST 1234 5698 7654 32") and not valid_iban("GB82 WEST 1234 5698 7654 33")
    assert classify("we broke up last night") == {"intimate"}
    assert classify("Could you send the offsite slides before Friday?") == frozenset()
    assert classify("Drive to the docks") == frozenset()  # "dr" is a whole word only


def test_scope_and_expiry_parsing() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert parse_expiry("30d", now) == now + timedelta(days=30)
    assert parse_expiry("12h", now) == now + timedelta(hours=12)
    assert parse_expiry("never", now) is None
    assert parse_expiry("2026-02-01", now) == datetime(2026, 2, 1, tzinfo=UTC)
    with pytest.raises(knowme.ConfigError, match="not an expiry"):
        parse_expiry("soon", now)
    assert parse_scopes(" Mail, calendar ,mail") == ("mail", "calendar")
    with pytest.raises(knowme.ConfigError, match="at least one scope"):
        parse_scopes("")


def test_cli_grant_and_audit(home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(capsys, "init")[0] == 0
    assert _run(capsys, "ingest", str(write_life(tmp_path / "life")["email"]), "--json")[0] == 0
    code, out, _ = _run(capsys, "grant", "add", "assistant", "--scopes", "calendar,notes", "--expires", "7d", "--json")
    doc = json.loads(out)
    assert code == 0 and doc["token"].startswith("km_") and doc["scopes"] == ["calendar", "notes"]
    code, out, _ = _run(capsys, "grant", "add", "other", "--scopes", "mail")
    assert code == 0 and "shown once" in out
    code, out, _ = _run(capsys, "grant", "list")
    assert code == 0 and "assistant" in out and "active" in out and doc["token"] not in out
    code, _, err = _run(capsys, "grant", "add", "x", "--scopes", "bank")
    assert code == 2 and "unknown scope" in err
    code, out, _ = _run(capsys, "grant", "revoke", doc["id"])
    assert code == 0 and "Revoked" in out
    code, _, err = _run(capsys, "grant", "revoke", doc["id"])
    assert code == 2 and "no active grant" in err
    code, out, _ = _run(capsys, "audit", "--json")
    assert [e["action"] for e in json.loads(out)] == ["grant.add", "grant.add", "grant.revoke"]
    code, out, _ = _run(capsys, "audit", "--limit", "1")
    assert code == 0 and "grant.revoke" in out and "grant.add" not in out
