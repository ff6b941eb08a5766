"""Text decoding shared by the line-folded formats (iCalendar and vCard)."""

from __future__ import annotations

import re


def decode_folded(raw: bytes) -> str:
    """UTF-8 (BOM dropped); if a fold split a multi-byte character, UTF-8 after unfolding; else Windows-1252."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return re.sub(rb"\r?\n[ \t]", b"", raw).decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")
