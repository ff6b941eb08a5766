"""Realistic RFC 5322 messages and Maildir folders for the source tests and benchmarks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path


def message(n: int, *, subject: str | None = None, body: str | None = None) -> bytes:
    when = datetime(2025, 3, 1, 9, 0, tzinfo=UTC) + timedelta(minutes=17 * n)
    return (
        f"From: Lena Vogel <lena@example.org>\r\n"
        f"To: Sam Carter <sam@example.net>\r\n"
        f"Subject: {subject or f'Project note {n}'}\r\n"
        f"Date: {format_datetime(when)}\r\n"
        f"Message-ID: <note-{n}@example.org>\r\n"
        f"Content-Type: text/plain; charset=utf-8\r\n\r\n"
        f"{body or f'Hello Sam, this is update number {n} about the greenhouse budget.'}\r\n"
    ).encode()


def make_maildir(root: Path, count: int = 0) -> Path:
    for sub in ("cur", "new", "tmp"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    for n in range(count):
        (root / "cur" / f"1700000000.{n}.host:2,S").write_bytes(message(n))
    return root


def deliver(root: Path, name: str, raw: bytes) -> Path:
    """Deliver like an MTA: write in tmp/, then rename into new/ (so a watcher never sees half a message)."""
    tmp = root / "tmp" / name
    tmp.write_bytes(raw)
    final = root / "new" / name
    tmp.rename(final)
    return final
