"""Which connector reads a path: every registered connector is asked, the most confident one wins.

A folder is read as one source when a folder connector is sure of it (a Maildir); otherwise it is walked: each file
goes to the connector that claims it, Markdown files make the folder a notes source, hidden folders are skipped.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from knowme.connectors.base import LIKELY, SURE, Connector
from knowme.models import ItemProblem
from knowme.plugins import connectors as registered

if TYPE_CHECKING:
    from knowme.config import Settings

NOTE_SUFFIXES = (".md", ".markdown")


def _best(
    path: Path, candidates: list[type[Connector]], settings: Settings | None = None
) -> tuple[type[Connector] | None, int]:
    best: type[Connector] | None = None
    score = 0
    for cls in candidates:
        try:
            s = cls.sniff_configured(path, settings)
        except OSError:
            s = 0
        if s > score:
            best, score = cls, s
    return best, score


def detect(paths: list[Path], settings: Settings | None = None) -> tuple[list[Connector], list[ItemProblem]]:
    """Connectors for ``paths`` (each path's folders walked as described above) and what could not be read.
    With ``settings``, connectors that take options (the bank CSV's columns) are configured from them."""
    found, skipped = _detect(paths, settings)
    if settings is not None:
        for connector in found:
            connector.configure(settings)
    return found, skipped


def _detect(paths: list[Path], settings: Settings | None) -> tuple[list[Connector], list[ItemProblem]]:
    classes = list(registered().values())
    dir_classes = [c for c in classes if c.reads_directories]
    found: list[Connector] = []
    skipped: list[ItemProblem] = []
    for raw in paths:
        path = Path(raw).expanduser()
        if not path.exists():
            skipped.append(ItemProblem(str(path), "no such file or folder"))
            continue
        if path.is_file():
            cls, score = _best(path, classes, settings)
            if cls is None or score < LIKELY:
                skipped.append(
                    ItemProblem(
                        str(path),
                        "unrecognised format (not email, calendar, contacts, notes, chats, browser history, a bank "
                        "statement, a document or a photo)",
                    )
                )
            else:
                found.append(cls(path))
            continue
        cls, score = _best(path, dir_classes, settings)
        if cls is not None and score >= SURE:
            found.append(cls(path))
            continue
        found_here, skipped_here = _walk(path, classes, dir_classes, settings)
        found.extend(found_here)
        skipped.extend(skipped_here)
        if not found_here and not skipped_here:
            skipped.append(ItemProblem(str(path), "the folder holds no files knowme can read"))
    return found, skipped


def _walk(
    root: Path, classes: list[type[Connector]], dir_classes: list[type[Connector]], settings: Settings | None
) -> tuple[list[Connector], list[ItemProblem]]:
    found: list[Connector] = []
    skipped: list[ItemProblem] = []
    has_notes = False
    for folder, dirnames, filenames in os.walk(root):
        here = Path(folder)
        keep = []
        for name in sorted(dirnames):
            if name.startswith("."):
                continue
            sub = here / name
            cls, score = _best(sub, dir_classes, settings)
            if cls is not None and score >= SURE:
                found.append(cls(sub))
            else:
                keep.append(name)
        dirnames[:] = keep
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            file = here / name
            if not file.is_file():
                continue  # sockets and FIFOs (a server's run folder): opening one to sniff it would block
            if name.lower().endswith(NOTE_SUFFIXES):
                has_notes = True
                continue
            cls, score = _best(file, classes, settings)
            if cls is None or score < LIKELY:
                skipped.append(ItemProblem(str(file), "unrecognised format"))
            else:
                found.append(cls(file))
                found[-1].root = root
    if has_notes:
        notes = registered().get("notes")
        if notes is not None:
            found.append(notes(root))
    return found, skipped
