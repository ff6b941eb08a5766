"""Per-tenant data keys for the service store: envelope encryption with AES-256-GCM, and keyed blind indexes.

The operator holds one *key-encryption key* (KEK): 32 bytes given base64 or hex in ``KNOWME_KEK``, or in the file
named by ``KNOWME_KEK_FILE``. It never reaches the database. Each tenant gets a random 32-byte data key; the database
keeps it only wrapped (AES-GCM under the KEK, with the tenant's name as associated data, so a wrapped key copied to
another tenant's row does not unwrap). From the data key two subkeys are derived with HKDF-SHA256:

* the *content key* seals every free-text value (``nonce || ciphertext+tag``; the column's label is associated
  data, so a value moved to another column fails to open);
* the *index key* makes blind indexes: HMAC-SHA256 of a value, truncated to 16 bytes, so the store can look up an
  exact value (a ref, an alias, a source name) without storing it in clear. Equal values give equal indexes within
  one tenant (that much a dump reveals), never across tenants.

Edge cases: a wrong KEK makes the unwrap fail, which is :class:`~knowme.errors.WrongPassphrase` (never a garbled
key); a KEK that is not 32 bytes is a :class:`~knowme.errors.ConfigError`; no key or token is ever put in a message.
Destroying the wrapped key (``knowme users remove``) makes every sealed value of the tenant unreadable at once.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import hmac
import secrets
from collections.abc import Mapping
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from knowme.config import environment
from knowme.errors import ConfigError, PassphraseMissing, VaultCorrupt, WrongPassphrase

KEY_BYTES = 32
NONCE_BYTES = 12
BLIND_BYTES = 16
_WRAP_LABEL = b"knowme tenant data key v1:"


def _decode_key(text: str, where: str) -> bytes:
    text = text.strip()
    candidates: list[bytes] = []
    if len(text) == 2 * KEY_BYTES:
        with contextlib.suppress(ValueError):
            candidates.append(bytes.fromhex(text))
    with contextlib.suppress(binascii.Error, ValueError):
        candidates.append(base64.b64decode(text, validate=True))
    for key in candidates:
        if len(key) == KEY_BYTES:
            return key
    raise ConfigError(f"{where} must hold 32 random bytes, as 64 hex digits or base64 (e.g. `openssl rand -hex 32`)")


def load_kek(environ: Mapping[str, str] | None = None) -> bytes:
    """The operator's key-encryption key from ``KNOWME_KEK`` or ``KNOWME_KEK_FILE``."""
    env = environment().as_environ() if environ is None else environ
    if env.get("KNOWME_KEK"):
        return _decode_key(env["KNOWME_KEK"], "KNOWME_KEK")
    path = env.get("KNOWME_KEK_FILE")
    if path:
        try:
            text = Path(path).expanduser().read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"KNOWME_KEK_FILE: cannot read {path} ({type(exc).__name__})") from None
        return _decode_key(text, "KNOWME_KEK_FILE")
    raise PassphraseMissing(
        "the service store needs the operator's key-encryption key: set KNOWME_KEK (or KNOWME_KEK_FILE) "
        "to 32 random bytes in hex or base64"
    )


def new_data_key() -> bytes:
    return secrets.token_bytes(KEY_BYTES)


def wrap_key(kek: bytes, tenant: str, data_key: bytes) -> bytes:
    nonce = secrets.token_bytes(NONCE_BYTES)
    return nonce + AESGCM(kek).encrypt(nonce, data_key, _WRAP_LABEL + tenant.encode("utf-8"))


def unwrap_key(kek: bytes, tenant: str, wrapped: bytes) -> bytes:
    try:
        return AESGCM(kek).decrypt(wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], _WRAP_LABEL + tenant.encode("utf-8"))
    except InvalidTag:
        raise WrongPassphrase(
            f"the key-encryption key does not unlock the data of user {tenant!r} (wrong KNOWME_KEK?)"
        ) from None


def app_role_password(kek: bytes) -> str:
    """The database password of the service's unprivileged role, derived from the KEK (nothing else to keep)."""
    return hmac.new(kek, b"knowme app role password v1", hashlib.sha256).hexdigest()


class TenantCipher:
    """Seals and opens one tenant's values and makes its blind indexes."""

    def __init__(self, data_key: bytes) -> None:
        if len(data_key) != KEY_BYTES:
            raise ValueError("a data key is 32 bytes")
        material = HKDF(algorithm=hashes.SHA256(), length=2 * KEY_BYTES, salt=None, info=b"knowme tenant v1").derive(
            data_key
        )
        self._aead = AESGCM(material[:KEY_BYTES])
        self._index_key = material[KEY_BYTES:]

    def seal(self, value: str | None, label: str) -> bytes | None:
        if value is None:
            return None
        nonce = secrets.token_bytes(NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, value.encode("utf-8"), label.encode("ascii"))

    def open(self, blob: bytes | memoryview | None, label: str) -> str | None:
        if blob is None:
            return None
        data = bytes(blob)
        try:
            return self._aead.decrypt(data[:NONCE_BYTES], data[NONCE_BYTES:], label.encode("ascii")).decode("utf-8")
        except InvalidTag:
            raise VaultCorrupt(f"a sealed {label} value does not open with this user's key (damaged row)") from None

    def seal_bytes(self, value: bytes, label: str) -> bytes:
        """:meth:`seal` for binary values (learned adapters)."""
        nonce = secrets.token_bytes(NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, bytes(value), label.encode("ascii"))

    def open_bytes(self, blob: bytes | memoryview, label: str) -> bytes:
        data = bytes(blob)
        try:
            return self._aead.decrypt(data[:NONCE_BYTES], data[NONCE_BYTES:], label.encode("ascii"))
        except InvalidTag:
            raise VaultCorrupt(f"a sealed {label} value does not open with this user's key (damaged row)") from None

    def text(self, blob: bytes | memoryview | None, label: str) -> str:
        """:meth:`open` for a column that is never NULL."""
        value = self.open(blob, label)
        return "" if value is None else value

    def blind(self, value: str | None) -> bytes | None:
        if value is None:
            return None
        return hmac.new(self._index_key, value.encode("utf-8"), hashlib.sha256).digest()[:BLIND_BYTES]
