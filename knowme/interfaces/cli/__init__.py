"""The ``knowme`` command.

One handler (:func:`main`) turns every :class:`~knowme.errors.KnowmeError` into one friendly line on stderr and the
error's exit code; tracebacks are for bugs only.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import click
import typer
from rich.markup import escape

from knowme.errors import KnowmeError
from knowme.interfaces.console import AsOfOpt, HomeOpt, JsonOpt, err, open_vault, out, print_answer, print_report
from knowme.interfaces.console import progress as progress_bar
from knowme.interfaces.serialise import answer_json, hit_json
from knowme.opening import create
from knowme.store.choose import refuse_in_service_mode
from knowme.store.keys import keyring_set, resolve_passphrase

app = typer.Typer(
    name="knowme",
    help="knowme: the AI that knows you. An encrypted, local personal knowledge vault with cited answers.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.command()
def init(
    home: HomeOpt = None,
    keyring: Annotated[bool, typer.Option("--keyring", help="Also keep the passphrase in the OS keyring.")] = False,
) -> None:
    """Create a new encrypted vault (asks for a passphrase unless KNOWME_PASSPHRASE is set)."""
    import knowme.config

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
        from knowme.ingest.jobs import enqueue_ingest

        job_id = enqueue_ingest(paths, include_forgotten=include_forgotten)
        if as_json:
            out.print_json(json.dumps({"job": job_id}))
        else:
            out.print(job_id, markup=False)
        return
    with open_vault(home) as vault, progress_bar(not as_json) as hook:
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
    with open_vault(home) as vault:
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
    with open_vault(home) as vault:
        if backend:
            vault.choose_backend(backend)
        result = vault.ask(question, as_of=as_of, challenge=challenge)
    if as_json:
        out.print_json(json.dumps(answer_json(result)))
        return
    print_answer(result, out)


@app.command()
def status(home: HomeOpt = None, as_json: JsonOpt = False) -> None:
    """Show what the vault holds."""
    with open_vault(home) as vault:
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
    from knowme.interfaces.cli.demo import run_demo

    run_demo(home=home, backend=backend, fresh=not keep, console=out)


def _register_subcommands() -> None:
    from knowme.interfaces.cli import graph, jobs, learn, pending, persona, privacy, server, sources, users
    from knowme.interfaces.cli.eval import eval_app

    graph.register(app)
    privacy.register(app)  # forget, passphrase, lock/unlock, export, import, grant, audit
    server.register(app)
    persona.register(app)
    sources.register(app)
    users.register(app)
    learn.register(app)  # learn voice, learn status, learn export-adapter
    jobs.register(app)
    pending.register(app)  # pending, pending approve, pending reject
    app.add_typer(eval_app, name="eval")


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
