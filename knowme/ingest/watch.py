"""``knowme watch``: keep registered sources in sync until interrupted.

File sources are followed through filesystem events (``watchfiles``, which uses inotify/FSEvents and falls back to
polling): a change under a source's path syncs that source (changes are debounced, so a burst of new files is one
sync). Network sources are synced every ``interval`` seconds; a failing one backs off, doubling its wait up to an
hour, and returns to the normal interval after a success. Ctrl-C (SIGINT) stops between or during syncs; what was
committed is kept and the next sync resumes from the last checkpoint.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from knowme.errors import SourceError
from knowme.ingest.sync import SyncReport

if TYPE_CHECKING:
    from knowme.vault import Vault

MAX_BACKOFF = 3600.0


def _summary(report: object) -> str:

    assert isinstance(report, SyncReport)
    ing = report.ingest
    if report.error:
        return f"{report.name}: error: {report.error}"
    return (
        f"{report.name}: +{sum(ing.added.values())} ~{sum(ing.updated.values())} -{report.removed} "
        f"({report.items} items, {report.seconds:.1f} s)"
    )


def run_watch(
    vault: Vault,
    names: Sequence[str] = (),
    *,
    interval: float = 300.0,
    say: Callable[[str], None] = print,
    stop: threading.Event | None = None,
    debounce_ms: int = 300,
) -> None:
    """Sync now, then on file events and on schedule until ``stop`` is set or Ctrl-C."""
    import watchfiles

    stop = stop or threading.Event()
    entries = vault.sources()
    if names:
        unknown = set(names) - {e.name for e in entries}
        if unknown:
            raise SourceError(f"no source named {', '.join(sorted(map(repr, unknown)))}; see `knowme sources list`")
        entries = [e for e in entries if e.name in names]
    if not entries:
        raise SourceError("no sources to watch; add one with `knowme sources add PATH_OR_URI`")
    files = {e.name: Path(e.uri) for e in entries if e.kind == "files"}
    network = [e.name for e in entries if e.kind != "files"]
    due = {name: 0.0 for name in network}
    failures = dict.fromkeys(network, 0)

    def run(batch: list[str]) -> None:
        for report in vault.sync(batch):
            say(_summary(report))
            if report.name in due:
                failures[report.name] = failures[report.name] + 1 if report.error else 0
                wait = min(interval * (2 ** failures[report.name]), max(MAX_BACKOFF, interval))
                due[report.name] = time.monotonic() + wait

    try:
        vault.embedder.warm_up()  # load the model now, not when the first new message arrives
        if files:
            run(list(files))
        say(f"Watching {len(entries)} source(s); press Ctrl-C to stop.")
        watched = [p for p in files.values() if p.exists()]
        changes = (
            watchfiles.watch(
                *watched,
                stop_event=stop,
                debounce=debounce_ms,
                step=50,
                rust_timeout=1000,
                yield_on_timeout=True,
                raise_interrupt=True,
            )
            if watched
            else None
        )
        first = True
        while not stop.is_set():
            if changes is not None:
                try:
                    changed = next(changes)
                except StopIteration:
                    break
                if first:  # the watcher runs from its first step: catch what arrived since the first sync
                    first = False
                    run(list(files))
                    continue
                hit = [
                    name
                    for name, root in files.items()
                    if any(Path(path) == root or Path(path).is_relative_to(root) for _, path in changed)
                ]
                if hit:
                    run(hit)
            else:
                stop.wait(1.0)
            ready = [name for name, when in due.items() if when <= time.monotonic()]
            if ready:
                run(ready)
    except KeyboardInterrupt:
        say("Interrupted; everything committed so far is kept.")
