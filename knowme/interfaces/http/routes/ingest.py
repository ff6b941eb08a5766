"""``POST /api/ingest``: upload files (multipart ``files``) and ingest them as ``knowme ingest`` would.

The files are written under the vault's own folder (``<home>/incoming``, private to the user) with their base
names only (no paths from the client; see :func:`safe_names`), ingested as one folder, and removed. That folder
has a fixed path, so uploading the same notes again updates them instead of adding copies; uploads are handled
one at a time. The body size is limited by the server (413 above it).
"""

from __future__ import annotations

import shutil
import threading
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, File, UploadFile

from knowme.interfaces.http.auth import Principal, require
from knowme.interfaces.http.deps import VaultDep
from knowme.interfaces.http.schemas import IngestOut

router = APIRouter(tags=["ingest"])

INCOMING = "incoming"
_lock = threading.Lock()
_CHUNK = 1 << 20


def safe_names(names: list[str | None]) -> list[str]:
    """Plain, visible, distinct base names: no directories, no leading dots or control characters; a repeated name
    gets `` (2)``, `` (3)``... before its extension; an empty one becomes ``upload``."""
    out: list[str] = []
    for name in names:
        base = Path((name or "").replace("\\", "/")).name
        base = "".join(c for c in base if c.isprintable()).strip().lstrip(".").strip() or "upload"
        stem, dot, ext = base.rpartition(".")
        stem, ext = (stem, dot + ext) if stem else (base, "")
        candidate, n = base, 1
        while candidate in out:
            n += 1
            candidate = f"{stem} ({n}){ext}"
        out.append(candidate)
    return out


@router.post("/api/ingest", response_model=IngestOut, summary="Upload files into the vault (format detected)")
def ingest(
    vault: VaultDep,
    _: Annotated[Principal, Depends(require("ingest"))],
    files: Annotated[
        list[UploadFile], File(min_length=1, description="Email, calendar, contacts, notes, chats, history files.")
    ],
) -> IngestOut:
    names = safe_names([f.filename for f in files])
    with _lock:
        folder = vault.home / INCOMING
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(mode=0o700)
        try:
            for upload, name in zip(files, names, strict=True):
                with (folder / name).open("wb") as out:
                    shutil.copyfileobj(upload.file, out, _CHUNK)
            report = vault.ingest(folder)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    return IngestOut.of(names, report)
