"""The owner's sovereign acts on an open vault: forget (for good, with everything derived) and export the whole
graph; each is written to the audit log."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from knowme.errors import ConfigError
from knowme.parts import Parts
from knowme.privacy.export import ExportReport, export_vault
from knowme.privacy.forget import ForgetResult, forget
from knowme.privacy.governance import Grants
from knowme.store.base import ForgettingStore
from knowme.text.when import DateLike, parse_when


def forget_matching(
    parts: Parts, grants: Grants, *, ref: str | Sequence[str] | None = None,
    source: str | os.PathLike[str] | None = None, person: str | None = None, before: DateLike | None = None,
    query: str | None = None, dry_run: bool = False,
) -> ForgetResult:  # fmt: skip
    """Remove the matching records and everything derived from them (see :mod:`knowme.privacy.forget`); criteria
    combine with AND, ``dry_run`` previews."""
    store = parts.store
    if not isinstance(store, ForgettingStore):
        raise ConfigError(f"the {type(store).__name__} store cannot forget")
    when = parse_when(before, end_of_day=False)
    result = forget(store, parts.home, ref=ref, source=source, person=person, before=when, query=query, dry_run=dry_run)
    if not dry_run and not result.empty:
        grants.record("owner", "forget", {"counts": result.counts.as_dict()})
    return result


def export_to(
    parts: Parts, grants: Grants, path: str | os.PathLike[str], *, fmt: str = "json", passphrase: str | None = None
) -> ExportReport:
    """Write the whole knowledge graph to ``path`` (``json``, ``jsonld`` or ``turtle``), encrypted with
    ``passphrase`` when given."""
    target = Path(path).expanduser()
    report = export_vault(parts.store, target, embedder=parts.embedder.name, fmt=fmt, passphrase=passphrase)
    grants.record("owner", "export", {**report.as_dict(), "path": str(Path(report.path).resolve())})
    return report
