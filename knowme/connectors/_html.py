"""HTML to clean plain text, for email bodies and any other connector that meets HTML.

BeautifulSoup (stdlib ``html.parser``, which repairs broken markup) parses; this module only decides how the
tree reads as text. Dropped: ``<script>``, ``<style>``, ``<head>``, comments, ``<template>``/``<svg>`` and elements
hidden with ``display:none``/``hidden`` (the invisible "preheader" of newsletters). Kept readable: links become
``text (url)`` (just ``text`` when the text already is the address), ``<br>`` and block elements become line
breaks, list items ``- item``, table cells on one line separated by ``|``, and ``<blockquote>`` lines are prefixed
with ``> `` so reply quotes look like plain-text quotes. A Gmail signature block gets the ``-- `` delimiter.

html2text was not used because it writes Markdown escapes (``1\\.``, ``\\-``) into the text.
"""

from __future__ import annotations

import re
import warnings

from bs4 import BeautifulSoup, Comment, Declaration, Doctype, NavigableString, ProcessingInstruction, Tag

__all__ = ["html_to_text"]

_SKIP = frozenset(
    {"script", "style", "head", "title", "meta", "link", "noscript", "template", "svg", "object", "iframe", "base"}
)
_PARAGRAPH = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "dl", "table", "pre", "figure"})
_BLOCK = frozenset(
    {
        "div",
        "section",
        "article",
        "header",
        "footer",
        "main",
        "aside",
        "nav",
        "address",
        "center",
        "form",
        "fieldset",
        "dt",
        "dd",
        "figcaption",
        "tr",
        "caption",
        "hr",
    }
)
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_NON_TEXT = (Comment, Declaration, Doctype, ProcessingInstruction)


def _hidden(tag: Tag) -> bool:
    style = tag.get("style")
    return tag.has_attr("hidden") or (isinstance(style, str) and bool(_HIDDEN_STYLE.search(style)))


def _link(tag: Tag, text: str) -> str:
    href = tag.get("href")
    href = href.strip() if isinstance(href, str) else ""
    if href.lower().startswith("mailto:"):
        href = href[7:].split("?", 1)[0]
    if not href or href.startswith("#") or href.lower().startswith(("javascript:", "cid:", "data:")):
        return text
    if not text.strip():
        return href
    bare = re.sub(r"^[a-z][a-z0-9+.-]*://", "", href, flags=re.IGNORECASE).rstrip("/")
    if bare and bare.lower() in text.lower():
        return text
    return f"{text} ({href})"


def _quote(text: str) -> str:
    return "\n".join(f"> {line}" if line.strip() else ">" for line in _tidy(text).split("\n"))


def _break(out: list[str], count: int) -> None:
    """End the text so far with at least ``count`` line breaks (block edges do not add up)."""
    have = 0
    for piece in reversed(out):
        piece = piece.rstrip(" ")
        if not piece:
            continue
        body = piece.rstrip("\n")
        have += len(piece) - len(body)
        if body:
            break
    if have < count:
        out.append("\n" * (count - have))


def _render(node: Tag, out: list[str]) -> None:
    for child in node.children:
        if isinstance(child, _NON_TEXT):
            continue
        if isinstance(child, NavigableString):
            out.append(re.sub(r"\s+", " ", str(child)))
            continue
        if not isinstance(child, Tag) or child.name in _SKIP or _hidden(child):
            continue
        name = child.name
        if name == "br":
            out.append("\n")
        elif name == "pre":
            _break(out, 2)
            out.append(child.get_text())
            _break(out, 2)
        elif name == "a":
            inner: list[str] = []
            _render(child, inner)
            out.append(_link(child, "".join(inner)))
        elif name == "blockquote":
            inner = []
            _render(child, inner)
            _break(out, 2)
            out.append(_quote("".join(inner)))
            _break(out, 2)
        elif name == "li":
            _break(out, 1)
            out.append("- ")
            _render(child, out)
            _break(out, 1)
        elif name in ("td", "th"):
            _render(child, out)
            out.append(" | ")
        else:
            classes = child.get("class")
            if isinstance(classes, list) and "gmail_signature" in classes and not "".join(out).rstrip().endswith("--"):
                _break(out, 2)
                out.append("-- \n")
            breaks = 2 if name in _PARAGRAPH else 1 if name in _BLOCK else 0
            _break(out, breaks)
            _render(child, out)
            _break(out, breaks)


def _tidy(text: str) -> str:
    lines = []
    for line in text.replace("\xa0", " ").split("\n"):
        line = re.sub(r"[ \t]+", " ", line).strip()
        line = re.sub(r"(?:\s*\|)+$", "", line)  # the separator after a row's last cell
        lines.append("" if line == "|" else line)
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def html_to_text(html: str) -> str:
    """Readable plain text of an HTML document or fragment (never raises on broken markup)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # bs4 warns when markup looks like a file name or URL, or like XML
        soup = BeautifulSoup(html, "html.parser")
    out: list[str] = []
    try:
        _render(soup, out)
        text = "".join(out)
    except RecursionError:  # absurdly deep nesting: fall back to the flat text
        text = soup.get_text("\n")
    return _tidy(text)
