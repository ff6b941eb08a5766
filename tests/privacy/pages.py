"""Read the real pages of a SQLCipher 4 vault and its write-ahead log, decrypted with the raw key.

This is an independent reader (AES-256-CBC per page from ``cryptography``; SQLCipher 4 defaults: 4096-byte pages,
80 reserved bytes = 16-byte IV + 64-byte HMAC-SHA512; page 1 starts with the 16-byte salt), so a test can look for
forgotten text in every byte SQLite could still read back, including free pages and stale log frames. The build of
SQLCipher in ``sqlcipher3`` has no ``sqlite_dbpage``, hence this reader.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

PAGE = 4096
RESERVE = 80
SALT = 16
WAL_HEADER = 32
FRAME_HEADER = 24


def decrypt_page(key: bytes, raw: bytes, *, first: bool) -> bytes:
    start = SALT if first else 0
    iv = raw[PAGE - RESERVE : PAGE - RESERVE + 16]
    decryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
    return decryptor.update(raw[start : PAGE - RESERVE]) + decryptor.finalize()


def vault_pages(key: bytes, path: Path) -> Iterator[bytes]:
    data = path.read_bytes()
    for number in range(len(data) // PAGE):
        yield decrypt_page(key, data[number * PAGE : (number + 1) * PAGE], first=number == 0)


def wal_pages(key: bytes, path: Path) -> Iterator[bytes]:
    if not path.exists():
        return
    data = path.read_bytes()
    offset = WAL_HEADER
    while offset + FRAME_HEADER + PAGE <= len(data):
        page_number = int.from_bytes(data[offset : offset + 4], "big")
        yield decrypt_page(key, data[offset + FRAME_HEADER : offset + FRAME_HEADER + PAGE], first=page_number == 1)
        offset += FRAME_HEADER + PAGE


def all_pages(key: bytes, db: Path) -> list[bytes]:
    """Every decrypted page of ``db`` and of its ``-wal`` file."""
    return [*vault_pages(key, db), *wal_pages(key, Path(str(db) + "-wal"))]


def traces(key: bytes, db: Path, *needles: bytes) -> dict[bytes, int]:
    """How many decrypted pages hold each needle (case-sensitive bytes)."""
    pages = all_pages(key, db)
    return {needle: sum(needle in page for page in pages) for needle in needles}
