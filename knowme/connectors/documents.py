"""The documents connector: PDF, Word, OpenDocument, EPUB, HTML and plain-text files (a lease, a CV, a ticket...).

One file is one ``document`` record. ``ref`` is ``doc:<path relative to the ingested folder>`` (the file's name when
the file itself was ingested); the text is cut into sections whose anchors are the pages (``p. 3``, with the PDF
outline's heading: ``p. 3 · Deposit``), the headings (``Terms > Deposit``) or the chapters, so a search hit names
where in the document it is. ``title``, ``author`` and the dates come from the document's own metadata (PDF Info,
Word core properties, OpenDocument ``meta.xml``, EPUB's package), else the first heading, else the file's name;
``timestamp`` is the creation date, else the modification date, else the file's modification time
(``meta["date_source"]`` says which).

Detection sniffs the first bytes (see :func:`knowme.connectors.doctext.sniff_format`): ``%PDF-`` anywhere in the
first KiB, a Word zip, an OpenDocument text or EPUB ``mimetype``, an HTML start tag; a ``.pdf``, ``.docx``,
``.odt``, ``.epub``, ``.html`` or ``.txt`` name is enough to claim the file, so an empty or damaged one is reported
by name (an :class:`~knowme.models.ItemProblem`: empty, encrypted, damaged or truncated, not what its name says)
instead of being skipped as an unknown format. Markdown stays with the notes connector; ``.txt`` chat exports go to
the WhatsApp connector, which is surer of them.

Scanned pages (no text layer) are read with OCR when ``tesseract`` is installed, up to ``[documents]
ocr_max_pages`` per document (20 by default: OCR takes seconds a page). With ``ocr = "auto"`` (the default) that is
done for a file ingested on its own and in folders of at most ``ocr_folder_limit`` documents (100): a large folder
of scans would take hours, so there it is off unless ``ocr = "on"``; ``"off"`` turns it off everywhere. What is left
unread is a problem in the report, and the record keeps the rest.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from knowme.connectors.base import LIKELY, NO, SURE, Connector, Cursor
from knowme.connectors.doctext import (
    DOCUMENT_SUFFIXES,
    Extracted,
    extract_document,
    format_for_name,
    sniff_format,
)
from knowme.connectors.ocr import OcrPolicy
from knowme.errors import ParseError
from knowme.models import REF_PREFIX, ItemProblem, Record
from knowme.plugins import connectors, hookimpl

if TYPE_CHECKING:
    from knowme.config import Settings

__all__ = ["DocumentsConnector", "document_record"]

#: Files larger than this are reported, not read (a document this large is an archive or a scan dump).
MAX_DOCUMENT_BYTES = 512 * 1024 * 1024


def _head(path: Path, size: int = 4096) -> bytes:
    try:
        with path.open("rb") as handle:
            return handle.read(size)
    except OSError:
        return b""


def document_record(
    doc: Extracted,
    *,
    source: str,
    native_id: str,
    ref: str,
    name: str,
    fallback_time: datetime | None,
    meta: dict[str, Any] | None = None,
) -> Record:
    """A ``document`` record for extracted text (shared with mail attachments)."""
    when: datetime | None
    if doc.created is not None:
        when, date_source = doc.created, "created"
    elif doc.modified is not None:
        when, date_source = doc.modified, "modified"
    else:
        when, date_source = fallback_time, "file" if fallback_time else "none"
    stem = name.rsplit(".", 1)[0] if "." in name else name
    info: dict[str, Any] = {
        "format": doc.format,
        "filename": name,
        "date_source": date_source,
        **({"pages": doc.pages} if doc.pages is not None else {}),
        **({"created": doc.created.isoformat()} if doc.created else {}),
        **({"modified": doc.modified.isoformat()} if doc.modified else {}),
        **({"ocr_pages": doc.ocr_pages} if doc.ocr_pages else {}),
        **({"unread": list(doc.notes)} if doc.notes else {}),
        **(meta or {}),
    }
    return Record(
        source=source,
        kind="document",
        native_id=native_id,
        ref=ref,
        text=doc.text,
        title=doc.title or stem,
        timestamp=when,
        author=doc.author,
        participants=(doc.author,) if doc.author else (),
        sections=tuple(doc.sections),
        meta=info,
    )


def _claimed_elsewhere(path: Path) -> bool:
    for name, cls in connectors().items():
        if name == DocumentsConnector.name:
            continue
        try:
            if cls.sniff(path) >= LIKELY:
                return True
        except OSError:
            continue
    return False


@lru_cache(maxsize=64)
def _document_count(root: str, limit: int) -> int:
    """How many document files a folder holds, counting no further than ``limit + 1`` (hidden folders skipped)."""
    count = 0
    for _folder, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        count += sum(1 for name in filenames if format_for_name(name) is not None)
        if count > limit:
            break
    return count


def _keep_twin(path: Path) -> bool:
    """A Google Keep note's HTML copy (``Keep/x.html`` beside ``Keep/x.json``): the keep connector reads the JSON."""
    return path.parent.name == "Keep" and path.suffix.lower() == ".html" and path.with_suffix(".json").is_file()


class DocumentsConnector(Connector):
    """One document file (PDF, ``.docx``, ``.odt``, ``.epub``, HTML, ``.txt``)."""

    name: ClassVar[str] = "documents"
    kinds: ClassVar[tuple[str, ...]] = ("document",)
    suffixes: ClassVar[tuple[str, ...]] = tuple(DOCUMENT_SUFFIXES)

    def __init__(self, path: Path | str) -> None:
        super().__init__(path)
        self.ocr = OcrPolicy()
        self.ocr_mode = "auto"
        self.ocr_folder_limit = 100

    @classmethod
    def sniff(cls, path: Path) -> int:
        if not path.is_file():
            return NO
        fmt = sniff_format(_head(path), path.name)
        if fmt in ("pdf", "docx", "odt", "epub"):
            return SURE
        named = format_for_name(path.name)
        if fmt is None and named is None:
            return NO
        # a text or HTML file, or one whose name only says it is a document: a weak claim, left to any connector that
        # knows the file better (a WhatsApp export is a .txt, Keep's notes have .html twins)
        if _claimed_elsewhere(path) or _keep_twin(path):
            return NO
        return LIKELY

    def configure(self, settings: Settings) -> None:
        options = getattr(settings, "documents", None)
        if options is not None:
            self.ocr = OcrPolicy(
                enabled=options.ocr != "off", max_pages=options.ocr_max_pages, languages=options.ocr_languages
            )
            self.ocr_mode, self.ocr_folder_limit = options.ocr, options.ocr_folder_limit

    def _ocr_policy(self) -> OcrPolicy:
        """The OCR policy for this file: ``auto`` turns OCR off inside a folder of many documents."""
        if self.ocr_mode != "auto" or not self.ocr.enabled or self.root is None:
            return self.ocr
        count = _document_count(str(self.root.expanduser().resolve()), self.ocr_folder_limit)
        if count <= self.ocr_folder_limit:
            return self.ocr
        reason = (
            f"OCR is off in folders of more than {self.ocr_folder_limit} documents (this one has more); "
            '[documents] ocr = "on" in config.toml reads them (seconds a page)'
        )
        return replace(self.ocr, enabled=False, off_reason=reason)

    def estimate(self) -> int | None:
        return 1

    @property
    def relative_name(self) -> str:
        """The path cited in the ref: relative to the folder that was ingested, else the file's name."""
        root = self.root
        if root is not None:
            try:
                return self.path.relative_to(root.expanduser().resolve()).as_posix()
            except ValueError:
                pass
        return self.path.name

    def iter_records(self, cursor: Cursor | None = None) -> Iterator[Record | ItemProblem]:
        rel = self.relative_name
        try:
            stat = self.path.stat()
        except OSError as exc:
            yield self.problem("", f"cannot read the file: {exc.strerror or exc}")
            return
        if stat.st_size > MAX_DOCUMENT_BYTES:
            yield self.problem("", f"over {MAX_DOCUMENT_BYTES // 2**20} MiB: not read")
            return
        fmt = sniff_format(_head(self.path), self.path.name)
        named = format_for_name(self.path.name)
        if fmt is None:
            if stat.st_size == 0:
                yield self.problem("", "the file is empty")
            else:
                yield self.problem("", f"not a {named} file inside (its name says {named}, its bytes do not)")
            return
        try:
            doc = extract_document(self.path, fmt, ocr=self._ocr_policy())
        except ParseError as exc:
            yield self.problem("", str(exc))
            return
        except Exception as exc:  # a reader's bug on a strange file: this file only
            yield self.problem("", exc)
            return
        mtime = datetime.fromtimestamp(stat.st_mtime, tz=UTC)
        record = document_record(
            doc,
            source=self.source,
            native_id=self.path.name,
            ref=f"{REF_PREFIX['document']}:{rel}",
            name=self.path.name,
            fallback_time=mtime,
            meta={"path": str(self.path), "size": stat.st_size},
        )
        yield record
        if doc.notes:
            yield self.problem("", "; ".join(doc.notes))
        elif not doc.text:
            yield self.problem("", "no text found (kept with its title and dates)")


@hookimpl
def register_connectors() -> list[type[Connector]]:
    return [DocumentsConnector]
