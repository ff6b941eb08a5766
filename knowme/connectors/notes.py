"""The notes connector: a folder of Markdown notes (an Obsidian vault or any Markdown folder) or one note.

Reads every ``*.md`` / ``*.markdown`` file under the folder, recursively, in a stable (sorted) order. One note
is one record: ``ref`` is ``note:<path relative to the ingested folder>`` (posix slashes; for a single file,
its name), ``text`` is the body without front matter, and ``sections`` has one section per heading block,
anchored by the heading path (``Trip planning > Flights``; text before the first heading has anchor ``""``).

Edge cases handled:

- Hidden folders and files (``.obsidian``, ``.trash``, ``.git``, ``.foo.md``) are skipped; symlinked folders are
  followed once, so symlink loops and two links to the same folder do not repeat notes. Folders that cannot be
  listed and files that cannot be read are reported as problems; the rest continues.
- YAML front matter is read with python-frontmatter's YAML handler, and only when the file starts with ``---``
  (a ``---`` rule lower down is never mistaken for front matter). Malformed YAML, or front matter that is not a
  mapping, does not lose the note: the record keeps the whole file as its text and says what went wrong in
  ``meta["frontmatter_error"]``; no :class:`~knowme.models.ItemProblem` is yielded for it, because nothing was
  lost and the note is searchable.
- Front matter keys ``title``, ``tags``/``tag`` (list or comma/space separated string), ``aliases``/``alias``,
  ``date``/``created``/``updated`` go to ``meta`` (dates as ISO strings); the whole front matter is kept
  JSON-safe in ``meta["frontmatter"]``.
- ``[[wikilinks]]`` (with ``|alias``, ``#heading``, ``^block``, ``![[embeds]]``) give ``meta["links"]`` (targets);
  ``#tags`` (nested ``#a/b`` too; not in fenced code, inline code, headings, URLs or link targets; not pure
  numbers like ``#2024``) plus front matter tags give ``meta["tags"]``; ``[text](url)``, ``<url>`` and bare
  ``http(s)://`` URLs give ``meta["urls"]``. Everything inside code is ignored for all three.
- Headings are ATX headings (``# x`` .. ``###### x``) outside fenced code; setext headings (underlined with
  ``===``) are treated as text.
- ``title`` is the front matter title, else the first H1, else the file stem.
- ``timestamp``: a daily-note date in the file name (``2024-03-05``, ``2024_03_05``, ``2024.03.05``, ``20240305``,
  ``2024-03-05 Tuesday``, or nested ``2024/03/05.md``) at local midnight; else front matter ``date`` or
  ``created``; else the file's modification time. ``meta["date_source"]`` is ``filename``, ``frontmatter:date``,
  ``frontmatter:created`` or ``mtime``.
- A file that is not valid UTF-8 is decoded with replacement characters and ``meta["encoding_error"]`` says so;
  a UTF-8 BOM is dropped, UTF-16 with a BOM is decoded. CRLF line ends become LF. Empty notes are still records.
"""

from __future__ import annotations

import codecs
import math
import os
import re
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from dateutil import parser as date_parser
from frontmatter.default_handlers import YAMLHandler

from knowme.connectors.base import LIKELY, NO, SURE, Connector, Cursor, aware, local_tz
from knowme.errors import IngestError
from knowme.models import ItemProblem, Record, Section
from knowme.plugins import hookimpl

NOTE_SUFFIXES = (".md", ".markdown")
#: A "note" larger than this is almost certainly not a note (a dump, a log); it is reported, not read.
MAX_NOTE_BYTES = 16 * 1024 * 1024
#: How many directory entries :meth:`NotesConnector.sniff` looks at before giving up.
SNIFF_BUDGET = 5000
#: How many values of a front matter tree are converted to JSON (guards against YAML alias bombs).
FRONTMATTER_BUDGET = 10_000

_YAML = YAMLHandler()

_FENCE = re.compile(r"^\s*(`{3,}|~{3,})(.*)$")
_HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$")
_INLINE_CODE = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)")
_WIKILINK = re.compile(r"!?\[\[([^\[\]\n]+?)\]\]")
_MD_LINK = re.compile(
    r"(!?)\[(?:[^\[\]\n]|\[[^\[\]\n]*\])*\]\(\s*<?((?:[^()\s<>]|\([^()\s]*\))+)>?(?:\s+[\"'(][^\n]*?[\"')])?\s*\)"
)
_AUTOLINK = re.compile(r"<((?:https?|ftp|mailto):[^\s<>]+)>", re.IGNORECASE)
_BARE_URL = re.compile(r"(?<![\w(<\[/])https?://[^\s<>()\[\]\"'`]+", re.IGNORECASE)
_TAG = re.compile(r"(?<![^\s,;])#([\w/\-]+)")
_DAILY_NAME = re.compile(r"^((?:19|20)\d\d)([-_.]?)(\d\d)\2(\d\d)(?!\d)")


@dataclass(frozen=True)
class _Body:
    """What the Markdown body itself says: sections, the first H1, tags, wikilinks and URLs."""

    sections: tuple[Section, ...]
    first_h1: str | None
    tags: list[str]
    links: list[str]
    urls: list[str]


class NotesConnector(Connector):
    """Markdown notes: an Obsidian vault, any folder of ``.md`` files, or a single note."""

    name = "notes"
    kinds = ("note",)
    suffixes = NOTE_SUFFIXES
    reads_directories = True

    @classmethod
    def sniff(cls, path: Path) -> int:
        if not path.is_dir():
            return super().sniff(path)
        if (path / ".obsidian").is_dir() and _has_note(path):
            return SURE
        return LIKELY if _has_note(path) else NO

    def estimate(self) -> int | None:
        if self.path.is_file():
            return 1
        return sum(1 for item in _walk(self.path) if isinstance(item, Path)) if self.path.is_dir() else None

    def iter_records(self, cursor: Cursor | None = None) -> Iterator[Record | ItemProblem]:
        if self.path.is_file():
            yield self._read_note(self.path, self.path.name)
            return
        if not self.path.is_dir():
            raise IngestError(f"{self.path}: no such folder or Markdown file")
        for item in _walk(self.path):
            if isinstance(item, ItemProblem):
                yield item
                continue
            yield self._read_note(item, item.relative_to(self.path).as_posix())

    def _read_note(self, path: Path, rel: str) -> Record | ItemProblem:
        try:
            stat = path.stat()
            if stat.st_size > MAX_NOTE_BYTES:
                return self.problem(
                    rel, f"file is {stat.st_size} bytes, larger than the {MAX_NOTE_BYTES} a note may be"
                )
            raw = path.read_bytes()
        except OSError as exc:
            return self.problem(rel, exc)
        try:
            return self._note_record(raw, rel, stat.st_mtime)
        except Exception as exc:  # one unreadable note never stops the rest
            return self.problem(rel, exc)

    def _note_record(self, raw: bytes, rel: str, mtime: float) -> Record:
        text, encoding_error = _decode(raw)
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        fm, body, fm_error = _split_front_matter(text)
        parsed = _parse_body(body)
        stem = rel.rsplit("/", 1)[-1]
        stem = stem[: stem.rfind(".")] if "." in stem else stem

        meta: dict[str, Any] = {"path": rel}
        fm_title = fm.get("title")
        title = _scalar_text(fm_title) or parsed.first_h1 or stem
        timestamp, date_source = _note_timestamp(rel, fm, mtime)
        meta["tags"] = _unique(_front_matter_list(fm.get("tags", fm.get("tag"))) + parsed.tags, strip_hash=True)
        meta["links"] = parsed.links
        meta["urls"] = parsed.urls
        meta["aliases"] = _unique(_front_matter_list(fm.get("aliases", fm.get("alias"))))
        for key in ("date", "created", "updated"):
            if fm.get(key) not in (None, ""):
                meta[key] = _iso(fm[key])
        meta["date_source"] = date_source
        meta["frontmatter"] = _json_safe(fm, [FRONTMATTER_BUDGET])
        if fm_error:
            meta["frontmatter_error"] = fm_error
        if encoding_error:
            meta["encoding_error"] = encoding_error
        return Record(
            source=self.source,
            kind="note",
            native_id=rel,
            ref=f"note:{rel}",
            text=body,
            title=title,
            timestamp=timestamp,
            sections=parsed.sections,
            meta=meta,
        )


# --- walking ---------------------------------------------------------------------------------------------


def _is_note_name(name: str) -> bool:
    return not name.startswith(".") and name.lower().endswith(NOTE_SUFFIXES)


def _walk(root: Path) -> Iterator[Path | ItemProblem]:
    """Every note under ``root`` in sorted order; hidden folders skipped, each real folder visited once."""
    errors: list[OSError] = []
    seen: set[str] = set()
    for dirpath, dirnames, filenames in os.walk(root, followlinks=True, onerror=errors.append):
        while errors:
            exc = errors.pop(0)
            yield ItemProblem(where=str(exc.filename or dirpath), reason=f"cannot list folder: {exc.strerror or exc}")
        real = os.path.realpath(dirpath)
        if real in seen:  # a symlink back to a folder already walked
            dirnames[:] = []
            continue
        seen.add(real)
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if _is_note_name(name):
                yield Path(dirpath, name)
    for exc in errors:
        yield ItemProblem(where=str(exc.filename or root), reason=f"cannot list folder: {exc.strerror or exc}")


def _has_note(root: Path) -> bool:
    """Whether a note exists anywhere under ``root``, looking at no more than :data:`SNIFF_BUDGET` entries."""
    budget = SNIFF_BUDGET
    seen: set[str] = set()
    for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
        real = os.path.realpath(dirpath)
        if real in seen:
            dirnames[:] = []
            continue
        seen.add(real)
        if any(_is_note_name(name) for name in filenames):
            return True
        budget -= len(filenames) + len(dirnames) + 1
        if budget <= 0:
            return False
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
    return False


# --- decoding and front matter ---------------------------------------------------------------------------


def _decode(raw: bytes) -> tuple[str, str | None]:
    """The file's text and, when it was not valid UTF-8, a note saying what was replaced."""
    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8) :]
    elif raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return raw.decode("utf-16"), None
        except UnicodeDecodeError:
            pass
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        text = raw.decode("utf-8", errors="replace")
        replaced = text.count("\ufffd") - raw.decode("utf-8", errors="ignore").count("\ufffd")
        return text, (
            f"not valid UTF-8 (first bad byte at offset {exc.start}); {replaced} undecodable byte sequence(s) "
            "replaced with U+FFFD"
        )


def _split_front_matter(text: str) -> tuple[dict[Any, Any], str, str | None]:
    """``(front matter, body, error)``. On a front matter error the body is the whole file."""
    if not _YAML.detect(text):
        return {}, text.strip(), None
    try:
        fm_text, content = _YAML.split(text)
    except ValueError:  # an opening '---' with no closing one: a horizontal rule, not front matter
        return {}, text.strip(), None
    try:
        data = _YAML.load(fm_text)
    except Exception as exc:  # yaml.YAMLError, or ValueError for impossible dates like 2024-13-45
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        return {}, text.strip(), f"front matter is not valid YAML ({type(exc).__name__}: {first_line})"
    if data is None:
        data = {}
    if not isinstance(data, dict):
        return {}, text.strip(), f"front matter is a {type(data).__name__}, not a mapping of keys to values"
    return data, content.strip(), None


def _json_safe(value: Any, budget: list[int], depth: int = 0) -> Any:
    """``value`` as plain JSON data: dates as ISO strings, keys as strings, at most ``budget[0]`` values."""
    budget[0] -= 1
    if budget[0] < 0 or depth > 32:
        return None
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(_json_safe(k, budget, depth + 1)): _json_safe(v, budget, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v, budget, depth + 1) for v in value]
    if isinstance(value, set | frozenset):
        return sorted((_json_safe(v, budget, depth + 1) for v in value), key=str)
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)


def _scalar_text(value: Any) -> str:
    if value is None or isinstance(value, dict | list):
        return ""
    return _iso(value).strip()


def _iso(value: Any) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _front_matter_list(value: Any) -> list[str]:
    """A front matter list value (``tags: [a, b]``, ``tags: a, b``, ``tags: a b``) as strings."""
    if value is None:
        return []
    if isinstance(value, list | tuple | set):
        return [str(v).strip() for v in value if v is not None and str(v).strip()]
    text = str(value)
    parts = text.split(",") if "," in text else text.split()
    return [p.strip() for p in parts if p.strip()]


def _unique(values: list[str], *, strip_hash: bool = False) -> list[str]:
    out: list[str] = []
    for value in values:
        value = value.lstrip("#").strip() if strip_hash else value
        if value and value not in out:
            out.append(value)
    return out


# --- timestamps ------------------------------------------------------------------------------------------


def _note_timestamp(rel: str, fm: Mapping[Any, Any], mtime: float) -> tuple[datetime | None, str]:
    daily = _daily_date(rel)
    if daily is not None:
        return aware(daily), "filename"
    for key in ("date", "created"):
        when = _to_datetime(fm.get(key))
        if when is not None:
            return when, f"frontmatter:{key}"
    return datetime.fromtimestamp(mtime, tz=UTC).astimezone(local_tz()), "mtime"


def _daily_date(rel: str) -> date | None:
    """The date a daily note's file name (or its ``YYYY/MM/DD.md`` path) gives, if any."""
    parts = rel.split("/")
    name = parts[-1]
    stem = name[: name.rfind(".")] if "." in name else name
    match = _DAILY_NAME.match(stem)
    if match:
        return _safe_date(match.group(1), match.group(3), match.group(4))
    if len(parts) >= 3 and re.fullmatch(r"\d\d", stem):
        year, month = parts[-3], parts[-2]
        if re.fullmatch(r"(?:19|20)\d\d", year) and re.fullmatch(r"\d\d", month):
            return _safe_date(year, month, stem)
    return None


def _safe_date(year: str, month: str, day: str) -> date | None:
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        return None


def _to_datetime(value: Any) -> datetime | None:
    if isinstance(value, datetime | date):
        return aware(value)
    if not isinstance(value, str) or not value.strip():
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # dateutil warns about unknown zone names; the time is still usable
        try:
            return aware(date_parser.parse(value.strip()))
        except (ValueError, OverflowError):
            return None


# --- the Markdown body -----------------------------------------------------------------------------------


def _code_free_lines(lines: list[str]) -> list[tuple[str, bool]]:
    """Each line with whether it is inside a fenced code block (fence lines count as inside)."""
    out: list[tuple[str, bool]] = []
    fence: str | None = None
    for line in lines:
        match = _FENCE.match(line)
        if fence is None:
            if match and not (match.group(1)[0] == "`" and "`" in match.group(2)):
                fence = match.group(1)
                out.append((line, True))
            else:
                out.append((line, False))
            continue
        out.append((line, True))
        if match and match.group(1)[0] == fence[0] and len(match.group(1)) >= len(fence) and not match.group(2).strip():
            fence = None
    return out


def _clean_heading(text: str) -> str:
    text = _WIKILINK.sub(lambda m: _wikilink_label(m.group(1)), text)
    return text.strip()


def _wikilink_label(inner: str) -> str:
    target, _, alias = inner.partition("|")
    return (alias or target).strip()


def _parse_body(body: str) -> _Body:
    lines = _code_free_lines(body.split("\n"))
    sections: list[Section] = []
    path: list[tuple[int, str]] = []
    anchor = ""
    block: list[str] = []
    first_h1: str | None = None
    prose: list[str] = []

    def flush() -> None:
        text = "\n".join(block).strip()
        if text:
            sections.append(Section(anchor=anchor, text=text))

    for line, in_code in lines:
        heading = None if in_code else _HEADING.match(line)
        title = _clean_heading(heading.group(2)) if heading else ""
        if heading and title:
            flush()
            level = len(heading.group(1))
            while path and path[-1][0] >= level:
                path.pop()
            path.append((level, title))
            anchor = " > ".join(t for _, t in path)
            block = [line]
            if level == 1 and first_h1 is None:
                first_h1 = title
            # the heading's text (without its leading hashes) may hold #tags and [[links]], as in Obsidian
            prose.append(_INLINE_CODE.sub(" ", heading.group(2)))
            continue
        block.append(line)
        prose.append("" if in_code else _INLINE_CODE.sub(" ", line))
    flush()

    text = "\n".join(prose)
    links = _unique([_link_target(m.group(1)) for m in _WIKILINK.finditer(text)])
    urls: list[str] = []
    for match in _MD_LINK.finditer(text):
        if not match.group(1) and not match.group(2).startswith("#"):
            urls.append(match.group(2))
    urls.extend(m.group(1) for m in _AUTOLINK.finditer(text))
    bare_text = _AUTOLINK.sub(" ", _MD_LINK.sub(" ", text))
    urls.extend(m.group(0).rstrip(".,;:!?*_~") for m in _BARE_URL.finditer(bare_text))
    tag_text = _BARE_URL.sub(" ", _WIKILINK.sub(" ", bare_text))
    tags = [_clean_tag(m.group(1)) for m in _TAG.finditer(tag_text)]
    return _Body(
        sections=tuple(sections),
        first_h1=first_h1,
        tags=_unique([t for t in tags if t]),
        links=links,
        urls=_unique(urls),
    )


def _link_target(inner: str) -> str:
    target = inner.partition("|")[0].rstrip("\\")  # "[[a\|b]]" inside a table escapes the pipe
    target = re.split(r"[#^]", target, maxsplit=1)[0]
    return target.strip()


def _clean_tag(tag: str) -> str:
    tag = tag.strip("/-")
    return tag if re.search(r"[^\d/\-]", tag) else ""  # "#2024" or "#1/2" is a number, not a tag


@hookimpl
def register_connectors() -> list[type[Connector]]:
    return [NotesConnector]


__all__ = ["NotesConnector", "register_connectors"]
