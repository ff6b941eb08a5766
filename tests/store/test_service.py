"""The vault service on a real PostgreSQL: knowme.open and the CLI with KNOWME_STORE/KNOWME_USER, row-level
security that holds when a query forgets the tenant, per-tenant keys (nothing readable in a dump), clear errors,
crypto-shredding, and a personal vault moving into the service and back."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import psycopg
import pytest

import knowme
from knowme.errors import ConfigError, PassphraseMissing, StoreUnreachable, VaultNotFound, WrongPassphrase
from knowme.interfaces.cli import main
from knowme.privacy.grants import enrol
from knowme.store.pgschema import APP_ROLE, SCHEMA, TENANT_TABLES
from knowme.store.service import Service
from tests.conftest import PASSPHRASE
from tests.privacy.test_export import QUERIES, _members
from tests.privacy.test_forget import _graph, _life
from tests.samples import write_life
from tests.store.conftest import KEK_HEX

KEK = bytes.fromhex(KEK_HEX)


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(list(argv))
    captured = capsys.readouterr()
    return int(exit_info.value.code or 0), captured.out, captured.err


def dump_text(url: str) -> str:
    """Every row of every table of the service schema, read directly as the superuser: text columns as they are,
    binary columns decoded as UTF-8 where they can be, and each row's text form (tsvectors, vectors)."""
    parts: list[str] = []
    with psycopg.connect(url, autocommit=True) as conn:
        tables = [r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s", (SCHEMA,))]
        assert set(TENANT_TABLES) <= set(tables)
        for table in tables:
            for row in conn.execute(f"SELECT * FROM {SCHEMA}.{table}"):
                for value in row:
                    parts.append(value.decode("utf-8", "ignore") if isinstance(value, bytes) else str(value))
            parts.extend(r[0] for r in conn.execute(f"SELECT t::text FROM {SCHEMA}.{table} t"))
    return " ".join(" ".join(parts).split()).casefold()


def windows(texts: list[str], size: int = 6) -> set[str]:
    out: set[str] = set()
    for text in texts:
        words = text.split()
        for i in range(max(0, len(words) - size + 1)):
            out.add(" ".join(words[i : i + size]).casefold())
    return out


def record_texts(vault: knowme.Vault) -> list[str]:
    return [t for r in vault.store.iter_records() for t in (r.text, r.title) if len(t.split()) >= 6]


def test_the_store_role_cannot_bypass_row_security(service_env: str) -> None:
    service = Service(service_env, KEK)
    with psycopg.connect(service.app_conninfo, autocommit=True) as conn:
        assert conn.execute("SELECT current_user").fetchone() == (APP_ROLE,)
        assert conn.execute("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user").fetchone() == (
            False,
            False,
        )
        rows = conn.execute(
            "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity, pg_get_userbyid(c.relowner) "
            "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s AND c.relkind = 'r'",
            (SCHEMA,),
        ).fetchall()
        enrol(service, "ivy")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("UPDATE knowme.tenants SET token_hash = 'x'")  # nobody rewrites a key or a token
    policed = {name: (rls, forced, owner) for name, rls, forced, owner in rows}
    for table in TENANT_TABLES:
        assert policed[table][:2] == (True, True), table
        assert policed[table][2] != APP_ROLE


def test_a_query_without_the_tenant_filter_sees_only_its_tenant(
    service_env: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = Service(service_env, KEK)
    enrol(service, "alice")
    enrol(service, "bob")
    paths = write_life(tmp_path / "life")
    for user, path in (("alice", paths["note"]), ("bob", paths["email"])):
        monkeypatch.setenv("KNOWME_USER", user)
        with knowme.open() as vault:
            vault.ingest(path)
            store: Any = vault.store
            # the store's own connection, statements with no tenant in them: row security adds it
            assert {r[0] for r in store._q("SELECT tenant FROM chunks")} == {user}
            assert {r[0] for r in store._q("SELECT DISTINCT tenant FROM records")} == {user}
    with psycopg.connect(service.app_conninfo, autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM knowme.records").fetchone() == (0,)  # no tenant set: nothing
        with conn.transaction():
            conn.execute("SELECT set_config('knowme.tenant', 'alice', true)")
            tenants = {r[0] for r in conn.execute("SELECT tenant FROM knowme.records")}
            assert tenants == {"alice"}
        with pytest.raises(psycopg.errors.InsufficientPrivilege), conn.transaction():
            conn.execute("SELECT set_config('knowme.tenant', 'alice', true)")
            conn.execute("INSERT INTO knowme.meta(tenant, key, value) VALUES ('bob', 'x', '\\x00')")
        with pytest.raises(psycopg.errors.InsufficientPrivilege), conn.transaction():
            conn.execute("SELECT set_config('knowme.tenant', 'alice', true)")
            conn.execute("DROP TABLE knowme.records")  # owns nothing


def test_clear_errors(service_env: str, monkeypatch: pytest.MonkeyPatch) -> None:
    enrol(Service(service_env, KEK), "carol")
    monkeypatch.delenv("KNOWME_USER", raising=False)
    with pytest.raises(ConfigError, match="KNOWME_USER"):
        knowme.open()
    monkeypatch.setenv("KNOWME_USER", "nobody")
    with pytest.raises(VaultNotFound, match="users add nobody"):
        knowme.open()
    monkeypatch.setenv("KNOWME_USER", "carol")
    monkeypatch.setenv("KNOWME_KEK", "7a" * 32)
    with pytest.raises(WrongPassphrase, match="KNOWME_KEK") as wrong:
        knowme.open()
    assert "7a7a" not in str(wrong.value)
    monkeypatch.setenv("KNOWME_KEK", "too short")
    with pytest.raises(ConfigError, match="32 random bytes"):
        knowme.open()
    monkeypatch.delenv("KNOWME_KEK")
    with pytest.raises(PassphraseMissing, match="KNOWME_KEK"):
        knowme.open()
    monkeypatch.setenv("KNOWME_KEK", KEK_HEX)
    monkeypatch.setenv("KNOWME_STORE", "postgresql://knowme:secret-pw@127.0.0.1:9/none?connect_timeout=2")
    with pytest.raises(StoreUnreachable) as down:
        knowme.open()
    assert "secret-pw" not in str(down.value)
    monkeypatch.setenv("KNOWME_STORE", service_env)
    with knowme.open() as vault:
        assert vault.stats()["records"] == {}


def test_a_vault_on_the_service(service_env: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    enrol(Service(service_env, KEK), "dana")
    monkeypatch.setenv("KNOWME_USER", "dana")
    paths = write_life(tmp_path / "life")
    with knowme.open() as vault:
        report = vault.ingest(list(paths.values()))
        assert report.total >= 8 and sum(vault.stats()["records"].values()) == report.total  # type: ignore[arg-type]
        hits = vault.search("Cantinho do Avillez anniversary dinner", k=3)
        assert "Cantinho do Avillez" in hits[0].text
        vault.choose_backend("extractive")
        answer = vault.ask("Where did I reserve a table for the anniversary?")
        assert answer.citations and any("Avillez" in h.text for h in answer.evidence)
        assert {"José Núñez", "Lena Fischer"} <= {p.name for p in vault.people()}  # the graph, built on the service
        birthday = [f for f in vault.facts() if f.predicate == "birthday"]
        assert [(f.subject, f.value) for f in birthday] == [("Lena Fischer", "1990-06-21")] and birthday[0].refs
        grant, token = vault.grant("claude-desktop", "notes")
        assert vault.check_grant(token).id == grant.id
        forgotten = vault.forget(source=paths["note"])
        assert forgotten.counts.records == 2
        assert not any(h.ref.startswith("note") for h in vault.search("Cantinho do Avillez anniversary", k=3))
        again = vault.ingest(paths["note"])
        assert again.total == 0 and sum(again.forgotten.values()) == 2  # tombstoned: a re-ingest skips them
        assert [e.action for e in vault.audit()][-1] == "forget"


def test_a_personal_vault_moves_into_the_service_and_back(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pg_url: str
) -> None:
    paths = _life(tmp_path)
    first = tmp_path / "personal.knowme.zip"
    with knowme.open(home, PASSPHRASE) as vault:
        vault.ingest(list(paths.values()))
        _graph(vault)
        vault.export(first)
        hits = [[h.ref for h in vault.search(q, k=3)] for q in QUERIES]
    monkeypatch.setenv("KNOWME_STORE", pg_url)
    monkeypatch.setenv("KNOWME_KEK", KEK_HEX)
    monkeypatch.setenv("KNOWME_USER", "erin")
    enrol(Service(pg_url, KEK), "erin")
    served = tmp_path / "served.knowme.zip"
    with knowme.open() as service_vault:
        result = service_vault.import_file(first)
        assert result.records == 10 and not result.reembedded
        assert [[h.ref for h in service_vault.search(q, k=3)][0] for q in QUERIES] == [h[0] for h in hits]
        service_vault.export(served)
    assert _members(served) == _members(first)
    monkeypatch.delenv("KNOWME_STORE")
    back = tmp_path / "back.knowme.zip"
    with knowme.open(tmp_path / "home-again", PASSPHRASE) as again:
        again.import_file(served)
        assert [[h.ref for h in again.search(q, k=3)] for q in QUERIES] == hits
        again.export(back)
    assert _members(back) == _members(first)


def test_two_users_through_the_cli_cannot_see_each_other(
    service_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from knowme.demo.generator import generate_life

    samples = write_life(tmp_path / "samples")
    demo = tmp_path / "demo"
    generate_life(demo)
    lives = {
        "ana": [str(p) for p in samples.values()],
        "ben": [str(demo / "notes"), str(demo / "contacts"), str(demo / "chats" / "friends.chat.jsonl")],
    }
    tokens = {}
    for user in lives:
        code, out, _ = run_cli(capsys, "users", "add", user, "--json")
        assert code == 0
        tokens[user] = json.loads(out)["token"]
    assert tokens["ana"] != tokens["ben"] and tokens["ana"] not in dump_text(service_env)
    code, out, _ = run_cli(capsys, "users", "list", "--json")
    assert [u["user"] for u in json.loads(out)] == ["ana", "ben"]
    code, _, err = run_cli(capsys, "users", "add", "ana")
    assert code == 3 and "already has a user" in err

    texts: dict[str, list[str]] = {}
    for user, paths in lives.items():
        monkeypatch.setenv("KNOWME_USER", user)
        code, out, err = run_cli(capsys, "ingest", *paths, "--json")
        assert code == 0, err
        with knowme.open() as vault:
            texts[user] = record_texts(vault)
    assert len(texts["ana"]) >= 5 and len(texts["ben"]) >= 20

    for user, other in (("ana", "ben"), ("ben", "ana")):
        monkeypatch.setenv("KNOWME_USER", user)
        theirs = windows(texts[other])
        for sentence in texts[other][:8]:
            code, out, _ = run_cli(capsys, "search", sentence[:200], "--json", "-k", "10")
            assert code == 0
            for hit in json.loads(out):
                assert not windows([hit["text"]]) & theirs, f"{user} saw {other}'s text"

    dump = dump_text(service_env)
    for user in lives:
        leaked = [w for w in windows(texts[user]) if w in dump]
        assert leaked == [], f"{user}'s sentences are readable in the database: {leaked[:3]}"
    assert "'avillez'" in dump  # the scan reads the chunks: the stemmed index terms are there, in clear, unordered
    # and the scan would see a sentence stored unsealed (a probe row written as the superuser, then removed)
    probe = texts["ana"][0]
    with psycopg.connect(service_env, autocommit=True) as conn:
        conn.execute(f"INSERT INTO {SCHEMA}.meta(tenant, key, value) VALUES ('probe', 'k', %s)", (probe.encode(),))
        probed = dump_text(service_env)
        assert all(w in probed for w in windows([probe]))
        conn.execute(f"DELETE FROM {SCHEMA}.meta WHERE tenant = 'probe'")

    monkeypatch.setenv("CI", "true")
    code, _, err = run_cli(capsys, "users", "remove", "ben")
    assert code == 2 and "--yes" in err
    code, out, _ = run_cli(capsys, "users", "remove", "ben", "--yes", "--json")
    assert code == 0 and json.loads(out)["rows"]["records"] > 0
    with psycopg.connect(service_env, autocommit=True) as conn:
        for table in TENANT_TABLES:
            assert conn.execute(f"SELECT count(*) FROM {SCHEMA}.{table} WHERE tenant = 'ben'").fetchone() == (0,)
    monkeypatch.setenv("KNOWME_USER", "ben")
    code, _, err = run_cli(capsys, "search", "anything")
    assert code == 3 and "no user named 'ben'" in err


def test_personal_vault_commands_say_what_to_do_instead(
    service_env: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KNOWME_USER", "fay")
    for argv in (("init",), ("passphrase", "change"), ("unlock",)):
        code, _, err = run_cli(capsys, *argv)
        assert code == 2 and "knowme users add" in err, argv


def test_stores_share_nothing_but_the_database(service_env: str) -> None:
    """Two stores of one user (two processes behind a load balancer) see each other's writes at once; the audit
    log refuses deletes and rewrites of who/what/when in the database itself."""
    from datetime import UTC, datetime

    from knowme.models.governance import AuditEvent

    service = Service(service_env, KEK, dim=8)
    enrol(service, "gus")
    first, second = service.open_store("gus", dim=8), Service(service_env, KEK, dim=8).open_store("gus", dim=8)
    try:
        first.set_meta("k", "v1")
        assert second.get_meta("k") == "v1"
        second.append_audit(AuditEvent(datetime.now(UTC), "owner", "search", {"refs": ["a"]}))
        assert [e.action for e in first.audit_events()] == ["search"]
        with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
            first._x("DELETE FROM audit_events")
        with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
            first._x("UPDATE audit_events SET action = 'nothing'")
        assert first.redact_audit({"a": "forgotten:1"}) == 1
        assert second.audit_events()[0].detail == {"refs": ["forgotten:1"]}
    finally:
        first.close()
        second.close()


def test_a_lost_database_connection_is_a_clear_error(service_env: str) -> None:
    service = Service(service_env, KEK, dim=8)
    enrol(service, "hal")
    store = service.open_store("hal", dim=8)
    try:
        store.set_meta("k", "v")
        with psycopg.connect(service_env, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (store.conn.info.backend_pid,))
        with pytest.raises(StoreUnreachable, match="lost the service database"):
            store.get_meta("k")
    finally:
        store.close()
