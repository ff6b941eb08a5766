"""Small format helpers for the demo writers: a tiny PDF, mbox From_ lines, vCard text escaping and folding.

Everything here is byte-deterministic. The PDF is a valid one-page PDF 1.4 with a correct xref table (so
PDF readers open it), but its text is ASCII only: other characters are folded to their ASCII base letter.
vCard lines are folded at 75 octets without splitting a UTF-8 sequence (RFC 6350 section 3.2).
"""

from __future__ import annotations

import time
import unicodedata
from datetime import UTC, datetime


def ascii_fold(text: str) -> str:
    """``"Núñez"`` -> ``"Nunez"``; characters with no ASCII base are dropped."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def tiny_pdf(title: str, lines: list[str]) -> bytes:
    """A one-page PDF showing ``title`` and ``lines`` in Helvetica."""

    def esc(s: str) -> str:
        return ascii_fold(s).replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    ops = ["BT", "/F1 16 Tf", "56 780 Td", f"({esc(title)}) Tj", "/F1 11 Tf", "0 -28 Td"]
    for line in lines:
        ops += [f"({esc(line)}) Tj", "0 -16 Td"]
    ops.append("ET")
    stream = "\n".join(ops).encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def mbox_from_line(address: str, when: datetime) -> str:
    """The ``From sender asctime`` separator line mailbox.mbox writes before each message (UTC)."""
    return f"From {address} {time.asctime(when.astimezone(UTC).timetuple())}"


def vcard_escape(value: str) -> str:
    """Escape a vCard text value (backslash, comma, semicolon, newline)."""
    return value.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;").replace("\n", "\\n")


def vcard_fold(line: str) -> str:
    """Fold one content line at 75 octets, continuation lines starting with a space; CRLF-terminated."""
    data = line.encode("utf-8")
    if len(data) <= 75:
        return line + "\r\n"
    parts: list[str] = []
    chunk = ""
    size = 0
    limit = 75
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            parts.append(chunk)
            chunk, size, limit = "", 0, 74  # continuation lines spend one octet on the leading space
        chunk += char
        size += width
    parts.append(chunk)
    return "\r\n ".join(parts) + "\r\n"
