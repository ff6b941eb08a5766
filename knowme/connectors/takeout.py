"""Google Takeout: Chrome's ``BrowserHistory.json``, Keep notes (one ``.json`` per note) and the Takeout ``.zip``.

A Takeout *folder* needs nothing special: ``ingest`` walks it and Mail (``.mbox``), Calendar (``.ics``) and Contacts
(``.vcf``) go to the existing connectors, ``BrowserHistory.json`` and Keep's ``.json`` notes to the two here.

- :class:`ChromeTakeoutConnector`: ``{"Browser History": [{"url", "title", "time_usec", "page_transition"}]}``;
  one ``web_visit`` per entry, ``web:<url>`` as for the Chromium database; ``chrome://`` pages are skipped.
- :class:`KeepConnector`: ``{"title", "textContent" | "listContent", "labels", "userEditedTimestampUsec",
  "isTrashed", "isArchived"}``; one ``note`` per file, ``note:keep/<file stem>``; trashed notes are skipped,
  checklists become ``[x] item`` lines, labels go to ``meta["labels"]``.
- :class:`TakeoutZipConnector`: ``takeout-*.zip`` (or any zip whose members start with ``Takeout/``) is unpacked
  into a private scratch folder (in memory when the machine has a RAM file system), read with the connectors above
  and the existing ones, and removed; a folder a killed run left behind goes at the next unpacking. Records keep
  a stable ``source`` (``<connector>:<zip path>!<member path>``) so re-ingesting the zip is a no-op. Before anything
  is written the archive is checked (:mod:`knowme.connectors.archive`): members that would escape the folder
  (``../``), more than 8 GiB unpacked in all, or a member expanding more than 200 times (a zip bomb) are refused.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlsplit

from knowme.connectors.archive import check_archive, extract_all, scratch, sweep
from knowme.connectors.base import LIKELY, NO, SURE, Connector, Cursor
from knowme.errors import IngestError
from knowme.models import ItemProblem, Record
from knowme.plugins import hookimpl


def _usec(value: Any) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(value) / 1_000_000, UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _head(path: Path, size: int = 4096) -> str:
    try:
        with path.open("rb") as handle:
            return handle.read(size).decode("utf-8", "replace")
    except OSError:
        return ""


def _load(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise IngestError(f"cannot read {path}: {exc}") from exc


class ChromeTakeoutConnector(Connector):
    """Chrome history from Google Takeout (``Chrome/BrowserHistory.json``)."""

    name: ClassVar[str] = "chrome-takeout"
    kinds: ClassVar[tuple[str, ...]] = ("web_visit",)

    @classmethod
    def sniff(cls, path: Path) -> int:
        if path.is_dir() or not path.name.lower().endswith(".json"):
            return NO
        if '"Browser History"' in _head(path):
            return SURE
        return NO

    def iter_records(self, cursor: Cursor | None = None) -> Iterator[Record | ItemProblem]:
        data = _load(self.path)
        visits = data.get("Browser History") if isinstance(data, dict) else None
        if not isinstance(visits, list):
            raise IngestError(f"{self.path} has no 'Browser History' list")
        for index, visit in enumerate(visits):
            if not isinstance(visit, dict) or not visit.get("url"):
                yield self.problem(f"entry {index + 1}", "no url")
                continue
            url = str(visit["url"])
            if url.startswith(("chrome://", "chrome-extension://", "about:")):
                continue
            when = _usec(visit.get("time_usec"))
            if when is None:
                yield self.problem(f"entry {index + 1}", "no readable time_usec")
                continue
            title = str(visit.get("title") or url)
            host = urlsplit(url).hostname or ""
            yield Record(
                source=self.source,
                kind="web_visit",
                native_id=f"{url}@{when.isoformat()}",
                ref=f"web:{url}",
                text="\n".join(
                    line for line in (title, url, f"Site: {host.removeprefix('www.')}" if host else "") if line
                ),
                title=title,
                timestamp=when,
                meta={
                    "url": url,
                    "host": host,
                    "title": title,
                    "transition": str(visit.get("page_transition") or "").lower() or None,
                    "browser": "chrome",
                    "path": str(self.path),
                },
            )


class KeepConnector(Connector):
    """One Google Keep note from Takeout (``Keep/NAME.json``)."""

    name: ClassVar[str] = "keep"
    kinds: ClassVar[tuple[str, ...]] = ("note",)

    @classmethod
    def sniff(cls, path: Path) -> int:
        if path.is_dir() or not path.name.lower().endswith(".json"):
            return NO
        head = _head(path)
        if "userEditedTimestampUsec" in head and ("textContent" in head or "listContent" in head):
            return SURE if path.parent.name == "Keep" else LIKELY
        return NO

    def iter_records(self, cursor: Cursor | None = None) -> Iterator[Record | ItemProblem]:
        note = _load(self.path)
        if not isinstance(note, dict):
            raise IngestError(f"{self.path} is not a Keep note")
        if note.get("isTrashed"):
            return
        lines = [str(note.get("textContent") or "").strip()]
        for item in note.get("listContent") or []:
            if isinstance(item, dict) and item.get("text"):
                lines.append(f"[{'x' if item.get('isChecked') else ' '}] {item['text']}")
        text = "\n".join(line for line in lines if line)
        title = str(note.get("title") or "").strip()
        if not text and not title:
            return
        labels = [str(lab.get("name")) for lab in note.get("labels") or [] if isinstance(lab, dict) and lab.get("name")]
        yield Record(
            source=self.source,
            kind="note",
            native_id=self.path.stem,
            ref=f"note:keep/{self.path.stem}",
            text=text or title,
            title=title or text.splitlines()[0][:80],
            timestamp=_usec(note.get("userEditedTimestampUsec")) or _usec(note.get("createdTimestampUsec")),
            meta={
                "labels": labels,
                "pinned": bool(note.get("isPinned")),
                "archived": bool(note.get("isArchived")),
                "app": "keep",
                "path": str(self.path),
            },
        )


class TakeoutZipConnector(Connector):
    """A Google Takeout archive (``takeout-*.zip``): its Mail, Calendar, Contacts, Chrome and Keep parts."""

    name: ClassVar[str] = "takeout"
    kinds: ClassVar[tuple[str, ...]] = ("email", "event", "contact", "web_visit", "note")

    @classmethod
    def sniff(cls, path: Path) -> int:
        if path.is_dir() or not path.name.lower().endswith(".zip"):
            return NO
        try:
            with zipfile.ZipFile(path) as archive:
                names = archive.namelist()[:50]
        except (OSError, zipfile.BadZipFile):
            return NO
        if any(n.startswith("Takeout/") for n in names):
            return SURE
        return LIKELY if path.name.lower().startswith("takeout") else NO

    def iter_records(self, cursor: Cursor | None = None) -> Iterator[Record | ItemProblem]:
        from knowme.connectors.registry import detect

        sweep("takeout")  # what a killed run left behind
        try:
            with zipfile.ZipFile(self.path) as archive:
                needed = check_archive(archive, str(self.path))  # a zip bomb is refused before anything is written
        except (OSError, zipfile.BadZipFile) as exc:
            raise IngestError(f"cannot unpack {self.path}: {exc}") from exc
        with scratch("takeout", needed=needed) as folder:
            try:
                with zipfile.ZipFile(self.path) as archive:
                    extract_all(archive, folder, str(self.path))
            except (OSError, zipfile.BadZipFile) as exc:
                raise IngestError(f"cannot unpack {self.path}: {exc}") from exc
            connectors, skipped = detect([folder])
            for problem in skipped:
                where = problem.where.replace(str(folder), f"{self.path}!", 1)
                if "no files" not in problem.reason and not problem.where.endswith(".html"):  # Keep's HTML twins
                    yield ItemProblem(where, problem.reason)
            for inner in connectors:
                member = inner.path.relative_to(folder.resolve()).as_posix()
                source = f"{inner.name}:{self.path}!{member}"
                for item in inner.iter_records(None):
                    if isinstance(item, Record):
                        meta = dict(item.meta)
                        if "path" in meta:
                            meta["path"] = str(meta["path"]).replace(str(folder.resolve()), f"{self.path}!", 1)
                        yield replace(item, source=source, meta=meta)
                    else:
                        yield ItemProblem(item.where.replace(str(folder.resolve()), f"{self.path}!", 1), item.reason)


@hookimpl
def register_connectors() -> list[type[Connector]]:
    return [ChromeTakeoutConnector, KeepConnector, TakeoutZipConnector]
