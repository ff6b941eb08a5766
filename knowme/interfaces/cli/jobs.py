"""``knowme worker`` and ``knowme jobs [status ID]``: the workers and the queued jobs of a vault service.

``knowme ingest --queue PATH...`` (in :mod:`knowme.interfaces.cli`) queues an ingest and prints its job id; a worker
(``knowme worker``, as many as you like, on any machine that sees the files and has ``KNOWME_STORE``, ``KNOWME_KEK``
and ``KNOWME_BROKER``) does the work. ``knowme jobs`` lists the latest jobs (only ``KNOWME_USER``'s when it is set),
``knowme jobs status ID`` shows one (``--wait`` blocks until it is done; exit 1 when it failed).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from knowme.config import environment
from knowme.errors import ConfigError
from knowme.ingest.jobs.queue import JobStatus
from knowme.interfaces.console import JsonOpt, err, out

BrokerOpt = Annotated[
    str | None, typer.Option("--broker", help="Redis URL of the job broker (default: $KNOWME_BROKER).")
]

jobs_app = typer.Typer(help="Queued jobs: list them, or `jobs status ID` for one.", no_args_is_help=False)


def _progress(job: JobStatus) -> str:
    return f"{job.steps_done}/{job.steps_total}" if job.steps_total else "-"


@jobs_app.callback(invoke_without_command=True)
def jobs(
    ctx: typer.Context,
    user: Annotated[str | None, typer.Option("--user", help="Only this user's jobs (default: $KNOWME_USER).")] = None,
    limit: Annotated[int, typer.Option("--limit", help="How many of the latest jobs.")] = 20,
    broker: BrokerOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List the latest queued jobs, newest first."""
    if ctx.invoked_subcommand is not None:
        return
    from knowme.ingest.jobs import list_jobs

    found = list_jobs(user=user or environment().user, broker=broker, limit=limit)
    if as_json:
        out.print_json(json.dumps([j.as_dict() for j in found]))
        return
    if not found:
        out.print("No jobs.")
        return
    table = Table("job", "user", "state", "steps", "created", "problems")
    for job in found:
        created = job.created_at.isoformat(timespec="seconds")
        table.add_row(job.id, job.user, job.state, _progress(job), created, str(len(job.problems)))
    out.print(table)


@jobs_app.command("status")
def status(
    job_id: Annotated[str, typer.Argument(help="The id `knowme ingest --queue` printed.")],
    wait: Annotated[
        float | None, typer.Option("--wait", help="Wait up to this many seconds for the job to end.")
    ] = None,
    broker: BrokerOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """One job: state, steps done, the ingest report when it is done, problems and failures."""
    from knowme.ingest.jobs import job_status
    from knowme.ingest.jobs import wait as wait_for

    job = wait_for(job_id, timeout=wait, broker=broker) if wait else job_status(job_id, broker=broker)
    if as_json:
        out.print_json(json.dumps(job.as_dict()))
    else:
        out.print(f"job {job.id} for {job.user}: {job.state}, {_progress(job)} steps", markup=False)
        if job.retries:
            out.print(f"retried steps: {job.retries}", markup=False)
        for key in ("added", "updated", "unchanged", "forgotten"):
            counts = job.report.get(key) or {}
            if counts:
                out.print(f"{key}: " + ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items())), markup=False)
        if job.report:
            out.print(f"chunks: {job.report.get('chunks', 0)}", markup=False)
        for problem in job.problems + list(job.report.get("problems", [])):
            out.print(f"problem: {problem['where']}: {problem['reason']}", markup=False, highlight=False)
        if job.error:
            out.print(f"error: {job.error}", markup=False, highlight=False)
    if job.state == "failed":
        raise typer.Exit(1)


def worker(
    threads: Annotated[int, typer.Option("--threads", help="Steps this process runs at once.")] = 1,
    recover_after: Annotated[
        float,
        typer.Option("--recover-after", help="Seconds without a heartbeat before a worker's messages are retried."),
    ] = 60.0,
    home: Annotated[
        Path | None, typer.Option("--home", help="Folder of the settings (embedder...; default: $KNOWME_HOME).")
    ] = None,
    broker: BrokerOpt = None,
) -> None:
    """Run a worker: take queued job steps until stopped (SIGTERM or Ctrl-C finish the steps in hand)."""
    from knowme.ingest.jobs import run_worker

    if not environment().store:
        raise ConfigError("a worker needs the vault service: set KNOWME_STORE=postgresql://... and KNOWME_KEK")
    if threads < 1 or recover_after <= 0:
        raise ConfigError("--threads must be at least 1 and --recover-after above 0")
    if home is not None:
        os.environ["KNOWME_HOME"] = str(home)
    run_worker(
        threads=threads,
        recover_after=recover_after,
        broker=broker,
        on_ready=lambda: err.print(f"worker {os.getpid()} ready", highlight=False),
    )


def register(app: typer.Typer) -> None:
    app.add_typer(jobs_app, name="jobs")
    app.command("worker")(worker)
