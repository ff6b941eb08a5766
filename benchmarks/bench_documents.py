"""Documents and photos: parse and ingest speed, and memory, on generated files.

    python benchmarks/bench_documents.py [--documents 120] [--photos 400] [--long-pages 500] [--fixes 24000]
                                         [--json PATH]

Generates a folder of mixed documents (a sixth each: 3-page PDFs with an outline, Word, OpenDocument, EPUB, HTML,
text), one long PDF, JPEGs with EXIF and GPS around Portugal and Spain, and a Takeout Records.json; prints
documents/s and photos/s for the connectors alone and end to end into a fresh encrypted vault (with embeddings), the
long PDF's read time and Python peak memory (tracemalloc), fixes/s for Records.json and the process's peak RSS.
The defaults run in about a minute on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import knowme  # noqa: E402
from knowme.connectors.documents import DocumentsConnector  # noqa: E402
from knowme.connectors.location_history import LocationHistoryConnector  # noqa: E402
from knowme.connectors.places import nearest_place  # noqa: E402
from knowme.connectors.registry import detect  # noqa: E402
from tests.connectors.document_samples import (  # noqa: E402
    write_docx,
    write_epub,
    write_html,
    write_jpeg,
    write_long_pdf,
    write_odt,
    write_pdf,
)
from tests.connectors.test_location_history import write_records  # noqa: E402


def _text(path: Path) -> Path:
    path.write_text("Shopping list: bread, olive oil, coffee, oranges.\n" * 20, encoding="utf-8")
    return path


WRITERS: list[tuple[str, Callable[[Path], Path]]] = [
    ("pdf", write_pdf), ("docx", write_docx), ("odt", write_odt), ("epub", write_epub), ("html", write_html),
    ("txt", _text),
]  # fmt: skip


def _records(folder: Path) -> int:
    connectors, _ = detect([folder])
    return sum(1 for c in connectors for item in c.iter_records() if isinstance(item, knowme.Record))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=120)
    parser.add_argument("--photos", type=int, default=400)
    parser.add_argument("--long-pages", type=int, default=500)
    parser.add_argument("--fixes", type=int, default=24_000)
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args()
    rng = random.Random(7)
    figures: dict[str, float | int] = {}

    with tempfile.TemporaryDirectory(prefix="knowme-bench-docs-") as tmp:
        root = Path(tmp)
        docs, photos = root / "documents", root / "photos"
        docs.mkdir()
        photos.mkdir()
        t0 = time.perf_counter()
        for n in range(args.documents):
            suffix, writer = WRITERS[n % len(WRITERS)]
            writer(docs / f"doc-{n:04d}.{suffix}")
        for n in range(args.photos):
            write_jpeg(photos / f"IMG_{n:05d}.jpg", gps=(rng.uniform(37.0, 42.0), rng.uniform(-9.3, -3.0)),
                       taken=f"2024:{1 + n % 12:02d}:{1 + n % 28:02d} 12:00:00")  # fmt: skip
        long_pdf = write_long_pdf(root / "long.pdf", args.long_pages)
        history = write_records(root / "Records.json", days=max(args.fixes // 400, 1), per_day=400)
        figures["generate_s"] = round(time.perf_counter() - t0, 1)

        t0 = time.perf_counter()
        nearest_place(41.15, -8.61)
        figures["gazetteer_load_s"] = round(time.perf_counter() - t0, 2)

        t0 = time.perf_counter()
        parsed_docs = _records(docs)
        seconds = time.perf_counter() - t0
        figures["documents"], figures["parse_documents_per_s"] = parsed_docs, round(parsed_docs / seconds, 1)

        t0 = time.perf_counter()
        parsed_photos = _records(photos)
        seconds = time.perf_counter() - t0
        figures["photos"], figures["parse_photos_per_s"] = parsed_photos, round(parsed_photos / seconds, 1)

        tracemalloc.start()
        t0 = time.perf_counter()
        [record] = [i for i in DocumentsConnector(long_pdf).iter_records() if isinstance(i, knowme.Record)]
        figures["long_pdf_pages"], figures["long_pdf_read_s"] = record.meta["pages"], round(time.perf_counter() - t0, 1)
        figures["long_pdf_peak_mb"] = round(tracemalloc.get_traced_memory()[1] / 2**20, 1)
        figures["long_pdf_text_mb"] = round(len(record.text.encode()) / 2**20, 2)
        tracemalloc.stop()

        t0 = time.perf_counter()
        days = sum(1 for i in LocationHistoryConnector(history).iter_records() if isinstance(i, knowme.Record))
        seconds = time.perf_counter() - t0
        figures["records_json_mb"] = round(history.stat().st_size / 2**20, 1)
        figures["records_json_fixes_per_s"] = round(days * 400 / seconds)

        with knowme.open(root / "home", "benchmark passphrase") as vault:
            vault.embedder.embed(["warm up the model"])
            t0 = time.perf_counter()
            report = vault.ingest(docs)
            seconds = time.perf_counter() - t0
            figures["ingest_documents_per_s"] = round(sum(report.added.values()) / seconds, 1)
            figures["ingest_document_chunks"] = report.chunks
            t0 = time.perf_counter()
            report = vault.ingest(photos)
            seconds = time.perf_counter() - t0
            figures["ingest_photos_per_s"] = round(sum(report.added.values()) / seconds, 1)
            t0 = time.perf_counter()
            again = vault.ingest([docs, photos])
            figures["reingest_s"] = round(time.perf_counter() - t0, 1)
            assert not again.added and not again.updated
    figures["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    for key, value in figures.items():
        print(f"{key:28} {value}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
