"""Real document and photo files for the tests and the benchmark, written by the libraries that make them in life.

PDFs by fpdf2 (text layer, Info metadata, an outline from ``start_section``) and Pillow (a page that is only an
image, like a scan); an encrypted PDF by pypdf; Word files by python-docx; OpenDocument text and EPUB as the zip
packages their specs describe (mimetype first and stored, then the XML); JPEGs with EXIF and GPS by Pillow.
"""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime
from fractions import Fraction
from pathlib import Path

LEASE_PAGES = (
    ("The parties", "This lease is made between Maria Costa, the landlord, and Ana Silva, the tenant."),
    ("Rent and deposit", "The monthly rent is 950 euros, paid by the fifth day of each month. Deposit: two months."),
    ("Ending the lease", "Either party may end the lease with ninety days of notice in writing."),
)


def write_pdf(path: Path, *, pages: tuple[tuple[str, str], ...] = LEASE_PAGES, title: str = "Lease Rua das Flores 12",
              author: str = "Maria Costa", created: datetime | None = None, outline: bool = True,
              heading_size: int = 14) -> Path:  # fmt: skip
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_title(title)
    pdf.set_author(author)
    pdf.set_creation_date(created or datetime(2023, 9, 1, 10, 30, tzinfo=UTC))
    pdf.set_font("helvetica", size=12)
    for heading, body in pages:
        pdf.add_page()
        if outline and heading:
            pdf.start_section(heading)
        pdf.set_font("helvetica", style="B", size=heading_size)
        if heading:
            pdf.cell(text=heading, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("helvetica", size=12)
        pdf.multi_cell(w=0, text=body)
    path.write_bytes(bytes(pdf.output()))
    return path


def write_long_pdf(path: Path, pages: int) -> Path:
    """A ``pages``-page PDF, each page a few paragraphs (for the bounded-memory test and the benchmark)."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_title(f"Report of {pages} pages")
    pdf.set_font("helvetica", size=10)
    for number in range(1, pages + 1):
        pdf.add_page()
        pdf.multi_cell(
            w=0,
            text=(f"Page {number}. Quarterly figures for region {number % 17} were reviewed with the auditors. " * 12),
        )
    path.write_bytes(bytes(pdf.output()))
    return path


def write_encrypted_pdf(path: Path, source: Path, password: str = "s3cret") -> Path:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for page in PdfReader(source).pages:
        writer.add_page(page)
    writer.encrypt(user_password=password, owner_password=password + "-owner", algorithm="AES-256")
    with path.open("wb") as handle:
        writer.write(handle)
    return path


def write_owner_only_pdf(path: Path, source: Path) -> Path:
    """Encrypted with an owner password only: anyone may open it (many bank statements are like this)."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for page in PdfReader(source).pages:
        writer.add_page(page)
    writer.encrypt(user_password="", owner_password="owner-only", algorithm="AES-128")
    with path.open("wb") as handle:
        writer.write(handle)
    return path


def scan_image(text: str, size: tuple[int, int] = (1240, 600)):  # type: ignore[no-untyped-def]
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("L", size, 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=56)
    for line_number, line in enumerate(text.split("\n")):
        draw.text((60, 60 + line_number * 90), line, fill=0, font=font)
    return image


def write_scanned_pdf(path: Path, text: str = "INVOICE 4711\nTotal due 312 EUR") -> Path:
    """A PDF whose only page is an image of text, with no text layer (as a scanner makes)."""
    scan_image(text).save(path, "PDF", resolution=150)
    return path


def write_docx(path: Path) -> Path:
    import docx

    document = docx.Document()
    document.core_properties.title = "Curriculum Vitae"
    document.core_properties.author = "Ana Silva"
    document.core_properties.created = datetime(2024, 2, 10, 9, 0, tzinfo=UTC)
    document.add_heading("Ana Silva", level=1)
    document.add_paragraph("Product designer in Porto.")
    document.add_heading("Experience", level=1)
    document.add_heading("Farfetch", level=2)
    document.add_paragraph("Led the checkout redesign from 2019 to 2023.")
    document.add_heading("Languages", level=1)
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "Portuguese", "native"
    table.cell(1, 0).text, table.cell(1, 1).text = "English", "fluent"
    document.save(str(path))
    return path


_ODT_CONTENT = """<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
  xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"
  xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" office:version="1.3">
<office:body><office:text>
<text:h text:outline-level="1">Tax return 2023</text:h>
<text:p>Refund expected:<text:s/>420<text:s text:c="2"/>euros.</text:p>
<text:h text:outline-level="2">Deductions</text:h>
<text:list><text:list-item><text:p>Health expenses at the dentist.</text:p></text:list-item></text:list>
<table:table><table:table-row><table:table-cell><text:p>Education</text:p></table:table-cell>
<table:table-cell><text:p>800</text:p></table:table-cell></table:table-row></table:table>
</office:text></office:body></office:document-content>
"""
_ODT_META = """<?xml version="1.0" encoding="UTF-8"?>
<office:document-meta xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
  xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0" xmlns:dc="http://purl.org/dc/elements/1.1/">
<office:meta><dc:title>IRS 2023</dc:title><meta:initial-creator>Ana Silva</meta:initial-creator>
<meta:creation-date>2024-04-02T18:20:00</meta:creation-date></office:meta></office:document-meta>
"""
_MANIFEST = """<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3">
<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.text"/>
<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>
<manifest:file-entry manifest:full-path="meta.xml" manifest:media-type="text/xml"/>
</manifest:manifest>
"""


def write_odt(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(
            zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.text", compress_type=zipfile.ZIP_STORED
        )
        archive.writestr("content.xml", _ODT_CONTENT, compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr("meta.xml", _ODT_META, compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr("META-INF/manifest.xml", _MANIFEST, compress_type=zipfile.ZIP_DEFLATED)
    return path


def write_epub(path: Path) -> Path:
    container = (
        '<?xml version="1.0"?><container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">'
        '<rootfiles><rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/>'
        "</rootfiles></container>"
    )
    opf = (
        '<?xml version="1.0"?><package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="id">'
        '<metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:identifier id="id">urn:uuid:1</dc:identifier>'
        "<dc:title>Walking the Douro</dc:title><dc:creator>Rui Mendes</dc:creator><dc:date>2021-06-01</dc:date>"
        '</metadata><manifest><item id="c1" href="one.xhtml" media-type="application/xhtml+xml"/>'
        '<item id="c2" href="two.xhtml" media-type="application/xhtml+xml"/></manifest>'
        '<spine><itemref idref="c1"/><itemref idref="c2"/></spine></package>'
    )
    chapter = '<html xmlns="http://www.w3.org/1999/xhtml"><body><h1>{}</h1><p>{}</p></body></html>'
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/epub+zip", compress_type=zipfile.ZIP_STORED)
        archive.writestr("META-INF/container.xml", container)
        archive.writestr("OEBPS/content.opf", opf)
        archive.writestr("OEBPS/one.xhtml", chapter.format("Pinhão", "The terraces of the Douro valley at dawn."))
        archive.writestr("OEBPS/two.xhtml", chapter.format("Régua", "A train ride along the river to Régua."))
    return path


def write_html(path: Path) -> Path:
    path.write_text(
        "<!DOCTYPE html><html><head><title>Boarding pass TP 1234</title>"
        '<meta name="author" content="TAP Air Portugal"></head><body><h1>Boarding pass</h1>'
        "<p>Flight TP 1234 Lisbon to Seville, seat 14C, boarding 07:40.</p></body></html>",
        encoding="utf-8",
    )
    return path


def rational(value: float):  # type: ignore[no-untyped-def]
    from PIL.TiffImagePlugin import IFDRational

    fraction = Fraction(value).limit_denominator(1_000_000)
    return IFDRational(fraction.numerator, fraction.denominator)


def dms(value: float) -> tuple[object, object, object]:
    value = abs(value)
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = (value - degrees - minutes / 60) * 3600
    return rational(degrees), rational(minutes), rational(round(seconds, 4))


def jpeg_bytes(
    *,
    taken: str | None = "2024:05:12 14:03:21",
    offset: str | None = "+01:00",
    gps: tuple[float, float] | None = (41.1485, -8.61097),
    gps_clock: tuple[str, tuple[int, int, int]] | None = None,
    make: str = "Apple",
    model: str = "iPhone 13",
    description: str = "",
    size: tuple[int, int] = (64, 48),
) -> bytes:
    """A real JPEG with EXIF (time, offset, camera, description) and a GPS IFD, written by Pillow."""
    from PIL import Image

    image = Image.new("RGB", size, (120, 160, 200))
    exif = image.getexif()
    exif[0x010F], exif[0x0110] = make, model
    if description:
        exif[0x010E] = description
    sub = exif.get_ifd(0x8769)
    if taken:
        sub[0x9003] = taken
        exif[0x0132] = taken
    if offset:
        sub[0x9011] = offset
    if gps:
        lat, lon = gps
        ifd = exif.get_ifd(0x8825)
        ifd[1], ifd[2] = ("N" if lat >= 0 else "S"), dms(lat)
        ifd[3], ifd[4] = ("E" if lon >= 0 else "W"), dms(lon)
        ifd[5], ifd[6] = 0, rational(35)
        if gps_clock:
            day, (h, m, s) = gps_clock
            ifd[29] = day
            ifd[7] = (rational(h), rational(m), rational(s))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif, quality=80)
    return buffer.getvalue()


def heic_bytes(**kwargs: object) -> bytes:
    """The same photo as an iPhone's HEIC, written by pillow-heif with the EXIF of :func:`jpeg_bytes`."""
    from PIL import Image
    from pillow_heif import register_heif_opener

    register_heif_opener()
    image = Image.open(io.BytesIO(jpeg_bytes(**kwargs)))  # type: ignore[arg-type]
    buffer = io.BytesIO()
    image.save(buffer, "HEIF", exif=image.getexif().tobytes(), quality=50)
    return buffer.getvalue()


def write_jpeg(path: Path, **kwargs: object) -> Path:
    path.write_bytes(jpeg_bytes(**kwargs))  # type: ignore[arg-type]
    return path
