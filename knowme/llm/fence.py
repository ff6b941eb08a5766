"""Untrusted text inside a prompt's data fence (``<knowme-context>``, ``<item>``): escaped so it cannot close it.

Passages from the vault hold other people's words (an email, a web page, a calendar invite). A prompt fences them
between tags and tells the model they are data; an email that contains ``</knowme-context>`` would step out of the
fence and speak as the prompt. :func:`escape_data` folds compatibility forms first (NFKC: a fullwidth ``＜`` is
``<``), drops zero-width and bidirectional control characters (which hide or reorder what a reader sees), then
escapes ``&``, ``<`` and ``>`` as in HTML, so no tag of any name survives inside the fence.
"""

from __future__ import annotations

import re
import unicodedata

# zero-width characters, bidirectional embeddings, overrides and isolates, the word joiner and the BOM
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")


def escape_data(text: str) -> str:
    """``text`` made safe to put between fence tags: no markup, no invisible or reordering characters."""
    folded = _INVISIBLE.sub("", unicodedata.normalize("NFKC", text))
    return folded.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def fenced(tag: str, text: str) -> str:
    """``text``, escaped, between ``<tag>`` and ``</tag>``."""
    return f"<{tag}>\n{escape_data(text)}\n</{tag}>"
