"""The ``knowme`` command.

One handler (:func:`main`) turns every :class:`~knowme.errors.KnowmeError` into one friendly line on stderr and the
error's exit code; tracebacks are for bugs only.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import click
import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from knowme.assist.enforce import compliance_dict
from knowme.errors import KnowmeError
from knowme.models import Answer, Hit, IngestReport

app = typer.Typer(
    name="knowme",
    help="knowme: the AI that knows you. An encrypted, local personal knowledge vault with cited answers.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console()
err = Console(stderr=True)

HomeOpt = Annotated[
    Path | None, typer.Option("--home", help="Data folder (default: $KNOWME_HOME or the platform data folder).")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
AsOfOpt = Annotated[str | None, typer.Option("--as-of", help="Ignore items dated after this date (YYYY-MM-DD).")]


def _open(home: Path | None, *, create: bool = False) -> Any:
    import knowme

    return knowme.open(home, create=create)


@contextmanager
def _progress(enabled: bool) -> Iterator[Any]:
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


def hit_json(hit: Hit) -> dict[str, Any]:
    return {
        "ref": hit.ref,
        "kind": hit.kind,
        "source": hit.source,
        "timestamp": hit.timestamp.isoformat() if hit.timestamp else None,
        "title": hit.title,
        "author": hit.author,
        "anchor": hit.anchor,
        "score": round(hit.score, 6),
        "text": hit.text,
    }


def answer_json(answer: Answer) -> dict[str, Any]:
    return {
        "text": answer.text,
        "citations": answer.citations,
        "backend": answer.backend,
        "evidence": [hit_json(h) for h in answer.evidence],
        "preferences": [
            {"id": p.id, "statement": p.statement, "scope": p.scope, "origin": p.origin, "refs": list(p.refs)}
            for p in answer.preferences
        ],
        "counterpoint": answer.counterpoint,
        "counterpoint_refs": answer.counterpoint_refs,
        "compliance": compliance_dict(answer.compliance),
    }


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


@app.command()
def init(
    home: HomeOpt = None,
    keyring: Annotated[bool, typer.Option("--keyring", help="Also keep the passphrase in the OS keyring.")] = False,
) -> None:
    """Create a new encrypted vault (asks for a passphrase unless KNOWME_PASSPHRASE is set)."""
    import knowme.config
    from knowme.store.choose import refuse_in_service_mode
    from knowme.store.keys import keyring_set, resolve_passphrase
    from knowme.vault import create

    refuse_in_service_mode("`knowme init`")
    folder = knowme.config.user_dir(home)
    passphrase = resolve_passphrase(folder, None, creating=True)
    with create(folder, passphrase) as vault:
        if keyring:
            keyring_set(folder, passphrase)
        out.print(f"Created an encrypted vault in {vault.home}")


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders; the format is detected.")],
    home: HomeOpt = None,
    as_json: JsonOpt = False,
    include_forgotten: Annotated[
        bool, typer.Option("--include-forgotten", help="Take back items you told knowme to forget.")
    ] = False,
    queue: Annotated[
        bool, typer.Option("--queue", help="Queue the ingest for `knowme worker` processes; print the job id.")
    ] = False,
) -> None:
    """Read email, calendar, contacts, notes, chats and browser history into the vault."""
    if queue:
        from knowme.jobs import enqueue_ingest

        job_id = enqueue_ingest(paths, include_forgotten=include_forgotten)
        if as_json:
            out.print_json(json.dumps({"job": job_id}))
        else:
            out.print(job_id, markup=False)
        return
    with _open(home) as vault, _progress(not as_json) as hook:
        report = vault.ingest(paths, progress=hook, include_forgotten=include_forgotten)
    if as_json:
        out.print_json(json.dumps(report.as_dict()))
    else:
        print_report(report, out)
    if report.total == 0 and (report.problems or report.skipped_paths):
        raise typer.Exit(1)


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="What to look for.")],
    k: Annotated[int, typer.Option("-k", help="How many results.")] = 10,
    as_of: AsOfOpt = None,
    kind: Annotated[list[str] | None, typer.Option("--kind", help="Only this kind (repeatable).")] = None,
    source: Annotated[list[str] | None, typer.Option("--source", help="Only sources starting with this.")] = None,
    since: Annotated[str | None, typer.Option("--since", help="Only items on or after this date.")] = None,
    until: Annotated[str | None, typer.Option("--until", help="Only items on or before this date.")] = None,
    preset: Annotated[str, typer.Option("--preset", help="hybrid, rrf, bm25 or dense.")] = "hybrid",
    rerank: Annotated[
        bool, typer.Option("--rerank", help="Reorder the top hits with the reranker, as ask does (slower).")
    ] = False,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Search the vault (BM25 + vectors, fused); every hit shows its source reference."""
    with _open(home) as vault:
        hits = vault.search(
            query, k=k, as_of=as_of, kinds=kind or (), sources=source or (), since=since, until=until, preset=preset,
            rerank=rerank,
        )  # fmt: skip
    if as_json:
        out.print_json(json.dumps([hit_json(h) for h in hits]))
        return
    if not hits:
        out.print("No results.")
    for i, hit in enumerate(hits, 1):
        when = hit.timestamp.strftime("%Y-%m-%d") if hit.timestamp else "undated"
        out.print(
            f"[bold]{i}. {hit.title or hit.ref}[/bold]  [dim]{hit.kind} · {when} · {hit.ref}[/dim]", highlight=False
        )
        snippet = " ".join(hit.text.split())
        out.print(f"   {snippet[:240]}{'…' if len(snippet) > 240 else ''}", markup=False, highlight=False)


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="A question about your own data.")],
    as_of: AsOfOpt = None,
    backend: Annotated[
        str | None, typer.Option("--backend", help="embedded, openai or extractive (overrides config.toml).")
    ] = None,
    challenge: Annotated[
        bool, typer.Option("--challenge", help="For advice questions, add a counterpoint from your own history.")
    ] = False,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Answer a question from your data, with citations and the evidence shown."""
    with _open(home) as vault:
        if backend:
            vault.choose_backend(backend)
        result = vault.ask(question, as_of=as_of, challenge=challenge)
    if as_json:
        out.print_json(json.dumps(answer_json(result)))
        return
    print_answer(result, out)


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


@app.command()
def status(home: HomeOpt = None, as_json: JsonOpt = False) -> None:
    """Show what the vault holds."""
    with _open(home) as vault:
        stats = vault.stats()
    if as_json:
        out.print_json(json.dumps(stats))
        return
    out.print(f"Vault: {stats['home']}  ({int(stats['vault_bytes']) / 1e6:.1f} MB, {stats['chunks']} chunks)")  # type: ignore[call-overload]
    records: dict[str, int] = stats["records"]  # type: ignore[assignment]
    for kind, n in records.items():
        out.print(f"  {kind:14} {n}")


@app.command()
def demo(
    home: HomeOpt = None,
    backend: Annotated[str, typer.Option("--backend", help="Model for the answers.")] = "embedded",
    keep: Annotated[
        bool, typer.Option("--keep", help="Keep an existing demo vault instead of starting fresh.")
    ] = False,
) -> None:
    """Generate a sample life, ingest it into a fresh encrypted vault, and answer questions about it (offline)."""
    from knowme.demo.run import run_demo

    run_demo(home=home, backend=backend, fresh=not keep, console=out)


def _register_subcommands() -> None:
    from knowme.interfaces import (
        graph_cli,
        jobs_cli,
        learn_cli,
        pending_cli,
        persona_cli,
        privacy_cli,
        server_cli,
        sources_cli,
        users_cli,
    )
    from knowme.interfaces.cli_eval import eval_app

    graph_cli.register(app)
    privacy_cli.register(app)  # forget, passphrase, lock/unlock, export, import, grant, audit
    server_cli.register(app)
    persona_cli.register(app)
    sources_cli.register(app)
    users_cli.register(app)
    learn_cli.register(app)  # learn voice, learn status, learn export-adapter
    jobs_cli.register(app)
    pending_cli.register(app)  # pending, pending approve, pending reject
    app.add_typer(eval_app, name="eval")


if __name__ != "__main__":  # run as a script, this file only hands over to the imported module (below)
    _register_subcommands()


def main(argv: list[str] | None = None) -> None:
    command = typer.main.get_command(app)
    try:
        code = command.main(args=argv, prog_name="knowme", standalone_mode=False)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.Abort:
        err.print("Aborted.")
        sys.exit(130)
    except KeyboardInterrupt:
        err.print("Interrupted; everything committed so far is kept.")
        sys.exit(130)
    except KnowmeError as exc:
        err.print(f"[bold red]error:[/bold red] {escape(str(exc))}", highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":  # pragma: no cover - `python -m knowme.interfaces.cli`: one module, not two copies
    from knowme.interfaces.cli import main as _main

    _main()
