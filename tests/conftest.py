"""Shared fixtures: a temporary KNOWME_HOME with a passphrase, and a fresh vault that is closed afterwards."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import knowme

PASSPHRASE = "correct horse battery staple"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "knowme-home"
    monkeypatch.setenv("KNOWME_HOME", str(folder))
    monkeypatch.setenv("KNOWME_PASSPHRASE", PASSPHRASE)
    monkeypatch.setenv("CI", "true")  # never prompt
    return folder


@pytest.fixture
def vault(home: Path) -> Iterator[knowme.Vault]:
    v = knowme.open(home, PASSPHRASE)
    try:
        yield v
    finally:
        v.close()
