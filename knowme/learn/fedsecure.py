"""Who may take part in a federation, and what a stranger on the network gets: the enrolment secret and TLS.

The adapter the devices train is a function of the person's private writing, and every device stores what the
aggregator sends. So neither the weights nor an update may be open to whoever reaches the port:

- **An enrolment secret** (``KNOWME_FEDERATION_SECRET``; ``knowme learn federate serve`` makes one and prints it
  once when none is set) is shared by the aggregator and the person's devices. Every tensor crossing the wire is
  sealed with AES-256-GCM under a key derived from it (HKDF-SHA256), bound to its direction and round: a device
  without the secret receives only ciphertext, and an update it sends (or one replayed from another round) fails
  authentication and is refused before it is averaged, stored or recorded.
- **TLS** (Flower's gRPC with ``--tls-cert`` / ``--tls-key`` on the aggregator and ``--ca-cert`` on the devices)
  hides the rest of the messages (round numbers, metric names, record counts). An address that is not loopback is
  refused without it, on both sides (:func:`check_address`).

Edge cases: a wrong or missing secret is a LearnError on the device; the aggregator refuses a round whose first
adapter came from a device without the secret. Not covered: a device holding the secret is trusted (it can send a
poisoned update; ``--clip`` bounds it), and a stranger can still connect and take a device's place in a round
(the round then misses one update).
"""

from __future__ import annotations

import io
import ipaddress
import os
import secrets
from collections.abc import Sequence
from typing import Any

from knowme.errors import LearnError

SALT = b"knowme-federation-v1"
NONCE = 12


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def is_loopback(host: str) -> bool:
    name = host.strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def split_address(address: str) -> str:
    """The host part of ``HOST:PORT`` (``[::1]:9092`` too)."""
    host, _, _ = address.rpartition(":")
    return host or address


def check_address(host: str, *, tls: bool) -> None:
    """Refuse a federation beyond this machine without TLS."""
    if not tls and not is_loopback(host):
        raise LearnError(
            f"{host} is not this machine: a federation over the network needs TLS (serve: --tls-cert and --tls-key; "
            "join: --ca-cert), or run it on 127.0.0.1 through a tunnel"
        )


class Sealer:
    """Seals and opens the adapter tensors of one federation (see the module docstring)."""

    def __init__(self, secret: str) -> None:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.kdf.hkdf import HKDF

        if len(secret.strip()) < 16:
            raise LearnError("the federation secret is too short (at least 16 characters; serve makes one)")
        kdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=SALT, info=b"adapter tensors")
        self._key = kdf.derive(secret.strip().encode("utf-8"))

    def __repr__(self) -> str:  # never the key
        return "Sealer()"

    def seal(self, arrays: Sequence[Any], label: str) -> list[Any]:
        import numpy as np
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        aead = AESGCM(self._key)
        out = []
        for n, array in enumerate(arrays):
            buffer = io.BytesIO()
            np.save(buffer, np.asarray(array), allow_pickle=False)
            nonce = os.urandom(NONCE)
            sealed = nonce + aead.encrypt(nonce, buffer.getvalue(), f"{label}/{n}/{len(arrays)}".encode())
            out.append(np.frombuffer(sealed, dtype=np.uint8))
        return out

    def open(self, arrays: Sequence[Any], label: str) -> list[Any]:
        import numpy as np
        from cryptography.exceptions import InvalidTag
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        aead = AESGCM(self._key)
        out = []
        for n, array in enumerate(arrays):
            raw = np.asarray(array)
            if raw.dtype != np.uint8 or raw.ndim != 1 or raw.size <= NONCE:
                raise LearnError("a tensor arrived unsealed: the sender does not hold this federation's secret")
            data = raw.tobytes()
            try:
                plain = aead.decrypt(data[:NONCE], data[NONCE:], f"{label}/{n}/{len(arrays)}".encode())
            except InvalidTag:
                raise LearnError(
                    "a tensor does not open with this federation's secret (a wrong secret, or not this round's)"
                ) from None
            out.append(np.load(io.BytesIO(plain), allow_pickle=False))
        return out
