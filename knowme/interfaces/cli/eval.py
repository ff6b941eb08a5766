"""``knowme eval``: measure retrieval on public benchmarks through the normal ingest and search path."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from knowme.errors import ConfigError
from knowme.interfaces.console import err, out

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
        list[str] | None,
        typer.Option("--system", help="Systems to measure (default: knowme, rerank, rrf, bm25, dense)."),
    ] = None,
    limit: Annotated[
        int | None, typer.Option("--limit", help="Only the first N questions of each conversation.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON instead of tables.")] = False,
) -> None:
    """Turn-level retrieval on LoCoMo: any@k, all@k, NDCG@10, MRR, budget recall, latency, abstention."""
    from knowme.eval.locomo import SYSTEMS, run

    chosen = tuple(systems) if systems else tuple(SYSTEMS)
    with tempfile.TemporaryDirectory(prefix="knowme-locomo-") as scratch:
        folder = work or Path(scratch)
        with _progress(as_json) as progress:
            report = run(data, folder, systems=chosen, limit=limit, progress=progress, log=err.print)
    target = out_path or Path("locomo-report.json")
    _print_report(report, target, "LoCoMo, turn level", as_json)


def _print_report(report: dict[str, Any], target: Path, title: str, as_json: bool) -> None:
    from knowme.eval.locomo import format_table

    target.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    if as_json:
        out.print_json(json.dumps(report))
        return
    rows = format_table(report)
    table = Table(title=title, show_lines=False, width=max(out.width, 150))
    for column in rows[0]:
        table.add_column(column, justify="left" if column in ("system", "category") else "right")
    for row in rows[1:]:
        table.add_row(*row)
    out.print(table)
    for name, system in report["systems"].items():
        latency = system["latency_ms"]
        auc = system.get("abstention_auc")
        out.print(
            f"{name}: search p50 {latency['p50']:.1f} ms, p95 {latency['p95']:.1f} ms; abstention AUC {auc:.3f}"
            if auc is not None
            else f"{name}: search p50 {latency['p50']:.1f} ms, p95 {latency['p95']:.1f} ms"
        )
    out.print(f"report written to {target}")


def _progress(as_json: bool) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=as_json or not err.is_terminal,
    )


@eval_app.command("refs")
def refs(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Files or folders to ingest (default: the sample life of knowme demo)."),
    ] = None,
    questions: Annotated[
        Path | None,
        typer.Option(
            "--questions",
            help="JSON Lines, one question per line: question, evidence (a list of refs), optional as_of and category.",
        ),
    ] = None,
    out_path: Annotated[
        Path | None, typer.Option("--out", help="Write the JSON report here (default: refs-report.json).")
    ] = None,
    work: Annotated[
        Path | None,
        typer.Option(
            "--work",
            help="An empty folder for the vault (default: a temporary folder); its passphrase is random unless "
            "KNOWME_EVAL_PASSPHRASE is set.",
        ),
    ] = None,
    systems: Annotated[
        list[str] | None,
        typer.Option("--system", help="Systems to measure (default: knowme, rerank, rrf, bm25, dense)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON instead of tables.")] = False,
) -> None:
    """Do the items that answer questions about your own files come back? any@k, all@k, NDCG@10, MRR, latency."""
    from knowme.config import eval_passphrase
    from knowme.eval.locomo import SYSTEMS
    from knowme.eval.refs import load_questions, run, run_demo

    if paths and questions is None:
        raise ConfigError("give --questions with the files to measure")
    if questions is not None and not paths:
        raise ConfigError("give the files or folders the questions are about")
    chosen = tuple(systems) if systems else tuple(SYSTEMS)
    passphrase = eval_passphrase()  # else a random one nobody keeps: the vault holds the user's own files
    with tempfile.TemporaryDirectory(prefix="knowme-refs-") as scratch:
        folder = work or Path(scratch)
        with _progress(as_json) as progress:
            if paths and questions is not None:
                asked = load_questions(questions)
                report = run(paths, asked, folder, name=questions.name, systems=chosen, progress=progress,
                             log=err.print, passphrase=passphrase)  # fmt: skip
            else:
                report = run_demo(folder, systems=chosen, progress=progress, log=err.print, passphrase=passphrase)
    if work is not None and passphrase is None:
        err.print(f"The vault in {work} is encrypted under a random passphrase that was not kept (set "
                  "KNOWME_EVAL_PASSPHRASE to choose one); delete it when done.")  # fmt: skip
    _print_report(report, out_path or Path("refs-report.json"), f"Search on {report['questions']}", as_json)
