"""OCR with the ``tesseract`` command (Debian's ``tesseract-ocr``), for scanned pages that have no text layer.

The command is run once per image with the image on standard input and the text on standard output; nothing is
written to disk and nothing is downloaded. When the command is missing, :func:`ocr_image` raises
:class:`OcrUnavailable` with the one line that says how to install it, and the document is kept without that
page's text (the ingest report says so).
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass

__all__ = ["OcrPolicy", "OcrUnavailable", "ocr_image", "tesseract"]

INSTALL_HINT = "install Debian's tesseract-ocr (apt-get install tesseract-ocr) to read scanned pages with OCR"


class OcrUnavailable(RuntimeError):
    """The ``tesseract`` command is not installed."""


@dataclass(frozen=True)
class OcrPolicy:
    """Whether scanned pages are read by OCR, and how many per document at most (OCR takes seconds a page)."""

    enabled: bool = True
    off_reason: str = 'OCR is off ([documents] ocr = "on" in config.toml turns it on)'
    max_pages: int = 20
    languages: str = "eng"
    timeout: float = 120.0
    command: str = "tesseract"


def tesseract(command: str = "tesseract") -> str | None:
    """The path of the tesseract command, or None."""
    return shutil.which(command)


def ocr_image(data: bytes, *, languages: str = "eng", timeout: float = 120.0, command: str = "tesseract") -> str:
    """The text tesseract reads in an encoded image (PNG, JPEG, TIFF ...)."""
    path = tesseract(command)
    if path is None:
        raise OcrUnavailable(f"tesseract is not installed: {INSTALL_HINT}")
    done = subprocess.run(
        [path, "stdin", "stdout", "-l", languages],
        input=data,
        capture_output=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise RuntimeError(message[-1] if message else f"tesseract exited with {done.returncode}")
    return done.stdout.decode("utf-8", "replace")
