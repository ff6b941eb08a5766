"""``knowme eval``: measure retrieval on public benchmarks through the normal ingest and search path."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

eval_app = typer.Typer(help="Measure knowme on public benchmarks.", no_args_is_help=True)


@eval_app.command("locomo")
def locomo(
    data: Annotated[Path, typer.Option("--data", help="A LoCoMo conversation file or a folder of conv-*.json.")],
    out_path: Annotated[
        Path | None, typer.Option("--out", help="Write the JSON report here (default: locomo-report.json).")
    ] = None,
    work: Annotated[
        Path | None,
        typer.Option("--work", help="Keep transcripts and vaults here and reuse them (default: a temporary folder)."),
    ] = None,
    systems: Annotated[
        list[str] | None, typer.Option("--system", help="Systems to measure (default: knowme, bm25, dense).")
    ] = None,
    limit: Annotated[
        int | None, typer.Option("--limit", help="Only the first N questions of each conversation.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON instead of tables.")] = False,
) -> None:
    """Turn-level retrieval on LoCoMo: any@k, all@k, NDCG@10, MRR, budget recall, latency, abstention."""
    from knowme.eval.locomo import SYSTEMS, format_table, run
    from knowme.interfaces.cli import err, out

    chosen = tuple(systems) if systems else tuple(SYSTEMS)
    with tempfile.TemporaryDirectory(prefix="knowme-locomo-") as scratch:
        folder = work or Path(scratch)
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err,
            transient=True,
            disable=as_json or not err.is_terminal,
        ) as progress:
            report = run(data, folder, systems=chosen, limit=limit, progress=progress, log=err.print)
    target = out_path or Path("locomo-report.json")
    target.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    if as_json:
        out.print_json(json.dumps(report))
        return
    rows = format_table(report)
    table = Table(title="LoCoMo, turn level", show_lines=False, width=max(out.width, 150))
    for column in rows[0]:
        table.add_column(column, justify="left" if column in ("system", "category") else "right")
    for row in rows[1:]:
        table.add_row(*row)
    out.print(table)
    for name, system in report["systems"].items():
        latency = system["latency_ms"]
        auc = system["abstention_auc"]
        out.print(
            f"{name}: search p50 {latency['p50']:.1f} ms, p95 {latency['p95']:.1f} ms; abstention AUC {auc:.3f}"
            if auc is not None
            else f"{name}: search p50 {latency['p50']:.1f} ms"
        )
    out.print(f"report written to {target}")
