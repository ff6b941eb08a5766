"""A registered file or folder, re-read only where it changed.

The folder is detected exactly as ``knowme ingest`` does (:func:`knowme.connectors.registry.detect`). Each detected
connector has a fingerprint in the sync state: a file's modification time and size, and its SHA-256 when those
changed (a touched but identical file costs one hash, not a re-read); a folder source's (notes) listing of names,
times and sizes. An unchanged fingerprint skips the connector; a changed one re-reads it and then yields
:class:`~knowme.connectors.live.base.Complete` so records that disappeared from it are handled as deleted (the source's
``on_delete`` policy). A file that vanished yields
``Complete`` with nothing seen: all its records go.

A Maildir is followed message by message: the state maps each message file's stable key (folder and the unique
part of its name, before ``:2,`` flags, so a move from ``new/`` to ``cur/`` or a flag change is not a new message)
to its native id; only new files are parsed and vanished ones are :class:`~knowme.connectors.live.base.Gone`.

A browser history (Chromium ``History``, Firefox ``places.sqlite``) is followed visit by visit: the state keeps the
highest visit id read, and a changed file reads only the visits above it (no ``Complete``: visits the browser expired
stay in the vault). A highest id below the remembered one means the history was cleared or replaced: it is read whole,
and what is no longer there is treated as deleted.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

from knowme.connectors.base import Connector, Cursor
from knowme.connectors.browser import BrowserHistoryConnector
from knowme.connectors.email import MaildirConnector, maildir_folder_name
from knowme.connectors.live.base import Checkpoint, Complete, Gone, LiveConnector, LiveItem
from knowme.connectors.registry import NOTE_SUFFIXES, detect
from knowme.models import Record


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def file_fingerprint(path: Path, previous: dict[str, Any] | None) -> dict[str, Any]:
    """``{"mtime", "size", "sha256"}`` of ``path``, reusing the previous hash when time and size are unchanged."""
    st = path.stat()
    if previous and previous.get("mtime") == st.st_mtime_ns and previous.get("size") == st.st_size:
        return previous
    return {"mtime": st.st_mtime_ns, "size": st.st_size, "sha256": _sha256(path)}


def folder_fingerprint(root: Path, suffixes: tuple[str, ...] = ()) -> dict[str, Any]:
    """A digest of every visible file's (ending in one of ``suffixes``, if given) relative path, time and size."""
    digest = hashlib.sha256()
    count = 0
    for folder, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.startswith(".") or (suffixes and not name.lower().endswith(suffixes)):
                continue
            file = Path(folder) / name
            try:
                st = file.stat()
            except OSError:
                continue
            digest.update(f"{file.relative_to(root)}\0{st.st_mtime_ns}\0{st.st_size}\n".encode("utf-8", "replace"))
            count += 1
    return {"listing": digest.hexdigest(), "files": count}


def _same(old: dict[str, Any] | None, new: dict[str, Any]) -> bool:
    if not old:
        return False
    if "sha256" in new:
        return old.get("sha256") == new["sha256"]
    return old == new


def maildir_key(root: Path, folder: Path, file: Path) -> str:
    unique = file.name.split(":2,")[0].split("!2,")[0]
    return f"{maildir_folder_name(root, folder)}/{unique}"


class FilesSource(LiveConnector):
    """A registered file or folder (any format ``knowme ingest`` reads)."""

    name: ClassVar[str] = "files"
    polled: ClassVar[bool] = False

    def __init__(self, uri: str, *, user: str | None = None, password: str | None = None) -> None:
        super().__init__(uri, user=user, password=password)
        self.path = Path(uri)

    @property
    def source(self) -> str:
        return f"files:{self.path}"

    def estimate(self) -> int | None:
        return None

    def iter_records(self, cursor: Cursor | None = None) -> Iterator[LiveItem]:  # type: ignore[override]
        previous: dict[str, Any] = dict((cursor or {}).get("connectors", {}))
        state: dict[str, Any] = {}
        connectors, skipped = detect([self.path])
        reported = set((cursor or {}).get("skipped", []))
        for problem in skipped:
            if problem.where not in reported:
                yield problem
        for connector in connectors:
            old = previous.pop(connector.source, None)
            if isinstance(connector, MaildirConnector):
                yield from self._maildir(connector, old, state)
            else:
                yield from self._whole(connector, old, state)
            yield Checkpoint(self._state(state, previous, skipped))
        for vanished in list(previous):
            yield Complete(vanished)
            previous.pop(vanished)
        yield Checkpoint(self._state(state, {}, skipped))

    @staticmethod
    def _state(done: dict[str, Any], pending: dict[str, Any], skipped: list[Any]) -> dict[str, Any]:
        return {"connectors": {**pending, **done}, "skipped": sorted(p.where for p in skipped)}

    def _whole(self, connector: Connector, old: dict[str, Any] | None, state: dict[str, Any]) -> Iterator[LiveItem]:
        try:
            if connector.path.is_dir():
                notes = connector.name == "notes"  # a notes folder reads only its Markdown files
                fingerprint = folder_fingerprint(connector.path, NOTE_SUFFIXES if notes else ())
            else:
                fingerprint = file_fingerprint(connector.path, old)
        except OSError as exc:
            yield self.problem(str(connector.path), exc)
            if old:
                state[connector.source] = old
            return
        if _same(old, fingerprint):
            state[connector.source] = fingerprint
            return
        cursor: dict[str, Any] | None = None
        last: int | None = None
        try:
            if isinstance(connector, BrowserHistoryConnector):  # new visits only, by visit id
                last = connector.last_visit_id()
                known = (old or {}).get("last_visit_id")
                if isinstance(known, int) and last is not None and last >= known:
                    cursor = {"after_visit": known}
            yield from connector.iter_records(cursor)
        except Exception as exc:  # a failing file keeps its old state and is retried next time
            yield self.problem(str(connector.path), exc)
            if old:
                state[connector.source] = old
            return
        if cursor is None:  # a whole read: what it did not see is gone (a cleared history is read whole)
            yield Complete(connector.source)
        state[connector.source] = {**fingerprint, **({"last_visit_id": last} if last is not None else {})}

    def _maildir(
        self, connector: MaildirConnector, old: dict[str, Any] | None, state: dict[str, Any]
    ) -> Iterator[LiveItem]:
        known: dict[str, str] = dict((old or {}).get("messages", {}))
        current: dict[str, str] = {}
        fresh: list[tuple[str, Path, Path]] = []
        for folder, file in connector._files():
            key = maildir_key(connector.path, folder, file)
            if key in known:
                current[key] = known[key]
            elif key not in current:
                fresh.append((key, folder, file))
        for key, folder, file in fresh:
            try:
                raw = file.read_bytes()
            except OSError as exc:  # moved between listing and reading: found again next time
                yield self.problem(file.name, exc)
                continue
            where = file.relative_to(connector.path).as_posix()
            folder_name = maildir_folder_name(connector.path, folder)
            for item in connector._items(raw, where=where, path=file, folder=folder_name):  # the message, attachments
                if isinstance(item, Record) and item.kind == "email":
                    current[key] = item.native_id
                yield item
        still = set(current.values())
        gone = tuple(sorted({nid for key, nid in known.items() if key not in current and nid not in still}))
        if gone:
            yield Gone(connector.source, gone)
        state[connector.source] = {"messages": current}
