"""The Dramatiq actors behind a queued ingest, and :func:`run_worker` (``knowme worker``).

Each actor takes only references (job id, step number); the job's user and paths are read from the job's record in
Redis. A worker opens the user's store in the vault service for each step (``KNOWME_STORE``, the operator's
``KNOWME_KEK`` from the worker's environment; the settings, e.g. the embedder, from ``KNOWME_HOME``) and closes it
after; the embedder is loaded once per worker process.

Failures: a step that raises is retried by Dramatiq with exponential back-off (2 s doubling up to 5 min); a worker
that dies (even by SIGKILL) stops its heartbeat and, after ``recover_after`` seconds, any live worker delivers its
unfinished messages again. Both count as attempts; after :data:`~knowme.ingest.jobs.queue.MAX_ATTEMPTS` at one
step the job is marked failed. Errors that another attempt cannot fix (an unknown user, a bad setting) fail the
job at once.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from knowme.config import environment
from knowme.errors import BackendError, IngestError, KnowmeError, StoreUnreachable
from knowme.ingest.jobs import steps
from knowme.ingest.jobs.queue import (
    MAX_ATTEMPTS,
    QUEUE,
    RECOVER_AFTER,
    BrokerUnreachable,
    Jobs,
    broker_url,
    client,
    current_user,
    get_broker,
)

if TYPE_CHECKING:
    import dramatiq
    from dramatiq.brokers.redis import RedisBroker

    from knowme.config import Settings
    from knowme.llm.embedders import Embedder

#: Errors worth another attempt (the database or a model was briefly away); other KnowmeErrors fail the job.
TRANSIENT = (StoreUnreachable, BackendError, BrokerUnreachable)
TIME_LIMIT_MS = 3_600_000
_active: list[RedisBroker] = []  # the broker of the worker running in this process, if any


@cache
def _settings_and_embedder() -> tuple[Settings, Embedder]:
    from knowme.config import load_settings, user_dir
    from knowme.llm.embedders import make_embedder

    settings = load_settings(user_dir(None))
    return settings, make_embedder(settings)


@cache
def _service(url: str, dim: int) -> Any:
    from knowme.store.service import service_from_env

    return service_from_env(dim=dim)


@contextmanager
def _context(user: str) -> Iterator[steps.Context]:
    settings, embedder = _settings_and_embedder()
    store = _service(environment().store or "", embedder.dim).open_store(user, dim=embedder.dim)
    try:
        yield steps.Context(store, embedder, settings)
    finally:
        store.close()


def _jobs() -> Jobs:
    return Jobs(client())


def _actors() -> dict[str, dramatiq.Actor[Any, Any]]:
    return declare(_active[0] if _active else get_broker(broker_url()))


def _message_id() -> str:
    from dramatiq.middleware import CurrentMessage

    message = CurrentMessage.get_current_message()
    return message.message_id if message is not None else ""


def _guarded(name: str, body: Callable[[Jobs, str, dict[str, str], int], None]) -> Callable[[str, int], None]:
    """Wrap a step: count the attempt, give up after too many, fail the job on errors retrying cannot fix."""

    def step(job_id: str, index: int = 0) -> None:
        jobs = _jobs()
        info = jobs.info(job_id)
        if info.get("state") in ("done", "failed"):
            return
        label = f"{name}:{index}"
        if jobs.attempt(job_id, label) > MAX_ATTEMPTS:
            jobs.fail(job_id, f"step {label} did not complete in {MAX_ATTEMPTS} attempts")
            return
        if info.get("state") == "queued":
            jobs.set(job_id, state="running")
        try:
            body(jobs, job_id, info, index)
        except TRANSIENT:
            raise  # retried with back-off
        except KnowmeError as exc:
            jobs.fail(job_id, f"{label}: {exc}")
        except Exception as exc:
            jobs.set(job_id, error=f"{label}: {type(exc).__name__}: {str(exc)[:200]}")
            raise

    step.__name__ = f"knowme_{name}"
    return step


def _problems(items: list[Any]) -> list[dict[str, str]]:
    return [{"where": p.where, "reason": p.reason} for p in items]


def _plan(jobs: Jobs, job_id: str, info: dict[str, str], index: int) -> None:
    import json

    if "planned" in info:
        return
    with _context(info["user"]) as ctx:
        batches, problems, skipped = steps.plan(ctx, json.loads(info["paths"]))
    jobs.add_problems(job_id, _problems(problems))
    jobs.set(job_id, batches=len(batches), order=json.dumps(batches), skipped=json.dumps(_problems(skipped)))
    actors = _actors()
    for n in range(len(batches)):
        actors["store"].send(job_id, n)
    if not batches:
        actors["finish"].send(job_id, 0)
    jobs.set(job_id, planned=1)


def _store(jobs: Jobs, job_id: str, info: dict[str, str], index: int) -> None:
    import json

    order = json.loads(info["order"])
    total = len(order)
    if not jobs.is_done(job_id, "stored", index):
        ci, b = order[index]
        paths = json.loads(info["paths"])
        with _context(info["user"]) as ctx:
            records = steps.batch_records(ctx, paths, ci, b)
            steps.store_batch(
                ctx,
                records,
                include_forgotten=info.get("include_forgotten") == "1",
                save=lambda outcome: jobs.save_outcome(job_id, index, outcome),
            )
    if jobs.mark_done(job_id, "stored", index) == total:
        _actors()["graph"].send(job_id, 0)


def _graph(jobs: Jobs, job_id: str, info: dict[str, str], index: int) -> None:
    import json

    if not jobs.claim(job_id, f"graph:{index}", _message_id()):
        return  # a duplicate: another message owns this step
    order = json.loads(info["order"])
    if not jobs.is_done(job_id, "graphed", index):
        outcome = jobs.outcome(job_id, index) or {"graph": []}
        wanted = list(outcome["graph"])
        if wanted:
            ci, b = order[index]
            with _context(info["user"]) as ctx:
                by_id = {r.id: r for r in steps.batch_records(ctx, json.loads(info["paths"]), ci, b)}
                records = [by_id[i] for i in wanted if i in by_id]
                money, problems = steps.graph_batch(ctx, records, f"{job_id}:{index}")
            jobs.add_problems(job_id, _problems(problems))
            if money:
                jobs.set(job_id, money=1)
        jobs.mark_done(job_id, "graphed", index)
    actors = _actors()
    if index + 1 < len(order):
        actors["graph"].send(job_id, index + 1)
    else:
        actors["finish"].send(job_id, 0)


def _finish(jobs: Jobs, job_id: str, info: dict[str, str], index: int) -> None:
    import json

    if not jobs.claim(job_id, "finish", _message_id()):
        return
    order = json.loads(info.get("order", "[]"))
    reports = [(jobs.outcome(job_id, n) or {}).get("report", {}) for n in range(len(order))]
    items: dict[int, int] = {}
    for (ci, _), report in zip(order, reports, strict=True):
        items[ci] = items.get(ci, 0) + steps.report_total(report)
    with _context(info["user"]) as ctx:
        problems = steps.finish(ctx, json.loads(info["paths"]), info.get("money") == "1", items)
    jobs.add_problems(job_id, _problems(problems))
    report = steps.merge_reports(reports)
    report["skipped_paths"] = json.loads(info.get("skipped", "[]"))
    jobs.set(job_id, state="done", report=json.dumps(report))
    jobs.expire(job_id)


_BODIES = {"plan": _plan, "store": _store, "graph": _graph, "finish": _finish}


@cache
def declare(broker: RedisBroker) -> dict[str, dramatiq.Actor[Any, Any]]:
    """The actors on ``broker`` (declared once per broker)."""
    import dramatiq

    return {
        name: dramatiq.actor(
            actor_name=f"knowme_{name}",
            queue_name=QUEUE,
            broker=broker,
            max_retries=MAX_ATTEMPTS,
            min_backoff=2_000,
            max_backoff=300_000,
            time_limit=TIME_LIMIT_MS,
        )(_guarded(name, body))
        for name, body in _BODIES.items()
    }


def enqueue_ingest(
    paths: Sequence[str | os.PathLike[str]],
    *,
    user: str | None = None,
    include_forgotten: bool = False,
    broker: str | None = None,
) -> str:
    """Queue an ingest of ``paths`` for ``user`` (default ``KNOWME_USER``) and return the job id.

    The workers must see the same paths (one machine, or a shared folder); the files must stay put until the job is
    done. The job itself is split into steps any worker may take: plan, store each batch, graph each batch, finish.
    """
    name = current_user(user)
    absolute = [Path(p).expanduser().resolve() for p in paths]
    missing = [str(p) for p in absolute if not p.exists()]
    if missing:
        raise IngestError(f"not found: {', '.join(missing)}")
    url = broker_url(broker)
    jobs = Jobs(client(url))
    job_id = jobs.create(name, [str(p) for p in absolute], include_forgotten=include_forgotten)
    declare(get_broker(url))["plan"].send(job_id)
    return job_id


def run_worker(
    *,
    threads: int = 1,
    recover_after: float = RECOVER_AFTER,
    broker: str | None = None,
    stop: threading.Event | None = None,
    on_ready: Callable[[], None] | None = None,
) -> None:
    """Take jobs until SIGTERM/SIGINT (or ``stop`` is set); finishes the steps in hand before returning."""
    from dramatiq import Worker

    url = broker_url(broker)
    client(url)  # a clear error now rather than a retry loop later
    _settings_and_embedder()[1].embed(["warm up"], batch_size=1)  # load the model before taking work
    redis_broker = get_broker(url, recover_after)
    declare(redis_broker)
    _active[:] = [redis_broker]
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
    worker = Worker(redis_broker, worker_threads=threads)
    # take one message per thread: no hoarding, so that a new worker gets work at once; the delay queue's consumer
    # keeps polling, which keeps this worker's heartbeat going while its threads are busy
    worker.queue_prefetch = threads
    worker.start()
    if on_ready is not None:
        on_ready()
    try:
        stop.wait()
    finally:
        worker.stop()
