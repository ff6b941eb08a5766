"""Jobs on a distributed engine (Dramatiq on Redis): queued ingests that any number of workers share.

    from knowme.ingest.jobs import enqueue_ingest, job_status, wait
    job = enqueue_ingest(["/data/alice/Mail"], user="alice")   # KNOWME_STORE, KNOWME_BROKER from the environment
    print(wait(job).report)

Workers are started with ``knowme worker`` (or :func:`run_worker`) wherever ``KNOWME_STORE``, ``KNOWME_KEK`` and
``KNOWME_BROKER`` are set and the files can be read. Jobs work on the vault service only: a personal vault is one
encrypted file that one process writes. See docs/jobs.md for the engine, the steps and what a crash costs.
"""

from __future__ import annotations

from knowme.ingest.jobs.queue import (
    BrokerUnreachable,
    JobNotFound,
    JobStatus,
    job_status,
    list_jobs,
    wait,
)
from knowme.ingest.jobs.worker import enqueue_ingest, run_worker

__all__ = [
    "BrokerUnreachable",
    "JobNotFound",
    "JobStatus",
    "enqueue_ingest",
    "job_status",
    "list_jobs",
    "run_worker",
    "wait",
]
