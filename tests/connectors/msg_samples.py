"""Outlook ``.msg`` and Apple Mail ``.emlx`` files for the tests.

A ``.msg`` is a Compound File (CFB) of MAPI property streams, laid out as [MS-OXMSG] says: ``__substg1.0_XXXXYYYY``
streams for strings and binaries, a ``__properties_version1.0`` stream of fixed-size properties, a storage per
recipient and per attachment, and the named-property storage. No library writes ``.msg`` files, so this module
writes the property streams and ``pycfb`` (a CFB writer) packs them; ``extract-msg`` (the reader under test) reads
them like Outlook's.
"""

from __future__ import annotations

import struct
import uuid
from datetime import UTC, datetime
from pathlib import Path

# the CLSID Outlook gives a message's root storage
_MSG_CLSID = uuid.UUID("00020D0B-0000-0000-C000-000000000046")
_NAMEID = "__nameid_version1.0"


def _utf16(text: str) -> bytes:
    return text.encode("utf-16-le")


def _filetime(when: datetime) -> int:
    return int((when - datetime(1601, 1, 1, tzinfo=UTC)).total_seconds() * 10_000_000)


def _fixed(tag: int, value: bytes) -> bytes:
    """One 16-byte entry of a __properties_version1.0 stream: tag, flags (readable, writable), 8 value bytes."""
    return struct.pack("<II", tag, 0x6) + value.ljust(8, b"\x00")


def msg_bytes(
    *,
    subject: str,
    body: str,
    sender_name: str,
    sender_email: str,
    to: list[tuple[str, str]],
    sent: datetime,
    headers: str | None = None,
    message_id: str | None = None,
    in_reply_to: str | None = None,
    attachments: list[tuple[str, bytes, str]] = (),  # type: ignore[assignment]
) -> bytes:
    """A real Outlook message file (``IPM.Note``)."""
    from pycfb import CFBWriter

    streams: dict[str, bytes] = {
        "__substg1.0_001A001F": _utf16("IPM.Note"),
        "__substg1.0_0037001F": _utf16(subject),
        "__substg1.0_1000001F": _utf16(body),
        "__substg1.0_0C1A001F": _utf16(sender_name),
        "__substg1.0_0C1F001F": _utf16(sender_email),
        "__substg1.0_0C1E001F": _utf16("SMTP"),
        "__substg1.0_5D01001F": _utf16(sender_email),
        "__substg1.0_0E04001F": _utf16("; ".join(name for name, _ in to)),
        f"{_NAMEID}/__substg1.0_00020102": b"",
        f"{_NAMEID}/__substg1.0_00030102": b"",
        f"{_NAMEID}/__substg1.0_00040102": b"",
    }
    if headers is not None:
        streams["__substg1.0_007D001F"] = _utf16(headers)
    if message_id is not None:
        streams["__substg1.0_1035001F"] = _utf16(message_id)
    if in_reply_to is not None:
        streams["__substg1.0_1042001F"] = _utf16(in_reply_to)
    time = struct.pack("<Q", _filetime(sent))
    props = struct.pack("<8xIIII8x", len(to), len(attachments), len(to), len(attachments))
    props += _fixed(0x00390040, time) + _fixed(0x0E060040, time) + _fixed(0x0E070003, struct.pack("<I", 1))
    streams["__properties_version1.0"] = props
    for number, (name, address) in enumerate(to):
        folder = f"__recip_version1.0_#{number:08X}"
        streams[f"{folder}/__substg1.0_3001001F"] = _utf16(name)
        streams[f"{folder}/__substg1.0_3003001F"] = _utf16(address)
        streams[f"{folder}/__substg1.0_39FE001F"] = _utf16(address)
        streams[f"{folder}/__substg1.0_3002001F"] = _utf16("SMTP")
        streams[f"{folder}/__properties_version1.0"] = struct.pack("<8x") + _fixed(0x0C150003, struct.pack("<I", 1))
    for number, (filename, data, mimetype) in enumerate(attachments):
        folder = f"__attach_version1.0_#{number:08X}"
        streams[f"{folder}/__substg1.0_3707001F"] = _utf16(filename)
        streams[f"{folder}/__substg1.0_3704001F"] = _utf16(filename[:12])
        streams[f"{folder}/__substg1.0_3703001F"] = _utf16("." + filename.rsplit(".", 1)[-1])
        streams[f"{folder}/__substg1.0_370E001F"] = _utf16(mimetype)
        streams[f"{folder}/__substg1.0_37010102"] = data
        streams[f"{folder}/__properties_version1.0"] = (
            struct.pack("<8x")
            + _fixed(0x37050003, struct.pack("<I", 1))  # attached by value
            + _fixed(0x0E200003, struct.pack("<I", len(data)))
        )
    storages = sorted({path.rsplit("/", 1)[0] for path in streams if "/" in path})
    paths = storages + sorted(streams)
    data: list[bytes | None] = [None] * len(storages) + [streams[p] for p in sorted(streams)]
    writer = CFBWriter(paths, data, _MSG_CLSID)  # type: ignore[arg-type]
    return _end_empty_streams(bytearray(writer.data))


def _end_empty_streams(cfb: bytearray) -> bytes:
    """Give empty streams the ENDOFCHAIN start sector the CFB spec asks for (pycfb leaves 0, which readers refuse)."""
    sector = 512
    fat_sectors = [s for s in struct.unpack_from("<109I", cfb, 76) if s < 0xFFFFFFFA]
    fat: list[int] = []
    for number in fat_sectors:
        fat.extend(struct.unpack_from("<128I", cfb, (number + 1) * sector))
    current = struct.unpack_from("<I", cfb, 48)[0]
    while current < 0xFFFFFFFA:
        base = (current + 1) * sector
        for entry in range(base, base + sector, 128):
            kind, size = cfb[entry + 66], struct.unpack_from("<Q", cfb, entry + 120)[0]
            if kind == 2 and size == 0:
                struct.pack_into("<I", cfb, entry + 116, 0xFFFFFFFE)
        current = fat[current]
    return bytes(cfb)


def write_msg(path: Path, **kwargs: object) -> Path:
    path.write_bytes(msg_bytes(**kwargs))  # type: ignore[arg-type]
    return path


def write_emlx(path: Path, message: bytes, *, flags: int = 8590195713) -> Path:
    """Apple Mail's one-message file: the byte count, the RFC 5322 message, then a property list of flags."""
    plist = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" '
        '"http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n<plist version="1.0">\n<dict>\n'
        f"\t<key>flags</key>\n\t<integer>{flags}</integer>\n</dict>\n</plist>\n"
    )
    path.write_bytes(f"{len(message)}\n".encode() + message + plist.encode())
    return path
