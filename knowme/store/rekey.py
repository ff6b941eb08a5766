"""Changing the vault passphrase in place, safely if the process dies half-way.

The protocol (:func:`change_passphrase`):

1. derive the new key with a fresh salt and write its parameters to ``vault.key.pending.json`` (atomically; the
   current ``vault.key.json`` is untouched and still opens the vault);
2. re-encrypt every page under the new key in one SQLCipher transaction (``PRAGMA rekey``), then checkpoint the
   write-ahead log into the file so the change is on disk;
3. move the pending file over ``vault.key.json`` (an atomic rename);
4. update the OS keyring entry, if the vault has one.

A crash before step 2 commits leaves the vault under the old key; a crash between 2 and 3 leaves it under the new
key with the new parameters in the pending file. :func:`unlock_key`, which :func:`knowme.open` uses, finds out which
key opens the file and finishes or discards the change; the user's passphrase decides which one they can use (a
wrong one for the vault's actual state is a clear error that says which to use). No passphrase or key ever appears
in a message, a log or a file.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlcipher3 import dbapi2 as sqlite

from knowme.errors import PassphraseMissing, WrongPassphrase
from knowme.store.keys import KEY_FILE, derive_key, keyring_get, keyring_set, new_key_doc, write_key_doc

PENDING_KEY_FILE = "vault.key.pending.json"

#: ``on_step(name)`` is called after each step: ``pending``, ``rekeyed``, ``committed``.
StepHook = Callable[[str], None]


class SQLCipherRekey:
    """The re-keying half of :class:`~knowme.store.sqlcipher.SQLCipherStore` (mixed in; uses its connection)."""

    _conn: Any

    if TYPE_CHECKING:  # provided by SQLCipherStore
        import threading

        _lock: threading.RLock

    def rekey(self, new_key: bytes) -> None:
        """Re-encrypt every page under ``new_key`` in one transaction and write it through to the file."""
        if len(new_key) != 32:
            raise ValueError("a vault key is 32 bytes")
        with self._lock:
            self._conn.execute(f"PRAGMA rekey = \"x'{new_key.hex()}'\"")
            self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def key_opens(db: Path, key: bytes) -> bool:
    """Whether ``key`` decrypts the vault file ``db`` (read-only probe)."""
    conn = sqlite.connect(f"file:{db}?mode=ro", uri=True)
    try:
        conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return True
    except sqlite.DatabaseError:
        return False
    finally:
        conn.close()


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def change_passphrase(
    home: Path, store: SQLCipherRekey, new_passphrase: str, *, on_step: StepHook | None = None
) -> None:
    """Re-key the open vault in ``home`` under ``new_passphrase`` (see the module docstring for the protocol)."""
    if not new_passphrase:
        raise PassphraseMissing("an empty passphrase cannot protect a vault; choose a real one")
    step = on_step or (lambda _name: None)
    key, doc = new_key_doc(new_passphrase)
    write_key_doc(home / PENDING_KEY_FILE, doc)
    _fsync_dir(home)
    step("pending")
    store.rekey(key)
    step("rekeyed")
    os.replace(home / PENDING_KEY_FILE, home / KEY_FILE)
    _fsync_dir(home)
    step("committed")
    if keyring_get(home) is not None:
        keyring_set(home, new_passphrase)


def unlock_key(home: Path, passphrase: str, db: Path) -> bytes:
    """The vault key for ``passphrase``, finishing or discarding a passphrase change that was interrupted."""
    pending = home / PENDING_KEY_FILE
    if not pending.exists():
        return derive_key(home, passphrase)
    matches: dict[str, bytes] = {}
    for name in (KEY_FILE, PENDING_KEY_FILE):
        try:
            matches[name] = derive_key(home, passphrase, key_file=name)
        except WrongPassphrase:
            continue
    if not matches:
        raise WrongPassphrase(f"wrong passphrase for the vault in {home} (a passphrase change was interrupted)")
    for name, key in matches.items():
        if not db.exists() or key_opens(db, key):
            if name == PENDING_KEY_FILE:  # the re-key committed: finish the change
                os.replace(pending, home / KEY_FILE)
            else:  # the re-key never committed: the old passphrase stays
                pending.unlink()
            _fsync_dir(home)
            return key
    if PENDING_KEY_FILE in matches:
        raise WrongPassphrase(
            "a passphrase change was interrupted before the vault was re-encrypted, so the new passphrase does not "
            "open it: use the old passphrase (then change it again)"
        )
    raise WrongPassphrase(
        "a passphrase change was interrupted after the vault was re-encrypted: open it with the new passphrase "
        "to finish the change"
    )
