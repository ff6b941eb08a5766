"""Queued ingests on real workers (Dramatiq on a real Redis, the service on a real PostgreSQL): the same result as an
in-process ingest, nothing lost when a worker is killed with SIGKILL mid-job, and one user's job never touches
another's data."""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import redis

import knowme
from knowme.ingest.jobs import enqueue_ingest, job_status, list_jobs, wait
from knowme.privacy.grants import enrol
from knowme.store.service import Service
from tests.ingest.jobs.conftest import KEK_HEX, RECOVER_AFTER, Workers, free_port
from tests.samples import write_life
from tests.store.test_service import run_cli

NOTES = 160  # two batches of at most 128 records: several store and graph steps per job
PEOPLE = ["Rui", "Lena Fischer", "José Núñez", "Marta", "Tomás"]
GARBAGE = "inbox.mbox message 3"  # the sample mailbox holds one message that is not one: a problem, not a failure
TOPICS = ["the van", "the offsite agenda", "the dentist", "the flat in Porto", "the garden", "the piano lessons"]


def write_notes(folder: Path) -> None:
    folder.mkdir(parents=True)
    for n in range(NOTES):
        person, topic = PEOPLE[n % len(PEOPLE)], TOPICS[n % len(TOPICS)]
        text = f"# Note {n}\nTalked with [[{person}]] about {topic} on day {n}. Next step number {n * 7} agreed.\n"
        (folder / f"note-{n:03d}.md").write_text(text, encoding="utf-8")


def snapshot(store: Any) -> dict[str, Any]:
    """Records, chunks (text and vectors), entities, facts and commitments of one user, comparable across users."""
    records = sorted((r.id, r.content_hash) for r in store.iter_records())
    chunks = {rid: [(c.index_text, vec) for c, vec in store.record_chunks(rid)] for rid, _ in records}
    graph = store.graph()
    facts = sorted(
        (f.id, f.subject_id, f.predicate, f.object_id, f.object_value, f.valid_from, f.valid_to, f.invalidated_at)
        for f in graph.facts()
    )
    return {
        "records": records,
        "chunk_texts": {rid: [t for t, _ in cs] for rid, cs in chunks.items()},
        "vectors": {rid: np.array([v for _, v in cs]) for rid, cs in chunks.items()},
        "entities": sorted((e.id, e.type, e.name) for e in graph.entities()),
        "facts": facts,
        "commitments": sorted((c.id, c.status, c.what, c.due) for c in graph.commitments()),
    }


def assert_same(got: dict[str, Any], want: dict[str, Any]) -> None:
    assert got["records"] == want["records"]
    assert got["chunk_texts"] == want["chunk_texts"]
    for rid, vectors in want["vectors"].items():
        assert np.allclose(got["vectors"][rid], vectors, atol=1e-4)
    assert got["entities"] == want["entities"]
    assert got["facts"] == want["facts"]
    assert got["commitments"] == want["commitments"]


def user_snapshot(service_url: str, user: str) -> dict[str, Any]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KNOWME_USER", user)
        with knowme.open() as vault:
            return snapshot(vault.store)


@pytest.fixture(scope="module")
def env(worker_env: dict[str, str]) -> Iterator[dict[str, str]]:
    with pytest.MonkeyPatch.context() as mp:
        for key in [k for k in os.environ if k.startswith("KNOWME_")]:
            mp.delenv(key)
        for key in ("KNOWME_HOME", "KNOWME_STORE", "KNOWME_KEK", "KNOWME_BROKER"):
            mp.setenv(key, worker_env[key])
        mp.setenv("CI", "true")
        yield worker_env


@pytest.fixture(scope="module")
def life(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    root = tmp_path_factory.mktemp("life")
    paths = list(write_life(root / "life").values())
    write_notes(root / "journal")
    return [*paths, root / "journal"]


@pytest.fixture(scope="module")
def reference(env: dict[str, str], life: list[Path]) -> dict[str, Any]:
    """The in-process ingest of the same files, for user `solo`."""
    enrol(Service(env["KNOWME_STORE"], bytes.fromhex(KEK_HEX)), "solo")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KNOWME_USER", "solo")
        with knowme.open() as vault:
            report = vault.ingest(life)
            assert report.total >= NOTES + 8 and [p.where.split("/")[-1] for p in report.problems] == [GARBAGE]
            return snapshot(vault.store)


def add_user(env: dict[str, str], name: str) -> None:
    enrol(Service(env["KNOWME_STORE"], bytes.fromhex(KEK_HEX)), name)


def test_a_queued_ingest_gives_what_an_in_process_ingest_gives(
    env: dict[str, str], life: list[Path], reference: dict[str, Any], workers: Workers
) -> None:
    add_user(env, "queued")
    workers.start(2)
    job = enqueue_ingest(life, user="queued")
    assert job_status(job).state in ("queued", "running")
    done = wait(job, timeout=240)
    assert done.state == "done", (done.as_dict(), workers.logs())
    assert done.retries == 0  # busy workers keep their heartbeat: nothing was delivered twice
    assert done.steps_done == done.steps_total >= 2 + 2 * 3  # plan, finish, and a store and a graph step per batch
    assert sum(done.report["added"].values()) == len(reference["records"])
    assert [p["where"].split("/")[-1] for p in done.problems] == [GARBAGE]
    assert_same(user_snapshot(env["KNOWME_STORE"], "queued"), reference)
    assert [j.id for j in list_jobs(user="queued")] == [job] and job not in [j.id for j in list_jobs(user="solo")]
    # queued again: every record is unchanged and nothing moves
    again = wait(enqueue_ingest(life, user="queued"), timeout=120)
    assert again.state == "done" and not again.report["added"]
    assert sum(again.report["unchanged"].values()) == len(reference["records"])
    assert_same(user_snapshot(env["KNOWME_STORE"], "queued"), reference)


def test_a_worker_killed_mid_job_loses_nothing(
    env: dict[str, str], life: list[Path], reference: dict[str, Any], workers: Workers
) -> None:
    add_user(env, "crashy")
    running = [p for p in workers.procs if p.poll() is None] or workers.start(2)
    job = enqueue_ingest(life, user="crashy")
    r = redis.Redis.from_url(env["KNOWME_BROKER"], decode_responses=True)
    deadline = time.monotonic() + 120
    while True:  # freeze the workers while a step is in hand (begun, not done), then kill them there
        assert time.monotonic() < deadline, workers.logs()
        if any(k.startswith("store:") for k in r.hgetall(f"knowme:job:{job}:attempts")):
            for proc in running:
                proc.send_signal(signal.SIGSTOP)
            begun = r.hgetall(f"knowme:job:{job}:attempts")
            steps = [k.split(":") for k in begun if ":" in k]  # store:N, graph:N
            in_hand = [s for s in steps if not r.sismember(f"knowme:job:{job}:{s[0]}", s[1])]
            if in_hand:
                break
            for proc in running:
                proc.send_signal(signal.SIGCONT)
        time.sleep(0.01)
    workers.kill(running)  # SIGKILL: no clean-up, no ack; the steps in hand are lost with the processes
    killed_at = time.monotonic()
    assert job_status(job).state == "running"
    workers.start(1)
    done = wait(job, timeout=240)
    assert done.state == "done", (done.as_dict(), workers.logs())
    assert done.retries >= 1  # the interrupted step ran again
    assert time.monotonic() - killed_at > RECOVER_AFTER
    assert_same(user_snapshot(env["KNOWME_STORE"], "crashy"), reference)


def test_a_job_for_one_user_never_touches_another(
    env: dict[str, str],
    life: list[Path],
    reference: dict[str, Any],
    workers: Workers,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    if not any(p.poll() is None for p in workers.procs):
        workers.start(1)
    add_user(env, "ana")
    add_user(env, "ben")
    ben_notes = tmp_path / "ben"
    ben_notes.mkdir()
    (ben_notes / "secret.md").write_text("# Ben\nBen keeps the spare key under the blue flowerpot.\n", "utf-8")
    with pytest.MonkeyPatch.context() as mp:  # Ben's through the command line
        mp.setenv("KNOWME_USER", "ben")
        code, out, err = run_cli(capsys, "ingest", "--queue", str(ben_notes), "--json")
        assert code == 0, err
        job = json.loads(out)["job"]
        code, out, err = run_cli(capsys, "jobs", "status", job, "--wait", "120", "--json")
        assert code == 0 and json.loads(out)["state"] == "done" and json.loads(out)["report"]["added"] == {"note": 1}
        code, out, _ = run_cli(capsys, "jobs", "--json")
        assert [j["id"] for j in json.loads(out)] == [job]  # KNOWME_USER's jobs only
        code, out, _ = run_cli(capsys, "jobs", "status", "nosuchjob")
        assert code == 3
    ben_before = user_snapshot(env["KNOWME_STORE"], "ben")
    solo_before = user_snapshot(env["KNOWME_STORE"], "solo")
    assert len(ben_before["records"]) == 1
    done = wait(enqueue_ingest(life, user="ana"), timeout=240)
    assert done.state == "done" and done.user == "ana"
    assert_same(user_snapshot(env["KNOWME_STORE"], "ana"), reference)  # not one of Ben's records or entities
    ben_after = user_snapshot(env["KNOWME_STORE"], "ben")
    assert ben_after["records"] == ben_before["records"] and ben_after["facts"] == ben_before["facts"]
    assert ben_after["entities"] == ben_before["entities"]
    assert user_snapshot(env["KNOWME_STORE"], "solo")["records"] == solo_before["records"]
    # the broker holds references only: no sentence of anyone's files, no key
    r = redis.Redis.from_url(env["KNOWME_BROKER"])
    dump = b" ".join(r.dump(k) or b"" for k in r.keys("*"))
    assert dump and b"flowerpot" not in dump and b"Avillez" not in dump and KEK_HEX.encode() not in dump


def test_a_job_for_an_unknown_user_fails_with_a_clear_error(
    env: dict[str, str], workers: Workers, tmp_path: Path
) -> None:
    if not any(p.poll() is None for p in workers.procs):
        workers.start(1)
    (tmp_path / "n.md").write_text("# n\nhello\n", "utf-8")
    done = wait(enqueue_ingest([tmp_path / "n.md"], user="nobody"), timeout=60)
    assert done.state == "failed" and "nobody" in (done.error or "")


def test_clear_errors(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "n.md").write_text("# n\nhello\n", "utf-8")
    monkeypatch.delenv("KNOWME_STORE", raising=False)
    code, _, err = run_cli(capsys, "ingest", "--queue", str(tmp_path / "n.md"))
    assert code == 2 and "KNOWME_STORE" in err  # a personal vault has no queue
    code, _, err = run_cli(capsys, "worker")
    assert code == 2 and "KNOWME_STORE" in err
    monkeypatch.setenv("KNOWME_STORE", "postgresql://knowme:secret@127.0.0.1:1/none")
    monkeypatch.setenv("KNOWME_USER", "ana")
    code, _, err = run_cli(capsys, "ingest", "--queue", str(tmp_path / "missing.md"))
    assert code == 5 and "not found" in err
    monkeypatch.setenv("KNOWME_BROKER", f"redis://:hunter2@127.0.0.1:{free_port()}/0")
    code, _, err = run_cli(capsys, "ingest", "--queue", str(tmp_path / "n.md"))
    assert code == 3 and "cannot be reached" in err and "hunter2" not in err
    monkeypatch.setenv("KNOWME_BROKER", "http://127.0.0.1:1")
    code, _, err = run_cli(capsys, "jobs")
    assert code == 2 and "KNOWME_BROKER" in err
