"""The job queue: a Dramatiq broker on Redis, and each job's progress kept next to it in Redis.

``KNOWME_BROKER`` names the Redis server (``redis://host:port/db``, default ``redis://127.0.0.1:6379/0``). Messages
carry only references: the job id, the service user's name, a step number; the paths to read are kept once in the
job's hash. Record text, keys and tokens never go to Redis: a worker reads the files and opens the user's store itself.

Job state lives in Redis under ``knowme:job:<id>`` (a hash: user, paths, state, counts of steps), with sets of the
steps done, one outcome per batch (written once, ``SET NX``, so that a retried batch keeps the first attempt's
counts) and the problems met. ``knowme:jobs`` orders the jobs by creation time. Edge cases: a Redis server that
cannot be reached is a :class:`BrokerUnreachable` (exit 3) whose message never carries a password; an unknown job id
is a :class:`JobNotFound` (exit 3).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import TYPE_CHECKING, Any

from knowme.config import environment
from knowme.errors import ConfigError, KnowmeError

if TYPE_CHECKING:
    import redis
    from dramatiq.brokers.redis import RedisBroker

DEFAULT_BROKER = "redis://127.0.0.1:6379/0"
QUEUE = "knowme"
PREFIX = "knowme:job:"
INDEX = "knowme:jobs"
#: A worker whose heartbeat is older than this is taken for dead and its unfinished messages are delivered again.
RECOVER_AFTER = 60.0
#: Attempts per step (a crash or an error each count one) before the job is marked failed.
MAX_ATTEMPTS = 5
#: How long a finished job's progress is kept in Redis.
KEEP_SECONDS = 14 * 86400


class BrokerUnreachable(KnowmeError):
    """The job broker (``KNOWME_BROKER``) refused the connection or went away."""

    exit_code = 3


class JobNotFound(KnowmeError):
    exit_code = 3


def broker_url(url: str | None = None) -> str:
    value = url or environment().broker or DEFAULT_BROKER
    if not value.startswith(("redis://", "rediss://", "unix://")):
        raise ConfigError("KNOWME_BROKER must be a redis://host:port/db URL")
    return value


def _safe(url: str) -> str:
    """The URL without its password, for messages."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    host = parts.hostname or "localhost"
    return f"{parts.scheme}://{host}:{parts.port or 6379}{parts.path}"


@cache
def get_broker(url: str, recover_after: float = RECOVER_AFTER) -> RedisBroker:
    """The broker for ``url``, with the middleware knowme relies on (retries with back-off, current message)."""
    import dramatiq
    from dramatiq.brokers.redis import RedisBroker
    from dramatiq.middleware import CurrentMessage

    broker = RedisBroker(
        url=url,
        heartbeat_timeout=int(recover_after * 1000),
        # look for the messages of dead workers on every fetch: a cheap query, and recovery does not wait for luck
        maintenance_chance=1_000_000,
    )
    broker.add_middleware(CurrentMessage())
    dramatiq.set_broker(broker)
    return broker


def client(url: str | None = None) -> redis.Redis:
    """A Redis client for the job records; checks that the server answers."""
    import redis as redis_lib

    target = broker_url(url)
    conn = redis_lib.Redis.from_url(target, decode_responses=True)
    try:
        conn.ping()
    except redis_lib.RedisError:
        raise BrokerUnreachable(f"the job broker at {_safe(target)} cannot be reached (KNOWME_BROKER)") from None
    return conn


@dataclass
class JobStatus:
    """What a job is doing: its steps (plan, one store step per batch, one graph step per batch, finish)."""

    id: str
    user: str
    kind: str
    state: str  # queued | running | done | failed
    created_at: datetime
    updated_at: datetime
    paths: list[str]
    steps_total: int
    steps_done: int
    report: dict[str, Any] = field(default_factory=dict)
    problems: list[dict[str, str]] = field(default_factory=list)
    error: str | None = None
    retries: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "user": self.user,
            "kind": self.kind,
            "state": self.state,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
            "paths": self.paths,
            "steps_total": self.steps_total,
            "steps_done": self.steps_done,
            "report": self.report,
            "problems": self.problems,
            "error": self.error,
            "retries": self.retries,
        }


class Jobs:
    """The job records in Redis (no record text, no keys: references, counts and one-line problems)."""

    def __init__(self, conn: redis.Redis) -> None:
        self.r = conn

    def key(self, job_id: str, *parts: object) -> str:
        return PREFIX + ":".join([job_id, *map(str, parts)])

    def create(self, user: str, paths: Sequence[str], *, include_forgotten: bool) -> str:
        job_id = uuid.uuid4().hex[:16]
        now = time.time()
        self.r.hset(
            self.key(job_id),
            mapping={
                "user": user,
                "kind": "ingest",
                "state": "queued",
                "paths": json.dumps(list(paths)),
                "include_forgotten": int(include_forgotten),
                "created": now,
                "updated": now,
                "steps_total": 2,
            },
        )
        self.r.zadd(INDEX, {job_id: now})
        return job_id

    def info(self, job_id: str) -> dict[str, str]:
        raw = self.r.hgetall(self.key(job_id))
        if not raw:
            raise JobNotFound(f"no job {job_id!r} (see `knowme jobs`)")
        return {str(k): str(v) for k, v in raw.items()}

    def set(self, job_id: str, **fields: object) -> None:
        self.r.hset(self.key(job_id), mapping={**{k: str(v) for k, v in fields.items()}, "updated": time.time()})

    def attempt(self, job_id: str, step: str) -> int:
        """Count one more attempt at ``step`` (a redelivery after a crash counts too); the number so far."""
        return int(self.r.hincrby(self.key(job_id, "attempts"), step, 1))

    def claim(self, job_id: str, step: str, message_id: str) -> bool:
        """Whether this message may run ``step``: the first message to ask owns it (a redelivery has the same id)."""
        key = self.key(job_id, "owner", step)
        self.r.set(key, message_id, nx=True)
        owner = self.r.get(key)
        return owner is not None and str(owner) == message_id

    def mark_done(self, job_id: str, stage: str, index: int) -> int:
        """Mark step ``index`` of ``stage`` done; how many of the stage are done."""
        key = self.key(job_id, stage)
        self.r.sadd(key, index)
        self.r.hset(self.key(job_id), "updated", time.time())
        return int(self.r.scard(key))

    def is_done(self, job_id: str, stage: str, index: int) -> bool:
        return bool(self.r.sismember(self.key(job_id, stage), str(index)))

    def save_outcome(self, job_id: str, index: int, outcome: dict[str, Any]) -> dict[str, Any]:
        """Keep the first outcome of batch ``index`` (a retry computes it again after the store changed)."""
        key = self.key(job_id, "outcome", index)
        self.r.set(key, json.dumps(outcome), nx=True)
        return self.outcome(job_id, index) or outcome

    def outcome(self, job_id: str, index: int) -> dict[str, Any] | None:
        raw = self.r.get(self.key(job_id, "outcome", index))
        return None if raw is None else dict(json.loads(raw))

    def add_problems(self, job_id: str, problems: Sequence[dict[str, str]]) -> None:
        if problems:
            self.r.rpush(self.key(job_id, "problems"), *[json.dumps(p) for p in problems])

    def fail(self, job_id: str, reason: str) -> None:
        self.set(job_id, state="failed", error=reason.splitlines()[0][:300] if reason else "failed")

    def status(self, job_id: str) -> JobStatus:
        info = self.info(job_id)
        batches = int(info.get("batches", 0))
        done = (
            int("planned" in info)
            + int(self.r.scard(self.key(job_id, "stored")))
            + int(self.r.scard(self.key(job_id, "graphed")))
            + int(info.get("state") == "done")
        )
        problems = [json.loads(p) for p in self.r.lrange(self.key(job_id, "problems"), 0, -1)]
        attempts = self.r.hgetall(self.key(job_id, "attempts"))
        return JobStatus(
            id=job_id,
            user=info["user"],
            kind=info.get("kind", "ingest"),
            state=info.get("state", "queued"),
            created_at=datetime.fromtimestamp(float(info["created"]), UTC),
            updated_at=datetime.fromtimestamp(float(info["updated"]), UTC),
            paths=json.loads(info.get("paths", "[]")),
            steps_total=2 + 2 * batches,
            steps_done=done,
            report=json.loads(info["report"]) if "report" in info else {},
            problems=problems,
            error=info.get("error"),
            retries=sum(max(0, int(v) - 1) for v in attempts.values()),
        )

    def list(self, *, user: str | None = None, limit: int = 50) -> list[JobStatus]:
        found = []
        for raw in self.r.zrevrange(INDEX, 0, -1):
            job_id = str(raw)
            try:
                job = self.status(job_id)
            except JobNotFound:  # expired
                self.r.zrem(INDEX, job_id)
                continue
            if user is None or job.user == user:
                found.append(job)
            if len(found) >= limit:
                break
        return found

    def expire(self, job_id: str) -> None:
        """Let a finished job's records go after :data:`KEEP_SECONDS`."""
        for key in self.r.scan_iter(match=self.key(job_id) + "*"):
            self.r.expire(key, KEEP_SECONDS)


def current_user(user: str | None = None) -> str:
    env = environment()
    name = (user or env.user or "").strip()
    if not env.store:
        raise ConfigError("jobs run on the vault service: set KNOWME_STORE=postgresql://... and KNOWME_USER")
    if not name:
        raise ConfigError("set KNOWME_USER to the service user whose data the job is for")
    return name


def job_status(job_id: str, *, broker: str | None = None) -> JobStatus:
    return Jobs(client(broker)).status(job_id)


def list_jobs(*, user: str | None = None, broker: str | None = None, limit: int = 50) -> list[JobStatus]:
    """The latest jobs, newest first; only ``user``'s when given."""
    return Jobs(client(broker)).list(user=user, limit=limit)


def wait(job_id: str, *, timeout: float = 600.0, broker: str | None = None) -> JobStatus:
    """Block until the job is done or failed (or ``timeout`` seconds passed); its status."""
    jobs = Jobs(client(broker))
    deadline = time.monotonic() + timeout
    while True:
        status = jobs.status(job_id)
        if status.state in ("done", "failed") or time.monotonic() > deadline:
            return status
        time.sleep(0.2)
