"""Shared fixtures: a temporary KNOWME_HOME with a passphrase, and a fresh vault that is closed afterwards."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend

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


class MemoryKeyring(KeyringBackend):
    """A keyring backend that keeps passwords in memory (keyring's own plugin interface): the OS keyring is a
    service this machine does not run, so tests plug this one in through keyring's real API."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.passwords: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.passwords.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.passwords[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.passwords.pop((service, username), None)


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    store = MemoryKeyring()
    keyring.set_keyring(store)
    try:
        yield store
    finally:
        keyring.set_keyring(previous)
