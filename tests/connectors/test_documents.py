"""Documents: PDF (text layer, metadata, outline, encrypted, damaged, scanned with OCR), Word, OpenDocument, EPUB,
HTML and text files, in a mixed folder with broken ones, through a real vault (search, re-ingest, forget, export)."""

from __future__ import annotations

import tracemalloc
import zipfile
from pathlib import Path

import pytest

import knowme
from knowme.connectors.doctext import sniff_format
from knowme.connectors.documents import DocumentsConnector
from knowme.connectors.messengers import WhatsAppConnector
from knowme.connectors.ocr import OcrPolicy
from knowme.connectors.registry import detect
from knowme.models import ItemProblem, Record
from tests.conftest import PASSPHRASE
from tests.connectors.document_samples import (
    write_docx,
    write_encrypted_pdf,
    write_epub,
    write_html,
    write_long_pdf,
    write_odt,
    write_owner_only_pdf,
    write_pdf,
    write_scanned_pdf,
)


def read(path: Path, **options: object) -> tuple[list[Record], list[ItemProblem]]:
    connector = DocumentsConnector(path)
    if "ocr" in options:
        connector.ocr = options["ocr"]  # type: ignore[assignment]
    items = list(connector.iter_records())
    return [i for i in items if isinstance(i, Record)], [i for i in items if isinstance(i, ItemProblem)]


def mixed_folder(root: Path) -> Path:
    """Good documents of every format beside empty, encrypted, truncated, damaged and mislabelled ones."""
    (root / "home").mkdir(parents=True)
    lease = write_pdf(root / "home" / "lease.pdf")
    write_docx(root / "cv.docx")
    write_odt(root / "irs-2023.odt")
    write_epub(root / "douro.epub")
    write_html(root / "boarding-pass.html")
    (root / "wifi.txt").write_text("The wifi password is on the fridge door.\n", encoding="utf-8")
    write_owner_only_pdf(root / "statement.pdf", lease)
    (root / "scan_0001").write_bytes(lease.read_bytes())  # a PDF without its suffix: found by its bytes
    # the bad ones
    write_encrypted_pdf(root / "locked.pdf", lease)
    (root / "empty.pdf").write_bytes(b"")
    (root / "truncated.pdf").write_bytes(lease.read_bytes()[: lease.stat().st_size // 2])
    (root / "garbage.pdf").write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog >> garbage without end")
    (root / "cut.docx").write_bytes((root / "cv.docx").read_bytes()[:2500])
    (root / "not-word.docx").write_bytes(b"Dear Sir, this was saved as plain text.")
    return root


def test_a_mixed_folder_reads_every_good_document_and_reports_each_bad_one(vault: knowme.Vault, tmp_path: Path) -> None:
    root = mixed_folder(tmp_path / "papers")
    report = vault.ingest(root)
    docs = {r.ref: r for r in vault.store.iter_records(kind="document")}
    assert set(docs) == {
        "doc:home/lease.pdf", "doc:cv.docx", "doc:irs-2023.odt", "doc:douro.epub", "doc:boarding-pass.html",
        "doc:wifi.txt", "doc:statement.pdf", "doc:scan_0001",
    }  # fmt: skip
    assert report.added == {"document": 8} and not report.skipped_paths
    reasons = {Path(p.where).name: p.reason for p in report.problems}
    assert set(reasons) == {"locked.pdf", "empty.pdf", "truncated.pdf", "garbage.pdf", "cut.docx", "not-word.docx"}
    assert "encrypted with a password" in reasons["locked.pdf"]
    assert reasons["empty.pdf"] == "the file is empty"
    assert "damaged or truncated" in reasons["truncated.pdf"] and "damaged or truncated" in reasons["garbage.pdf"]
    assert "damaged or truncated" in reasons["cut.docx"]
    assert "its bytes do not" in reasons["not-word.docx"]
    assert "950 euros" in docs["doc:statement.pdf"].text  # owner-password-only PDFs open like any other

    again = vault.ingest(root)
    assert again.added == {} and again.updated == {} and again.unchanged == {"document": 8}


def test_pdf_metadata_pages_and_outline_headings(tmp_path: Path) -> None:
    [lease], problems = read(write_pdf(tmp_path / "lease.pdf"))
    assert not problems
    assert lease.kind == "document" and lease.ref == "doc:lease.pdf"
    assert lease.title == "Lease Rua das Flores 12" and lease.author == "Maria Costa"
    assert lease.timestamp is not None and lease.timestamp.isoformat() == "2023-09-01T10:30:00+00:00"
    assert lease.meta["pages"] == 3 and lease.meta["date_source"] == "created" and lease.meta["format"] == "pdf"
    assert [s.anchor for s in lease.sections] == [
        "p. 1 · The parties",
        "p. 2 · Rent and deposit",
        "p. 3 · Ending the lease",
    ]
    assert "950 euros" in lease.sections[1].text


def test_a_pdf_without_an_outline_takes_its_headings_from_the_type_size(tmp_path: Path) -> None:
    pages = (
        ("Terms of use", "These terms apply to every booking made through the site. " * 4),
        ("Cancellations", "A booking may be cancelled free of charge up to 48 hours before arrival. " * 3),
        ("", "Payments are taken when the booking is confirmed. " * 4),  # no heading: the last one goes on
    )
    [terms], _ = read(write_pdf(tmp_path / "terms.pdf", pages=pages, outline=False, heading_size=20))
    assert [s.anchor for s in terms.sections] == [
        "p. 1 · Terms of use",
        "p. 2 · Cancellations",
        "p. 3 · Cancellations",
    ]
    [plain], _ = read(write_pdf(tmp_path / "plain.pdf", pages=pages, outline=False, heading_size=12))
    assert [s.anchor for s in plain.sections] == ["p. 1", "p. 2", "p. 3"]  # same size as the text: no heading


def test_word_opendocument_epub_html_and_text(tmp_path: Path) -> None:
    [cv], _ = read(write_docx(tmp_path / "cv.docx"))
    assert cv.title == "Curriculum Vitae" and cv.author == "Ana Silva"
    assert [s.anchor for s in cv.sections] == ["Ana Silva", "Experience > Farfetch", "Languages"]
    assert "checkout redesign" in cv.sections[1].text and "English | fluent" in cv.sections[2].text

    [irs], _ = read(write_odt(tmp_path / "irs.odt"))
    assert irs.title == "IRS 2023" and irs.author == "Ana Silva" and irs.meta["format"] == "odt"
    assert irs.timestamp is not None and irs.timestamp.date().isoformat() == "2024-04-02"
    assert [s.anchor for s in irs.sections] == ["Tax return 2023", "Tax return 2023 > Deductions"]
    assert "Refund expected: 420  euros." in irs.text  # text:s spaces kept
    assert "dentist" in irs.text and "Education | 800" in irs.text

    [book], _ = read(write_epub(tmp_path / "douro.epub"))
    assert book.title == "Walking the Douro" and book.author == "Rui Mendes"
    assert [s.anchor for s in book.sections] == ["Pinhão", "Régua"] and "terraces" in book.text

    [ticket], _ = read(write_html(tmp_path / "pass.html"))
    assert ticket.title == "Boarding pass TP 1234" and "seat 14C" in ticket.text and "<p>" not in ticket.text

    text = tmp_path / "todo.txt"
    text.write_bytes("Renew the passport at the Loja do Cidadão.\r\n".encode("cp1252"))
    [note], _ = read(text)
    assert note.text == "Renew the passport at the Loja do Cidadão." and note.title == "todo"
    assert note.meta["date_source"] == "file"


def test_detection_sniffs_the_bytes_and_leaves_other_formats_alone(tmp_path: Path) -> None:
    lease = write_pdf(tmp_path / "lease.pdf")
    assert sniff_format(lease.read_bytes()[:4096], "download") == "pdf"
    assert sniff_format(write_docx(tmp_path / "cv.docx").read_bytes()[:4096], "cv") == "docx"
    assert sniff_format(write_odt(tmp_path / "a.odt").read_bytes()[:4096], "a") == "odt"
    assert sniff_format(b"<!doctype html><html><body>x", "page") == "html"
    assert sniff_format(b"just words", "notes.txt") == "text" and sniff_format(b"just words", "notes") is None
    stored = tmp_path / "archive.zip"  # a zip whose first member is a PDF stored uncompressed is still a zip
    with zipfile.ZipFile(stored, "w") as archive:
        archive.write(lease, "lease.pdf")
    assert sniff_format(stored.read_bytes()[:4096], "archive.zip") is None
    stored.unlink()
    chat = tmp_path / "WhatsApp Chat with Rui.txt"
    chat.write_text("12/03/2024, 21:41 - Rui: Dinner at 8?\n12/03/2024, 21:42 - Ana: Yes!\n", encoding="utf-8")
    keep = tmp_path / "Keep"
    keep.mkdir()
    (keep / "Shopping.json").write_text('{"title": "Shopping", "textContent": "milk", "userEditedTimestampUsec": 1}')
    (keep / "Shopping.html").write_text("<html><body>milk</body></html>", encoding="utf-8")
    found, skipped = detect([tmp_path])
    names = {c.path.name: c.name for c in found}
    assert names["WhatsApp Chat with Rui.txt"] == WhatsAppConnector.name
    assert names["lease.pdf"] == names["cv.docx"] == names["a.odt"] == "documents"
    assert names["Shopping.json"] == "keep" and "Shopping.html" not in names
    assert [Path(p.where).name for p in skipped] == ["Shopping.html"]


def test_a_scanned_pdf_is_read_with_tesseract(tmp_path: Path) -> None:
    scan = write_scanned_pdf(tmp_path / "invoice.pdf", "INVOICE 4711\nTotal due 312 EUR")
    [record], problems = read(scan)
    assert not problems
    assert "INVOICE 4711" in record.text and "312" in record.text and record.meta["ocr_pages"] == 1


def test_ocr_off_missing_or_over_the_limit_keeps_the_document_and_says_why(tmp_path: Path) -> None:
    scan = write_scanned_pdf(tmp_path / "invoice.pdf")
    [record], [problem] = read(scan, ocr=OcrPolicy(enabled=False))
    assert record.text == "" and record.meta["pages"] == 1
    assert "page 1 has no text layer" in problem.reason and "OCR is off" in problem.reason
    [_], [problem] = read(scan, ocr=OcrPolicy(command="tesseract-that-is-not-installed"))
    assert "tesseract is not installed" in problem.reason and "apt-get install tesseract-ocr" in problem.reason
    [_], [problem] = read(scan, ocr=OcrPolicy(max_pages=0))
    assert "OCR is limited to 0 pages" in problem.reason


def test_ocr_is_off_by_default_in_a_large_folder_and_on_when_asked(home: Path, tmp_path: Path) -> None:
    from knowme.config import DocumentsSettings, Settings

    folder = tmp_path / "archive"
    folder.mkdir()
    write_scanned_pdf(folder / "invoice.pdf")
    for n in range(4):
        (folder / f"letter-{n}.txt").write_text(f"Letter {n}.", encoding="utf-8")
    small = Settings(documents=DocumentsSettings(ocr_folder_limit=10))
    large = Settings(documents=DocumentsSettings(ocr_folder_limit=3))
    forced = Settings(documents=DocumentsSettings(ocr="on", ocr_folder_limit=3))
    assert DocumentsSettings.model_validate({"ocr": False}).ocr == "off"

    def scan_of(settings: Settings) -> tuple[Record, list[ItemProblem]]:
        connectors, _ = detect([folder], settings)
        [scan] = [c for c in connectors if c.path.name == "invoice.pdf"]
        items = list(scan.iter_records())
        return next(i for i in items if isinstance(i, Record)), [i for i in items if isinstance(i, ItemProblem)]

    record, problems = scan_of(small)
    assert "INVOICE 4711" in record.text and not problems
    record, [problem] = scan_of(large)
    assert record.text == "" and "OCR is off in folders of more than 3 documents" in problem.reason
    assert 'ocr = "on"' in problem.reason
    record, _ = scan_of(forced)
    assert "INVOICE 4711" in record.text


def test_a_500_page_pdf_is_read_page_by_page_in_bounded_memory(tmp_path: Path) -> None:
    big = write_long_pdf(tmp_path / "report.pdf", 500)
    tracemalloc.start()
    try:
        [record], problems = read(big)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert not problems and record.meta["pages"] == 500 and len(record.sections) == 500
    assert record.sections[-1].anchor == "p. 500" and record.sections[-1].text.startswith("Page 500.")
    text_mb = len(record.text.encode()) / 2**20
    assert peak < 40 * 2**20, f"peak {peak / 2**20:.1f} MB for {text_mb:.1f} MB of text"


def test_documents_are_searched_cited_forgotten_and_exported(home: Path, tmp_path: Path) -> None:
    root = mixed_folder(tmp_path / "papers")
    with knowme.open(home, PASSPHRASE) as vault:
        vault.ingest(root)
        hits = vault.search("how much notice to end the lease", k=3)
        assert hits[0].ref in ("doc:home/lease.pdf", "doc:statement.pdf", "doc:scan_0001")
        assert hits[0].anchor == "p. 3 · Ending the lease"
        export = tmp_path / "me.knowme.zip"
        assert vault.export(export).counts["records"] == 8
        result = vault.forget(ref="doc:cv.docx")
        assert [r.ref for r in result.records] == ["doc:cv.docx"]
        assert all(h.ref != "doc:cv.docx" for h in vault.search("checkout redesign Farfetch", k=10))
        assert vault.ingest(root).forgotten == {"document": 1}  # the tombstone keeps it out
    with knowme.open(tmp_path / "elsewhere", PASSPHRASE) as fresh:
        assert fresh.import_file(export).records == 8
        [cv] = fresh.store.records_by_ref("doc:cv.docx")
        assert [s.anchor for s in cv.sections] == ["Ana Silva", "Experience > Farfetch", "Languages"]
        assert fresh.search("checkout redesign Farfetch", k=1)[0].ref == "doc:cv.docx"


@pytest.mark.parametrize("name", ["report.pdf", "cv.docx", "book.epub", "tax.odt"])
def test_every_prefix_of_a_document_is_a_record_or_one_problem(tmp_path: Path, name: str) -> None:
    writers = {"report.pdf": write_pdf, "cv.docx": write_docx, "book.epub": write_epub, "tax.odt": write_odt}
    whole = writers[name](tmp_path / name).read_bytes()
    cut = tmp_path / f"cut-{name}"
    for size in range(0, len(whole), max(len(whole) // 23, 1)):
        cut.write_bytes(whole[:size])
        records, problems = read(cut)
        assert len(records) + len(problems) >= 1, size
        assert len(records) <= 1 and all(p.reason for p in problems)
