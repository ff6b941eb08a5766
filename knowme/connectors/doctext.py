"""The text of a document file: PDF, Word ``.docx``, OpenDocument ``.odt``, EPUB, HTML and plain text.

One function, :func:`extract_document`, reads a file (a path, or the bytes of a mail attachment) into an
:class:`Extracted`: title, author, dates from the document's own metadata, and its text as sections whose anchors
are pages (``p. 3``, with the PDF outline's heading when it has one: ``p. 3 · Rent and deposit``, else a line set
in larger type), headings
(``Terms > Deposit`` in Word and OpenDocument) or chapters (EPUB). :func:`sniff_format` tells the format from the
first bytes, so a PDF without its suffix is still a PDF and a ``.pdf`` that holds HTML is not read as one.

Libraries: ``pypdf`` for PDF (text layer, metadata, outline; an owner-password-only PDF opens with the empty
password), ``python-docx`` for Word; OpenDocument and EPUB are zip files of XML read with the standard library
(``zipfile``, ``xml.etree``), HTML goes through :func:`knowme.connectors._html.html_to_text`.

Bounds: PDF pages are read one at a time and their text only is kept; at most :data:`MAX_PAGES` pages and
:data:`MAX_CHARS` characters of text are kept per document (the rest is cut and :attr:`Extracted.notes` says
so). Pages with no text layer (a scan) are read by OCR when an :class:`~knowme.connectors.ocr.OcrPolicy` allows it.

Errors: a file that cannot be read at all raises :class:`~knowme.errors.ParseError` with a reason a person can act
on (encrypted, damaged, empty, not what its name says); what is lost inside a readable file (a damaged page, pages
left to OCR) is listed in :attr:`Extracted.notes` and the rest is kept.
"""

from __future__ import annotations

import codecs
import io
import logging
import re
import warnings
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any
from xml.etree import ElementTree

from dateutil import parser as date_parser

from knowme.connectors._html import html_to_text
from knowme.connectors.base import aware
from knowme.connectors.ocr import OcrPolicy, OcrUnavailable, ocr_image
from knowme.errors import ParseError
from knowme.models import Section

__all__ = [
    "DOCUMENT_SUFFIXES",
    "MAX_CHARS",
    "MAX_PAGES",
    "Extracted",
    "extract_document",
    "format_for_name",
    "sniff_format",
]

#: Pages of one PDF read at most; the rest is cut (and said so).
MAX_PAGES = 2000
#: Characters of text kept per document at most.
MAX_CHARS = 4_000_000

DOCUMENT_SUFFIXES: dict[str, str] = {
    ".pdf": "pdf",
    ".docx": "docx",
    ".docm": "docx",
    ".odt": "odt",
    ".epub": "epub",
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".txt": "text",
    ".text": "text",
}
_MIMETYPES = {
    b"application/vnd.oasis.opendocument.text": "odt",
    b"application/epub+zip": "epub",
}
_HTML_START = re.compile(rb"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body)[\s>]", re.IGNORECASE | re.DOTALL)


@dataclass
class Extracted:
    """What a document file says: its metadata and its text, cut into anchored sections."""

    format: str
    title: str = ""
    author: str | None = None
    created: datetime | None = None
    modified: datetime | None = None
    sections: list[Section] = field(default_factory=list)
    pages: int | None = None
    ocr_pages: int = 0
    notes: list[str] = field(default_factory=list)  # what could not be read, said plainly

    @property
    def text(self) -> str:
        return "\n\n".join(s.text for s in self.sections if s.text)


def format_for_name(name: str) -> str | None:
    lower = name.lower()
    return next((fmt for suffix, fmt in DOCUMENT_SUFFIXES.items() if lower.endswith(suffix)), None)


def sniff_format(head: bytes, name: str = "") -> str | None:
    """The document format of a file starting with ``head`` (its first 4 KiB or more), or None.

    Magic bytes decide (``%PDF-``, a zip holding ``word/document.xml`` or an OpenDocument/EPUB ``mimetype``, an
    HTML start tag); plain text is only recognised by a ``.txt``/``.text`` name and the absence of NUL bytes.
    """
    if head.startswith(b"PK\x03\x04"):  # a zip first: one holding a stored PDF has %PDF- in its first KiB too
        if head[30:38] == b"mimetype":  # OpenDocument and EPUB store their type first, uncompressed
            for mimetype, fmt in _MIMETYPES.items():
                if mimetype in head[38:120]:
                    return fmt
            return None
        first = head[30 : 30 + int.from_bytes(head[26:28], "little")]  # the first member's name
        office = first == b"[Content_Types].xml" or first.startswith((b"_rels/", b"docProps/", b"word/"))
        if office and (b"word/" in head or format_for_name(name) == "docx"):
            return None if name.lower().endswith((".xlsx", ".pptx", ".xlsm", ".pptm")) else "docx"
        return None
    if b"%PDF-" in head[:1024]:  # readers accept up to a KiB of junk before the header
        return "pdf"
    stripped = head.lstrip(codecs.BOM_UTF8)
    if _HTML_START.match(stripped):
        return "html"
    if format_for_name(name) == "text" and b"\x00" not in head[:4096]:
        return "text"
    return None


def extract_document(
    source: Path | bytes,
    fmt: str,
    *,
    ocr: OcrPolicy | None = None,
    max_chars: int = MAX_CHARS,
) -> Extracted:
    """Read ``source`` (a path or the file's bytes) as ``fmt`` (see :func:`sniff_format`)."""
    readers = {"pdf": _pdf, "docx": _docx, "odt": _odt, "epub": _epub, "html": _html, "text": _text}
    if fmt not in readers:
        raise ParseError(f"not a document format knowme reads: {fmt}")
    size = len(source) if isinstance(source, bytes) else source.stat().st_size
    if size == 0:
        raise ParseError("the file is empty")
    with warnings.catch_warnings(), _quiet("pypdf"):
        warnings.simplefilter("ignore")  # pypdf and friends warn about every repaired object; notes say what matters
        with _open(source) as handle:
            doc = _pdf(handle, ocr=ocr, max_chars=max_chars) if fmt == "pdf" else readers[fmt](handle)  # type: ignore[operator]
    _cut(doc, max_chars)
    if not doc.title:
        doc.title = next((s.anchor.split(" > ")[0] for s in doc.sections if s.anchor and fmt != "pdf"), "")
    return doc


@contextmanager
def _quiet(name: str) -> Iterator[None]:
    """Keep a library's log warnings about repaired files off the console while it reads one."""
    logger = logging.getLogger(name)
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def _open(source: Path | bytes) -> IO[bytes]:
    return io.BytesIO(source) if isinstance(source, bytes) else source.open("rb")


def _cut(doc: Extracted, max_chars: int) -> None:
    total = 0
    for index, section in enumerate(doc.sections):
        total += len(section.text)
        if total > max_chars:
            keep = len(section.text) - (total - max_chars)
            doc.sections[index:] = [Section(section.anchor, section.text[:keep])] if keep > 0 else []
            doc.notes.append(f"text cut at {max_chars:,} characters")
            return


def _date(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return aware(value)
    if not value:
        return None
    text = str(value).strip()
    if text.startswith("D:"):  # a raw PDF date pypdf could not parse
        match = re.match(r"D:(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?", text)
        if not match:
            return None
        parts = [int(p) if p else d for p, d in zip(match.groups(), (0, 1, 1, 0, 0, 0), strict=True)]
        try:
            return aware(datetime(*parts))  # type: ignore[arg-type, misc]
        except ValueError:
            return None
    try:
        return aware(date_parser.isoparse(text))
    except (ValueError, OverflowError):
        try:
            return aware(date_parser.parse(text))
        except (ValueError, OverflowError):
            return None


def _clean(text: str) -> str:
    text = text.replace("\x00", "").replace("\r\n", "\n").replace("\r", "\n").replace("\xa0", " ")
    text = re.sub(r"[ \t]+\n", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


# --------------------------------------------------------------------------------------------------------------
# PDF


def _pdf(handle: IO[bytes], *, ocr: OcrPolicy | None, max_chars: int) -> Extracted:
    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError, PdfReadError

    try:
        reader = PdfReader(handle, strict=False)
        if reader.is_encrypted and not _decrypt_empty(reader):
            raise ParseError(
                "the PDF is encrypted with a password; open it, save a copy without the password and ingest that"
            )
        count = len(reader.pages)
    except ParseError:
        raise
    except (FileNotDecryptedError, NotImplementedError) as exc:
        raise ParseError(f"the PDF is encrypted in a way knowme cannot open ({exc})") from exc
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError, OSError) as exc:
        raise ParseError(f"the PDF is damaged or truncated and cannot be read ({type(exc).__name__}: {exc})") from exc
    except RecursionError as exc:
        raise ParseError("the PDF is damaged (its object tree loops)") from exc
    doc = Extracted(format="pdf", pages=count)
    _pdf_metadata(reader, doc)
    headings = _pdf_outline(reader)
    heading = ""
    scanned: list[int] = []
    unread: list[int] = []
    total = 0
    for number in range(1, min(count, MAX_PAGES) + 1):
        fragments: list[tuple[float, str]] = []
        try:
            page = reader.pages[number - 1]
            text = _clean(page.extract_text(visitor_text=None if headings else _collect(fragments)) or "")
        except Exception as exc:  # one damaged page (a broken content stream or font) never loses the others
            doc.notes.append(f"page {number} could not be read ({type(exc).__name__})")
            continue
        heading = headings.get(number, heading) if headings else (_large_line(fragments) or heading)
        anchor = f"p. {number}" + (f" · {heading}" if heading else "")
        if not text:
            scanned.append(number)
            text = _ocr_page(page, number, ocr, doc, scanned_so_far=len(scanned))
            if not text:
                unread.append(number)
        if text:
            doc.sections.append(Section(anchor, text))
            total += len(text)
        if total > max_chars:
            break
    if count > MAX_PAGES:
        doc.notes.append(f"only the first {MAX_PAGES:,} of {count:,} pages were read")
    if unread:
        doc.notes.append(f"{_pages(unread)} no text layer (a scan?) and {_ocr_reason(ocr, len(scanned))}")
    return doc


def _collect(fragments: list[tuple[float, str]]) -> Any:
    """A pypdf text visitor keeping each text run with its rendered size (font size times the text and page scale)."""

    def visit(text: str, cm: Any, tm: Any, font: Any, size: Any) -> None:
        try:
            scale = abs(float(tm[3]) * float(cm[3])) or 1.0
            fragments.append((float(size or 0) * scale, text))
        except (TypeError, ValueError, IndexError):
            return

    return visit


def _large_line(fragments: list[tuple[float, str]]) -> str:
    """A heading on a page without an outline: the first short run set at least 1.3 times the page's usual size."""
    sizes = [size for size, text in fragments for _ in range(len(text.strip())) if size > 0]
    if len(sizes) < 40:
        return ""
    sizes.sort()
    usual = sizes[len(sizes) // 2]
    for size, text in fragments:
        line = " ".join(text.split())
        if size >= usual * 1.3 and 3 <= len(line) <= 100 and any(ch.isalpha() for ch in line):
            return line
    return ""


def _decrypt_empty(reader: Any) -> bool:
    try:
        return bool(reader.decrypt(""))
    except Exception:
        return False


def _pdf_metadata(reader: Any, doc: Extracted) -> None:
    try:
        info = reader.metadata
    except Exception:
        info = None
    if not info:
        return
    for attr, target in (("title", "title"), ("author", "author")):
        try:
            value = getattr(info, attr)
        except Exception:
            value = None
        if value and str(value).strip():
            setattr(doc, target, _clean(str(value)))
    for attr, raw_key, target in (
        ("creation_date", "/CreationDate", "created"),
        ("modification_date", "/ModDate", "modified"),
    ):
        try:
            value = getattr(info, attr)
        except Exception:  # a malformed date string: try it by hand
            value = info.get(raw_key)
        setattr(doc, target, _date(value))


def _pdf_outline(reader: Any) -> dict[int, str]:
    """Page number → the top-level or second-level outline heading that starts on it."""
    found: dict[int, str] = {}

    def walk(items: Any, depth: int) -> None:
        for item in items:
            if isinstance(item, list):
                if depth < 2:
                    walk(item, depth + 1)
                continue
            try:
                number = reader.get_destination_page_number(item) + 1
                title = _clean(str(item.title))
            except Exception:
                continue
            if number > 0 and title:
                found.setdefault(number, title)

    try:
        walk(reader.outline, 0)
    except Exception:  # a broken outline costs the headings, not the text
        return {}
    return found


def _ocr_page(page: Any, number: int, ocr: OcrPolicy | None, doc: Extracted, *, scanned_so_far: int) -> str:
    if ocr is None or not ocr.enabled or scanned_so_far > ocr.max_pages:
        return ""
    try:
        images = sorted(page.images, key=lambda image: len(image.data), reverse=True)
    except Exception as exc:
        doc.notes.append(f"page {number}: its images could not be read for OCR ({type(exc).__name__})")
        return ""
    if not images:
        return ""
    try:
        text = _clean(ocr_image(images[0].data, languages=ocr.languages, timeout=ocr.timeout, command=ocr.command))
    except OcrUnavailable as exc:
        if str(exc) not in doc.notes:
            doc.notes.append(str(exc))
        return ""
    except Exception as exc:
        doc.notes.append(f"page {number}: OCR failed ({type(exc).__name__}: {exc})")
        return ""
    if text:
        doc.ocr_pages += 1
    return text


def _pages(numbers: list[int]) -> str:
    if len(numbers) == 1:
        return f"page {numbers[0]} has"
    if numbers == list(range(numbers[0], numbers[-1] + 1)):
        return f"pages {numbers[0]}-{numbers[-1]} have"
    return f"{len(numbers)} pages have"


def _ocr_reason(ocr: OcrPolicy | None, scanned: int) -> str:
    if ocr is None:
        return "OCR is off"
    if not ocr.enabled:
        return ocr.off_reason
    if scanned > ocr.max_pages:
        return (
            f"OCR is limited to {ocr.max_pages} pages per document ([documents] ocr_max_pages in config.toml); "
            "those pages were not read"
        )
    return "OCR found no text on them"


# --------------------------------------------------------------------------------------------------------------
# Word (.docx)

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _docx(handle: IO[bytes]) -> Extracted:
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(handle)
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError, ElementTree.ParseError) as exc:
        raise ParseError(f"the Word file is damaged or truncated and cannot be read ({type(exc).__name__})") from exc
    except Exception as exc:  # lxml's XMLSyntaxError and other damage inside the package
        raise ParseError(f"the Word file cannot be read ({type(exc).__name__}: {exc})") from exc
    doc = Extracted(format="docx")
    props = document.core_properties
    doc.title = _clean(props.title or "")
    doc.author = _clean(props.author or "") or None
    doc.created = _date(props.created)
    doc.modified = _date(props.modified)
    styles = {}
    for style in document.styles:
        try:
            styles[style.style_id] = style.name or ""
        except Exception:
            continue
    blocks: list[tuple[int, str]] = []  # (heading level or 0, text)
    for element in document.element.body.iterchildren():
        tag = element.tag
        if tag == f"{_W}p":
            text = _docx_text(element)
            style_id = element.find(f"{_W}pPr/{_W}pStyle")
            name = styles.get(style_id.get(f"{_W}val"), "") if style_id is not None else ""
            blocks.append((_heading_level(name), text))
        elif tag == f"{_W}tbl":
            for row in element.iter(f"{_W}tr"):
                cells = [_docx_text(cell) for cell in row.iter(f"{_W}tc")]
                blocks.append((0, " | ".join(c for c in cells if c)))
    doc.sections = _sections_by_heading(blocks)
    return doc


def _docx_text(element: Any) -> str:
    parts: list[str] = []
    for node in element.iter():
        if node.tag == f"{_W}t" and node.text:
            parts.append(node.text)
        elif node.tag == f"{_W}tab":
            parts.append("\t")
        elif node.tag in (f"{_W}br", f"{_W}cr") or (node.tag == f"{_W}p" and parts and node is not element):
            parts.append("\n")
    return _clean("".join(parts))


def _heading_level(style_name: str) -> int:
    lower = style_name.lower()
    if lower == "title":
        return 1
    match = re.match(r"heading\s*(\d)", lower)
    return int(match.group(1)) if match else 0


def _sections_by_heading(blocks: list[tuple[int, str]]) -> list[Section]:
    """Blocks of (level, text) as sections anchored by their heading path (``Terms > Deposit``)."""
    sections: list[Section] = []
    path: list[tuple[int, str]] = []
    body: list[str] = []

    def flush() -> None:
        text = _clean("\n\n".join(b for b in body if b))
        anchor = " > ".join(title for _, title in path)
        if text or (anchor and not sections):
            sections.append(Section(anchor, text or anchor))
        body.clear()

    for level, text in blocks:
        if level and text:
            flush()
            while path and path[-1][0] >= level:
                path.pop()
            path.append((level, text.replace("\n", " ")))
        else:
            body.append(text)
    flush()
    return [s for s in sections if s.text]


# --------------------------------------------------------------------------------------------------------------
# OpenDocument (.odt) and EPUB: zip files of XML

_ODF_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
_ODF_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_ODF_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
_ODF_META = "urn:oasis:names:tc:opendocument:xmlns:meta:1.0"
_DC = "http://purl.org/dc/elements/1.1/"


def _zip(handle: IO[bytes], what: str) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(handle)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ParseError(f"the {what} file is damaged or truncated (not a readable zip: {exc})") from exc


def _xml(archive: zipfile.ZipFile, member: str, what: str) -> ElementTree.Element:
    try:
        info = archive.getinfo(member)
        if info.file_size > 256 * 1024 * 1024:
            raise ParseError(f"the {what} file's {member} is over 256 MiB")
        return ElementTree.fromstring(archive.read(member))
    except KeyError as exc:
        raise ParseError(f"the {what} file has no {member}") from exc
    except (ElementTree.ParseError, zipfile.BadZipFile, OSError, EOFError) as exc:  # zlib.error is an Exception too
        raise ParseError(f"the {what} file is damaged ({member}: {exc})") from exc
    except Exception as exc:
        if isinstance(exc, ParseError):
            raise
        raise ParseError(f"the {what} file is damaged ({member}: {type(exc).__name__})") from exc


def _odt(handle: IO[bytes]) -> Extracted:
    with _zip(handle, "OpenDocument") as archive:
        content = _xml(archive, "content.xml", "OpenDocument")
        try:
            meta = _xml(archive, "meta.xml", "OpenDocument")
        except ParseError:
            meta = None
    doc = Extracted(format="odt")
    if meta is not None:
        doc.title = _clean(meta.findtext(f".//{{{_DC}}}title") or "")
        doc.author = (
            _clean(meta.findtext(f".//{{{_DC}}}creator") or meta.findtext(f".//{{{_ODF_META}}}initial-creator") or "")
            or None
        )
        doc.created = _date(meta.findtext(f".//{{{_ODF_META}}}creation-date"))
        doc.modified = _date(meta.findtext(f".//{{{_DC}}}date"))
    body = content.find(f"{{{_ODF_OFFICE}}}body/{{{_ODF_OFFICE}}}text")
    if body is None:
        raise ParseError("the OpenDocument file has no text body (a spreadsheet or drawing?)")
    doc.sections = _sections_by_heading(list(_odf_blocks(body)))
    return doc


def _odf_blocks(element: ElementTree.Element) -> Iterator[tuple[int, str]]:
    for child in element:
        if child.tag == f"{{{_ODF_TEXT}}}h":
            level = int(child.get(f"{{{_ODF_TEXT}}}outline-level", "1") or 1)
            yield max(level, 1), _clean(_odf_text(child))
        elif child.tag == f"{{{_ODF_TEXT}}}p":
            yield 0, _clean(_odf_text(child))
        elif child.tag == f"{{{_ODF_TABLE}}}table-row":
            cells = [_clean(_odf_text(cell)) for cell in child if cell.tag == f"{{{_ODF_TABLE}}}table-cell"]
            yield 0, " | ".join(c for c in cells if c)
        else:  # lists, sections, tables, frames: their paragraphs in order
            yield from _odf_blocks(child)


def _odf_text(element: ElementTree.Element) -> str:
    parts = [element.text or ""]
    for child in element:
        if child.tag == f"{{{_ODF_TEXT}}}s":
            parts.append(" " * int(child.get(f"{{{_ODF_TEXT}}}c", "1") or 1))
        elif child.tag == f"{{{_ODF_TEXT}}}tab":
            parts.append("\t")
        elif child.tag == f"{{{_ODF_TEXT}}}line-break":
            parts.append("\n")
        elif child.tag != f"{{{_ODF_OFFICE}}}annotation":
            parts.append(_odf_text(child))
        parts.append(child.tail or "")
    return "".join(parts)


_OPF = "http://www.idpf.org/2007/opf"
_CONTAINER = "urn:oasis:names:tc:opendocument:xmlns:container"


def _epub(handle: IO[bytes]) -> Extracted:
    doc = Extracted(format="epub")
    with _zip(handle, "EPUB") as archive:
        container = _xml(archive, "META-INF/container.xml", "EPUB")
        rootfile = container.find(f".//{{{_CONTAINER}}}rootfile")
        opf_path = rootfile.get("full-path") if rootfile is not None else None
        if not opf_path:
            raise ParseError("the EPUB file names no package document (META-INF/container.xml)")
        opf = _xml(archive, opf_path, "EPUB")
        doc.title = _clean(opf.findtext(f".//{{{_DC}}}title") or "")
        doc.author = _clean(opf.findtext(f".//{{{_DC}}}creator") or "") or None
        doc.created = _date(opf.findtext(f".//{{{_DC}}}date"))
        base = opf_path.rsplit("/", 1)[0] + "/" if "/" in opf_path else ""
        items = {item.get("id"): item.get("href") for item in opf.iter(f"{{{_OPF}}}item")}
        for number, ref in enumerate(opf.iter(f"{{{_OPF}}}itemref"), start=1):
            href = items.get(ref.get("idref"))
            if not href:
                continue
            try:
                raw = archive.read(base + href)
            except (KeyError, zipfile.BadZipFile, OSError, EOFError) as exc:
                doc.notes.append(f"chapter {number} ({href}) could not be read ({type(exc).__name__})")
                continue
            except Exception as exc:
                doc.notes.append(f"chapter {number} ({href}) could not be read ({type(exc).__name__})")
                continue
            html = raw.decode("utf-8", errors="replace")
            text = _clean(html_to_text(html))
            if text:
                heading = _first_heading(html) or f"chapter {number}"
                doc.sections.append(Section(heading, text))
    return doc


def _first_heading(html: str) -> str:
    match = re.search(r"<h[1-3][^>]*>(.*?)</h[1-3]>", html, re.IGNORECASE | re.DOTALL)
    if not match:
        return ""
    return _clean(re.sub(r"<[^>]+>", "", match.group(1))).replace("\n", " ")[:120]


# --------------------------------------------------------------------------------------------------------------
# HTML and plain text


def _decode(raw: bytes) -> str:
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError:
            pass
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def _html(handle: IO[bytes]) -> Extracted:
    html = _decode(handle.read())
    doc = Extracted(format="html")
    title = re.search(r"<title[^>]*>(.*?)</title>", html, re.IGNORECASE | re.DOTALL)
    doc.title = _clean(re.sub(r"<[^>]+>", "", title.group(1))).replace("\n", " ") if title else ""
    author = re.search(r"<meta\s+name=[\"']author[\"']\s+content=[\"']([^\"']*)", html, re.IGNORECASE)
    doc.author = _clean(author.group(1)) or None if author else None
    text = _clean(html_to_text(html))
    if text:
        doc.sections.append(Section("", text))
    return doc


def _text(handle: IO[bytes]) -> Extracted:
    text = _clean(_decode(handle.read()))
    doc = Extracted(format="text")
    if text:
        doc.sections.append(Section("", text))
    return doc
