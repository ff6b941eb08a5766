"""Federated voice training with real Flower processes on 127.0.0.1: one aggregator and three device processes.

The demo life is split across three vaults by source: the "laptop" holds (part of) the sent mail, the "phone" the
group chats, the "tablet" the notes; a fourth, empty vault aggregates. The devices reach the aggregator
through a relay that keeps every byte (tests/learn/wiretap.py). Checks: the round completes; the aggregator received
exactly three updates of LoRA tensors with numeric metrics (its --record audit); the global adapter is stored in the
aggregating vault and in every device's vault, loads on the base model and changes its output; and no training
sentence or record hash of any device appears in the bytes that crossed the wire (while the metric names do, so the
scan would see text if there were any). Every process is stopped by the test, within a time bound.
"""

from __future__ import annotations

import json
import mailbox
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import knowme
from knowme.demo.generator import generate_life
from knowme.errors import LearnError
from knowme.learn.artifacts import ADAPTER, load_state
from knowme.learn.corpus import training_texts
from knowme.learn.federate import serve
from knowme.learn.model import attach, load_base
from tests.conftest import PASSPHRASE
from tests.learn.wiretap import WireTap

OWNER = '[user]\nname = "Sofia Almeida"\nemails = ["sofia@cobaltolabs.example", "sofia.almeida@mailbox.example"]\n'
DEADLINE = 420.0  # seconds for the whole federation: about a minute on a quiet machine, 3-5 at a load of 10


def _split_mail(source: Path, out: Path, part: int, limit: int = 24) -> Path:
    """Every other one of the first ``limit`` sent mails (``part`` 0 or 1) in a new mbox (a quicker ingest)."""
    out.mkdir(parents=True, exist_ok=True)
    box, whole = mailbox.mbox(out / "sent.mbox"), mailbox.mbox(source)
    for n, key in enumerate(whole.keys()[:limit]):
        if n % 2 == part:
            box.add(whole[key])
    box.flush()
    box.close()
    whole.close()
    return out / "sent.mbox"


def _head(source: Path, out: Path, lines: int) -> Path:
    out.write_text("".join(source.read_text(encoding="utf-8").splitlines(keepends=True)[:lines]), encoding="utf-8")
    return out


@pytest.fixture(scope="module")
def devices(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    root = tmp_path_factory.mktemp("federate")
    life = root / "life"
    generate_life(life, seed=7, year=2025)
    notes = root / "tablet-notes"
    shutil.copytree(life / "notes", notes)
    for extra in sorted(p for p in notes.rglob("*.md"))[8:]:
        extra.unlink()
    parts = {
        "laptop": [_split_mail(life / "mail" / "sent.mbox", root / "a", 0)],
        "phone": [_head(life / "chats" / "friends.chat.jsonl", root / "friends.chat.jsonl", 80)],
        "tablet": [notes],
        "aggregator": [],
    }
    homes = {}
    for name, sources in parts.items():
        homes[name] = root / name
        homes[name].mkdir()
        (homes[name] / "config.toml").write_text(OWNER, encoding="utf-8")  # each device knows its owner
        with knowme.open(homes[name], PASSPHRASE) as v:
            for source in sources:
                v.ingest(source)
    yield homes


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _cli(*args: str, home: Path) -> list[str]:
    return [sys.executable, "-m", "knowme.interfaces.cli", "learn", "federate", *args, "--home", str(home), "--json"]


def test_three_devices_federate_and_no_record_text_crosses_the_wire(devices: dict[str, Path], tmp_path: Path) -> None:
    env = {**os.environ, "KNOWME_PASSPHRASE": PASSPHRASE, "CI": "true", "PYTHONWARNINGS": "ignore"}
    port = _free_port()
    record = tmp_path / "received.jsonl"
    logs = {name: (tmp_path / f"{name}.out").open("wb") for name in ("aggregator", "laptop", "phone", "tablet")}
    server_cmd = _cli("serve", "--rounds", "1", "--clients", "3", "--port", str(port), "--local-steps", "1",
                      "--record", str(record), home=devices["aggregator"])  # fmt: skip
    procs: dict[str, subprocess.Popen[bytes]] = {}
    tap: WireTap | None = None
    until = time.monotonic() + DEADLINE
    try:
        tap = WireTap(port)  # the devices start with the aggregator and retry until it listens
        procs["aggregator"] = subprocess.Popen(server_cmd, env=env, stdout=logs["aggregator"], stderr=subprocess.STDOUT)
        for name in ("laptop", "phone", "tablet"):
            cmd = _cli("join", "--server", f"127.0.0.1:{tap.port}", home=devices[name])
            procs[name] = subprocess.Popen(cmd, env=env, stdout=logs[name], stderr=subprocess.STDOUT)
        while [p.poll() for p in procs.values()].count(None) and time.monotonic() < until:
            failed = [n for n, p in procs.items() if p.returncode not in (None, 0)]
            assert not failed, (tmp_path / f"{failed[0]}.out").read_text(errors="replace")[-3000:]
            time.sleep(0.5)
        for name, proc in procs.items():
            assert proc.returncode == 0, (tmp_path / f"{name}.out").read_text(errors="replace")[-3000:]
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=10)
        if tap is not None:
            tap.close()
        for fh in logs.values():
            fh.close()
    assert tap is not None
    report = json.loads(_json_tail(tmp_path / "aggregator.out"))
    assert report["rounds"] == 1 and report["received"] == 3 and report["rejected"] == 0
    assert report["privacy"]["federated"] is True and report["parameters"] > 0

    # what the aggregator received: three updates of LoRA tensors and numbers
    lines = [json.loads(line) for line in record.read_text().splitlines()]
    assert len(lines) == 3 and {line["round"] for line in lines} == {1}
    shapes = {json.dumps([t["shape"] for t in line["tensors"]]) for line in lines}
    assert len(shapes) == 1 and all(t["dtype"] == "float32" for line in lines for t in line["tensors"])
    counts = {}
    texts = {}
    for name in ("laptop", "phone", "tablet"):
        with knowme.open(devices[name], PASSPHRASE) as v:
            found = training_texts(v.store)
            texts[name] = found
            counts[name] = len(found)
            assert json.loads(_json_tail(tmp_path / f"{name}.out"))["saved"] is True
    assert sorted(line["num_examples"] for line in lines) == sorted(counts.values())
    for line in lines:
        assert set(line["metrics"]) == {"train_loss", "steps", "keys"}
        assert all(".lora_" in key for key in json.loads(line["metrics"]["keys"]))

    # nothing of any device's records on the wire, in either direction
    wire = bytes(tap.sent) + bytes(tap.received)
    assert len(tap.sent) > 3 * 1_000_000  # three adapter updates went up
    assert b"train_loss" in tap.sent and b"local_steps" in tap.received  # the scan sees strings in the messages
    checked = 0
    for found in texts.values():
        for item in found:
            assert item.content_hash.encode() not in wire
            for sentence in re.split(r"(?<=[.!?])\s+|\n+", item.text):
                if len(sentence.strip()) >= 24:
                    checked += 1
                    assert sentence.strip().encode() not in wire, sentence
    assert checked > 30

    # the global adapter: stored in the aggregating vault and on every device, loads, changes the model
    with knowme.open(devices["aggregator"], PASSPHRASE) as v:
        state = load_state(v.store, ADAPTER)
        status = v.learn_status()
    assert state is not None and state.privacy is not None and state.privacy["devices"] == 3
    assert status.combine == "federated" and "federation" in status.notes[0]
    for name in ("laptop", "phone", "tablet"):
        with knowme.open(devices[name], PASSPHRASE) as v:
            theirs = load_state(v.store, ADAPTER)
        assert theirs is not None and all(theirs.weights[k].equal(state.weights[k]) for k in state.weights)
    import torch

    model, tokenizer = load_base()
    ids = tokenizer("Thanks for the notes, see you Friday", return_tensors="pt")
    with torch.no_grad():
        plain = model(**ids).logits
        adapted = attach(model, state)(**ids).logits
    assert not torch.allclose(plain, adapted, atol=1e-5)


def _json_tail(path: Path) -> str:
    """The JSON report a --json command printed last (Flower's log lines come before it)."""
    text = path.read_text(errors="replace")
    start = text.rfind("\n{")
    return text[start + 1 :] if start >= 0 else text[text.index("{") :]


def test_serve_refuses_noise_without_clipping(vault: knowme.Vault) -> None:
    with pytest.raises(LearnError, match="needs a positive --clip"):
        serve(vault.store, rounds=1, devices=1, port=_free_port(), noise=1.0)
