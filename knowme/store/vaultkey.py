"""The passphrase of a personal vault, as ``vault.key``: changed in place (crash-safe, :mod:`knowme.store.rekey`),
kept in the OS keyring or taken out of it."""

from __future__ import annotations

from pathlib import Path

from knowme.errors import ConfigError
from knowme.store.keys import keyring_delete, keyring_get, keyring_set
from knowme.store.rekey import StepHook, change_passphrase, unlock_key
from knowme.store.sqlcipher import VAULT_FILE, SQLCipherStore


class VaultKey:
    """The key of the vault in ``home``: change the passphrase in place, keep it in the OS keyring or take it out."""

    def __init__(self, home: Path, store: object) -> None:
        self.home = home
        self.store = store

    def change(self, new_passphrase: str, *, on_step: StepHook | None = None) -> None:
        """Re-encrypt the vault under ``new_passphrase``, in place and safely if interrupted; updates the keyring
        entry if the vault has one. ``on_step(name)`` is told each step (``pending``, ``rekeyed``, ``committed``)."""
        if not isinstance(self.store, SQLCipherStore):
            raise ConfigError(f"the {type(self.store).__name__} store cannot change its key here")
        change_passphrase(self.home, self.store, new_passphrase, on_step=on_step)

    def lock(self) -> bool:
        """Remove the passphrase from the OS keyring (later opens need KNOWME_PASSPHRASE or a prompt)."""
        return keyring_delete(self.home)

    def unlock(self, passphrase: str) -> None:
        """Keep ``passphrase`` in the OS keyring, after checking that it opens this vault."""
        unlock_key(self.home, passphrase, self.home / VAULT_FILE)
        keyring_set(self.home, passphrase)

    @property
    def unlocked(self) -> bool:
        """Whether the OS keyring holds this vault's passphrase."""
        return keyring_get(self.home) is not None
