"""The demo end to end: generate, ingest into a fresh encrypted vault, answer with the right sources."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

from knowme.interfaces.cli.demo import run_demo
from knowme.store.sqlcipher import VAULT_FILE


def test_demo_answers_from_the_right_sources(tmp_path: Path) -> None:
    buffer = io.StringIO()
    console = Console(file=buffer, width=120)
    found = run_demo(home=tmp_path / "demo", backend="extractive", fresh=True, console=console)
    output = buffer.getvalue()
    assert found >= 7, output
    assert "Ingest report" in output and "People you hear from most" in output
    assert "could not be read" not in output  # the sample life is clean
    raw = (tmp_path / "demo" / VAULT_FILE).read_bytes()
    assert b"Sofia" not in raw and b"Porto" not in raw
    # running it again starts fresh instead of piling up
    again = run_demo(home=tmp_path / "demo", backend="extractive", fresh=True, console=Console(file=io.StringIO()))
    assert again == found


def test_demo_never_prints_the_users_passphrase(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A user who exported KNOWME_PASSPHRASE for a real vault must not see it in the terminal or a CI log."""
    import knowme

    secret = "correct horse battery staple 8c1f"
    monkeypatch.setenv("KNOWME_PASSPHRASE", secret)
    buffer = io.StringIO()
    run_demo(home=tmp_path / "demo", backend="extractive", fresh=True, console=Console(file=buffer, width=200))
    output = buffer.getvalue()
    assert secret not in output and secret[:12] not in output
    assert "KNOWME_PASSPHRASE" in output  # it says which passphrase opens the demo vault, by name only
    with knowme.open(tmp_path / "demo", secret) as vault:
        assert vault.store.counts()
