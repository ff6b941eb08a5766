"""Vault keys: a passphrase stretched with Argon2id, or a passphrase kept in the OS keyring.

The salt and the Argon2id parameters live beside the vault in ``vault.key.json`` (no secret in it). The file also
holds a *verifier*: a keyed BLAKE2b digest of a fixed label under the derived key, so a wrong passphrase is told
apart from a damaged vault without trying to decrypt it. The verifier reveals nothing an attacker could not learn by
trying keys against the vault itself, and the Argon2id cost protects both.

Where the passphrase comes from, in order: the caller, ``KNOWME_PASSPHRASE``, the OS keyring
(service ``knowme``, user = the vault folder), an interactive prompt when a terminal is attached.
"""

from __future__ import annotations

import base64
import getpass
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from argon2.low_level import Type, hash_secret_raw

from knowme.config import environment, interactive
from knowme.errors import PassphraseMissing, VaultCorrupt, WrongPassphrase

KEY_FILE = "vault.key.json"
KEYRING_SERVICE = "knowme"
_VERIFIER_LABEL = b"knowme vault key check v1"


@dataclass(frozen=True)
class KdfParams:
    salt: bytes
    time_cost: int = 3
    memory_cost: int = 64 * 1024  # KiB: 64 MiB
    parallelism: int = 2

    def derive(self, passphrase: str) -> bytes:
        return hash_secret_raw(
            passphrase.encode("utf-8"),
            self.salt,
            time_cost=self.time_cost,
            memory_cost=self.memory_cost,
            parallelism=self.parallelism,
            hash_len=32,
            type=Type.ID,
        )


def _verifier(key: bytes) -> str:
    return hashlib.blake2b(_VERIFIER_LABEL, key=key, digest_size=16).hexdigest()


def new_key_doc(passphrase: str) -> tuple[bytes, dict[str, object]]:
    """A fresh salt and the key it derives from ``passphrase``, with the key-file document (no secret in it)."""
    if not passphrase:
        raise PassphraseMissing("an empty passphrase cannot protect a vault; choose a real one")
    params = KdfParams(salt=secrets.token_bytes(16))
    key = params.derive(passphrase)
    doc: dict[str, object] = {
        "format": 1,
        "kdf": "argon2id",
        "salt": base64.b64encode(params.salt).decode(),
        "time_cost": params.time_cost,
        "memory_cost": params.memory_cost,
        "parallelism": params.parallelism,
        "verifier": _verifier(key),
    }
    return key, doc


def write_key_doc(path: Path, doc: dict[str, object]) -> None:
    """Write a key-file document atomically (temporary file, fsync, rename), readable by the owner only."""
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        fh.write(json.dumps(doc, indent=2) + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def create_key_file(home: Path, passphrase: str) -> bytes:
    """Make a fresh salt, derive the key, write ``vault.key.json`` and return the raw key."""
    key, doc = new_key_doc(passphrase)
    write_key_doc(home / KEY_FILE, doc)
    return key


def derive_key(home: Path, passphrase: str, *, key_file: str = KEY_FILE) -> bytes:
    """Derive the vault key from ``passphrase`` with the stored parameters; check it against the verifier."""
    path = home / key_file
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        params = KdfParams(
            salt=base64.b64decode(doc["salt"]),
            time_cost=int(doc["time_cost"]),
            memory_cost=int(doc["memory_cost"]),
            parallelism=int(doc["parallelism"]),
        )
        verifier = str(doc["verifier"])
    except FileNotFoundError as exc:
        raise VaultCorrupt(f"{path} is missing: the vault's key parameters are gone, so it cannot be opened") from exc
    except (ValueError, KeyError, TypeError) as exc:
        raise VaultCorrupt(f"{path} is damaged ({exc}); restore it from a backup") from exc
    key = params.derive(passphrase)
    if not hmac.compare_digest(_verifier(key), verifier):
        raise WrongPassphrase(
            f"wrong passphrase for the vault in {home}. Check KNOWME_PASSPHRASE or the keyring entry "
            f"(service '{KEYRING_SERVICE}')."
        )
    return key


def keyring_get(home: Path) -> str | None:
    """The passphrase stored in the OS keyring for this vault, or None (also when no keyring is usable)."""
    try:
        import keyring
        from keyring.errors import KeyringError

        try:
            return keyring.get_password(KEYRING_SERVICE, str(home.resolve()))
        except (KeyringError, RuntimeError):
            return None
    except ImportError:  # pragma: no cover - keyring is a dependency
        return None


def keyring_set(home: Path, passphrase: str) -> None:
    import keyring

    keyring.set_password(KEYRING_SERVICE, str(home.resolve()), passphrase)


def keyring_delete(home: Path) -> bool:
    """Remove this vault's passphrase from the OS keyring; False if there was none."""
    import keyring
    from keyring.errors import PasswordDeleteError

    if keyring_get(home) is None:
        return False
    try:
        keyring.delete_password(KEYRING_SERVICE, str(home.resolve()))
    except PasswordDeleteError:
        return False
    return True


def resolve_passphrase(home: Path, passphrase: str | None, *, creating: bool) -> str:
    """Find the passphrase: argument, ``KNOWME_PASSPHRASE``, OS keyring, then a prompt on a terminal."""
    if passphrase:
        return passphrase
    env = environment().passphrase
    if env:
        return env
    stored = keyring_get(home)
    if stored:
        return stored
    if interactive():
        first = getpass.getpass("Vault passphrase: ")
        if creating:
            again = getpass.getpass("Repeat passphrase: ")
            if first != again:
                raise PassphraseMissing("the two passphrases differ; nothing was created")
        if first:
            return first
    raise PassphraseMissing(
        "no passphrase: set KNOWME_PASSPHRASE, store one in the OS keyring (knowme init --keyring), "
        "or run knowme in a terminal to be asked"
    )
