"""The command line, in process through its one entry point, and once as a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from knowme.interfaces.cli import main
from tests.conftest import PASSPHRASE, MemoryKeyring
from tests.samples import write_life


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    captured = capsys.readouterr()
    code = exit_info.value.code
    return (code if isinstance(code, int) else 0), captured.out, captured.err


def test_init_ingest_search_ask_status(home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "init")
    assert code == 0 and "Created an encrypted vault" in out
    code, _, err = run(capsys, "init")
    assert code == 3 and "already exists" in err

    paths = write_life(tmp_path / "life")
    code, out, _ = run(capsys, "ingest", *map(str, paths.values()), "--json")
    report = json.loads(out)
    assert code == 0 and report["added"]["email"] == 2 and len(report["problems"]) == 1

    code, out, _ = run(capsys, "search", "Rua das Flores", "-k", "2", "--json")
    hits = json.loads(out)
    assert code == 0 and hits[0]["ref"] == "mail:porto-7@example.org" and len(hits) == 2

    code, out, _ = run(capsys, "search", "dentist", "--as-of", "2025-03-01", "--kind", "event", "--json")
    assert json.loads(out) == []

    code, out, _ = run(capsys, "ask", "What is the rent of the Porto flat?", "--backend", "extractive", "--json")
    answer = json.loads(out)
    assert code == 0 and "950" in answer["text"] and answer["citations"][0] == "mail:porto-7@example.org"

    code, out, _ = run(capsys, "ask", "What is the rent of the Porto flat?", "--backend", "extractive")
    assert "Sources: mail:porto-7@example.org" in out

    code, out, _ = run(capsys, "status", "--json")
    assert json.loads(out)["records"]["note"] == 2


def test_errors_are_one_line_with_meaningful_exit_codes(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, _, err = run(capsys, "search", "anything")
    assert code == 3 and "knowme init" in err and "Traceback" not in err
    run(capsys, "init")
    monkeypatch.setenv("KNOWME_PASSPHRASE", "wrong")
    code, _, err = run(capsys, "status")
    assert code == 4 and "wrong passphrase" in err and len(err.strip().splitlines()) == 1
    monkeypatch.setenv("KNOWME_PASSPHRASE", PASSPHRASE)
    code, out, _ = run(capsys, "ingest", str(tmp_path / "nothing-here.mbox"))
    assert code == 1 and "no such file" in out
    code, _, err = run(capsys, "ask", "hi", "--backend", "nope")
    assert code == 2 and "unknown chat backend 'nope' (llm.backend)" in err
    (home / "config.toml").write_text("[llm]\nbackend = 'embedded'\nbakend = 'typo'\n", encoding="utf-8")
    code, _, err = run(capsys, "status")
    assert code == 2 and "bakend" in err


def test_the_installed_command_runs(home: Path) -> None:
    exe = Path(sys.executable).with_name("knowme")
    env = {**os.environ, "KNOWME_HOME": str(home), "KNOWME_PASSPHRASE": PASSPHRASE}
    proc = subprocess.run([str(exe), "--help"], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0 and "ingest" in proc.stdout and "ask" in proc.stdout
    proc = subprocess.run([str(exe), "status"], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 3 and proc.stderr.strip().startswith("error:")


def test_passphrase_from_the_keyring(
    home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, memory_keyring: MemoryKeyring
) -> None:
    code, _, _ = run(capsys, "init", "--keyring")
    assert code == 0
    assert memory_keyring.passwords == {("knowme", str(home.resolve())): PASSPHRASE}
    monkeypatch.delenv("KNOWME_PASSPHRASE")
    code, out, err = run(capsys, "status", "--json")
    assert code == 0, err
    assert json.loads(out)["records"] == {}
    memory_keyring.passwords.clear()
    code, _, err = run(capsys, "status")
    assert code == 4 and "KNOWME_PASSPHRASE" in err
