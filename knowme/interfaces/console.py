"""What every ``knowme`` command shares: the two consoles, the common options, the progress bar, opening the vault,
and the printers of an ingest report and an answer (the demo uses them too)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from knowme.models import Answer, IngestReport
from knowme.opening import open as open_home
from knowme.vault import Vault

out = Console()
err = Console(stderr=True)

HomeOpt = Annotated[
    Path | None, typer.Option("--home", help="Data folder (default: $KNOWME_HOME or the platform data folder).")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
AsOfOpt = Annotated[str | None, typer.Option("--as-of", help="Ignore items dated after this date (YYYY-MM-DD).")]


def open_vault(home: Path | None, *, create: bool = False) -> Vault:
    return open_home(home, create=create)


@contextmanager
def progress(enabled: bool) -> Iterator[Any]:
    if not enabled:
        yield None
        return
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err, transient=False) as bar:
        tasks: dict[str, Any] = {}

        def hook(label: str, done: int, total: int | None) -> None:
            if label not in tasks:
                tasks[label] = bar.add_task(label, total=total)
            bar.update(tasks[label], completed=done, total=total)

        yield hook


def print_report(report: IngestReport, console: Console) -> None:
    table = Table(title="Ingest report", show_edge=False)
    for col in ("kind", "added", "updated", "unchanged"):
        table.add_column(col, justify="left" if col == "kind" else "right")
    kinds = sorted(set(report.added) | set(report.updated) | set(report.unchanged))
    for kind in kinds:
        table.add_row(
            kind, str(report.added.get(kind, 0)), str(report.updated.get(kind, 0)), str(report.unchanged.get(kind, 0))
        )
    console.print(table)
    console.print(f"{report.chunks} chunks indexed in {report.seconds:.1f} s")
    if report.forgotten:
        left_out = sum(report.forgotten.values())
        console.print(f"{left_out} item(s) you had forgotten were left out (--include-forgotten takes them back)")
    if report.problems:
        console.print(f"[yellow]{len(report.problems)} item(s) could not be read:[/yellow]")
        for p in report.problems[:20]:
            console.print(f"  {p.where}: {p.reason}", markup=False, highlight=False)
        if len(report.problems) > 20:
            console.print(f"  ... and {len(report.problems) - 20} more (see --json)")
    if report.skipped_paths:
        console.print(f"[yellow]{len(report.skipped_paths)} path(s) skipped:[/yellow]")
        for p in report.skipped_paths[:20]:
            console.print(f"  {p.where}: {p.reason}", markup=False, highlight=False)


def print_answer(result: Answer, console: Console) -> None:
    console.print(result.text, markup=False, highlight=False)
    if result.citations:
        console.print("[dim]Sources:[/dim] " + ", ".join(result.citations), highlight=False)
    if result.counterpoint:
        console.print(f"{result.counterpoint} [{', '.join(result.counterpoint_refs)}]", markup=False, highlight=False)
    if result.preferences:
        rules = "; ".join(f"{p.statement} [{p.id}]" for p in result.preferences)
        console.print(f"[dim]Your rules applied:[/dim] {escape(rules)}", highlight=False)
    if result.evidence:
        console.print("[dim]Evidence:[/dim]")
        for i, hit in enumerate(result.evidence[:5], 1):
            snippet = " ".join(hit.text.split())
            console.print(f"  [{i}] {hit.ref}: {snippet[:160]}", markup=False, highlight=False)
