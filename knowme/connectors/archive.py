"""Unpacking archives and holding uploads without leaving personal data behind: size limits and private scratch.

An archive (a Google Takeout zip) or an upload has to sit in files for the connectors to read. Three rules:

- **Checked before anything is written** (:func:`check_archive`): at most ``MAX_MEMBERS`` members, at most
  ``MAX_UNPACKED`` bytes in all once unpacked, no member that expands more than ``MAX_RATIO`` times (a zip bomb
  packs gigabytes of zeros into kilobytes), no member that would land outside the folder. Then
  :func:`extract_all` copies member by member and stops a member that writes more than its header declared.
- **In memory when the machine allows it** (:func:`scratch_root`): ``/dev/shm`` (a RAM file system on Linux) when
  it is there, writable and has room, else the system temporary folder; each scratch folder is private (0700).
- **Gone after a crash** (:func:`sweep`): a scratch folder is named ``knowme-<purpose>-<pid>-<random>``; the next
  unpacking (or server start) removes the folders of processes that no longer run. A normal run removes its own.

Not covered: a RAM file system may be swapped out to disk; on a machine without one the files are on disk (private,
removed after use and after a crash, but in clear while they exist).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from knowme.errors import IngestError

MAX_UNPACKED = 8 << 30  # 8 GiB: a large Takeout's mail, not a bomb
MAX_RATIO = 200  # text and JSON compress 5-30x; a bomb of zeros about 1,000x
MAX_MEMBERS = 200_000
RAM = Path("/dev/shm")
_PREFIX = "knowme-"
_COPY = 1 << 20


def check_archive(
    archive: zipfile.ZipFile, where: str, *, max_total: int | None = None, max_ratio: float | None = None
) -> int:
    """Refuse an archive that would unpack too large, too many members or a member too compressed; returns the
    unpacked size its headers declare."""
    max_total = MAX_UNPACKED if max_total is None else max_total
    max_ratio = MAX_RATIO if max_ratio is None else max_ratio
    members = archive.infolist()
    if len(members) > MAX_MEMBERS:
        raise IngestError(f"{where}: {len(members)} members, more than the {MAX_MEMBERS} knowme unpacks")
    total = 0
    for info in members:
        name = info.filename
        if name.startswith(("/", "\\")) or ".." in Path(name.replace("\\", "/")).parts:
            raise IngestError(f"{where}: member {name!r} would be written outside the archive")
        if info.is_dir():
            continue
        if info.file_size > max(info.compress_size, 1) * max_ratio and info.file_size > _COPY:
            raise IngestError(
                f"{where}: member {name!r} expands {info.file_size / max(info.compress_size, 1):.0f} times "
                f"(at most {max_ratio:g}): refused as a possible zip bomb"
            )
        total += info.file_size
        if total > max_total:
            raise IngestError(f"{where}: unpacks to more than {max_total >> 20} MiB: refused")
    return total


def extract_all(archive: zipfile.ZipFile, folder: Path, where: str, **limits: float | int | None) -> None:
    """:func:`check_archive`, then every member into ``folder``, none beyond the size its header declares."""
    check_archive(archive, where, **limits)  # type: ignore[arg-type]
    root = folder.resolve()
    for info in archive.infolist():
        target = (folder / info.filename).resolve()
        if not target.is_relative_to(root):
            raise IngestError(f"{where}: member {info.filename!r} would be written outside the archive")
        if info.is_dir():
            target.mkdir(parents=True, exist_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        written = 0
        with archive.open(info) as source, target.open("wb") as out:
            while chunk := source.read(_COPY):
                written += len(chunk)
                if written > info.file_size:
                    raise IngestError(f"{where}: member {info.filename!r} is larger than its header says: refused")
                out.write(chunk)


def scratch_root(needed: int = 0) -> Path:
    """Where scratch folders go: the RAM file system when it is there with room for ``needed`` bytes (and a
    margin), else the system temporary folder."""
    try:
        if RAM.is_dir() and os.access(RAM, os.W_OK) and shutil.disk_usage(RAM).free > 2 * needed + (64 << 20):
            return RAM
    except OSError:
        pass
    return Path(tempfile.gettempdir())


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep(purpose: str) -> list[Path]:
    """Remove this user's ``purpose`` scratch folders left by processes that no longer run; returns them."""
    removed = []
    for root in {RAM, Path(tempfile.gettempdir())}:
        try:
            candidates = list(root.glob(f"{_PREFIX}{purpose}-*-*"))
        except OSError:
            continue
        for folder in candidates:
            try:
                pid = int(folder.name[len(_PREFIX) + len(purpose) + 1 :].split("-", 1)[0])
                if folder.stat().st_uid != os.getuid() or _alive(pid):
                    continue
            except (ValueError, OSError):
                continue
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


@contextmanager
def scratch(purpose: str, *, needed: int = 0) -> Iterator[Path]:
    """A private folder for ``purpose`` (``takeout``...), in memory when possible, removed on the way out."""
    folder = Path(tempfile.mkdtemp(prefix=f"{_PREFIX}{purpose}-{os.getpid()}-", dir=scratch_root(needed)))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
