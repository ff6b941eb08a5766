"""Passphrase encryption of an export file: Argon2id for the key, AES-256-GCM for the bytes.

Layout (documented in docs/export-format.md)::

    KNOWME-ENCRYPTED-EXPORT\\n          magic line
    {"version": 1, "kdf": "argon2id", ...}\\n   header: KDF parameters, salt and nonce (base64); no secret
    <ciphertext with the 16-byte GCM tag at the end>

The key is Argon2id(passphrase, salt; time_cost=3, memory_cost=64 MiB, parallelism=2, 32 bytes) from
``argon2-cffi``; the cipher is AES-256-GCM from ``cryptography`` with a random 96-bit nonce, and the magic line plus
the header are the associated data, so a changed header fails authentication like changed ciphertext. A wrong
passphrase and a damaged file give the same clear error (GCM cannot tell them apart).
"""

from __future__ import annotations

import base64
import json
import secrets

from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from knowme.errors import PassphraseMissing, WrongPassphrase

MAGIC = b"KNOWME-ENCRYPTED-EXPORT\n"


def is_encrypted(head: bytes) -> bool:
    return head.startswith(MAGIC)


def _key(passphrase: str, salt: bytes, time_cost: int, memory_cost: int, parallelism: int) -> bytes:
    return hash_secret_raw(
        passphrase.encode("utf-8"),
        salt,
        time_cost=time_cost,
        memory_cost=memory_cost,
        parallelism=parallelism,
        hash_len=32,
        type=Type.ID,
    )


def encrypt(data: bytes, passphrase: str) -> bytes:
    if not passphrase:
        raise PassphraseMissing("an encrypted export needs a passphrase")
    salt, nonce = secrets.token_bytes(16), secrets.token_bytes(12)
    header = {
        "version": 1,
        "kdf": "argon2id",
        "time_cost": 3,
        "memory_cost": 64 * 1024,
        "parallelism": 2,
        "salt": base64.b64encode(salt).decode(),
        "cipher": "AES-256-GCM",
        "nonce": base64.b64encode(nonce).decode(),
    }
    head = MAGIC + json.dumps(header, sort_keys=True).encode() + b"\n"
    key = _key(passphrase, salt, header["time_cost"], header["memory_cost"], header["parallelism"])  # type: ignore[arg-type]
    return head + AESGCM(key).encrypt(nonce, data, head)


def decrypt(blob: bytes, passphrase: str) -> bytes:
    if not is_encrypted(blob):
        raise WrongPassphrase("this file is not an encrypted knowme export")
    end = blob.index(b"\n", len(MAGIC))
    head, body = blob[: end + 1], blob[end + 1 :]
    try:
        header = json.loads(head[len(MAGIC) :])
        if header.get("version") != 1 or header.get("kdf") != "argon2id" or header.get("cipher") != "AES-256-GCM":
            raise ValueError("unknown encryption version")
        key = _key(
            passphrase,
            base64.b64decode(header["salt"]),
            int(header["time_cost"]),
            int(header["memory_cost"]),
            int(header["parallelism"]),
        )
        return AESGCM(key).decrypt(base64.b64decode(header["nonce"]), body, head)
    except InvalidTag as exc:
        raise WrongPassphrase("wrong passphrase for this export, or the file is damaged") from exc
    except (ValueError, KeyError, TypeError) as exc:
        raise WrongPassphrase(f"this encrypted export has a damaged header ({exc})") from exc
