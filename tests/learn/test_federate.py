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
from typing import Any

import pytest

import knowme
from knowme.demo.generator import generate_life
from knowme.errors import LearnError
from knowme.learn.artifacts import ADAPTER, load_state
from knowme.learn.corpus import training_texts
from knowme.learn.federate import serve
from knowme.learn.model import attach, load_base
from tests.conftest import PASSPHRASE
from tests.ingest.sources.servers import self_signed
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


SECRET = "an enrolment secret of this test, long enough"


def test_three_devices_federate_and_no_record_text_crosses_the_wire(devices: dict[str, Path], tmp_path: Path) -> None:
    """Also: every tensor on the wire is sealed under the enrolment secret, and the phone trains with DP-SGD."""
    env = {**os.environ, "KNOWME_PASSPHRASE": PASSPHRASE, "CI": "true", "PYTHONWARNINGS": "ignore",
           "KNOWME_FEDERATION_SECRET": SECRET}  # fmt: skip
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
            private = ["--dp", "--epsilon", "8"] if name == "phone" else []
            cmd = _cli("join", "--server", f"127.0.0.1:{tap.port}", *private, home=devices[name])
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
        assert set(line["metrics"]) - {"epsilon"} == {"train_loss", "steps", "keys"}
        assert all(".lora_" in key for key in json.loads(line["metrics"]["keys"]))
    # the phone trained with DP-SGD: its one update spent part of its epsilon 8, and it says so
    (private,) = [line for line in lines if "epsilon" in line["metrics"]]
    assert private["num_examples"] == counts["phone"] and 0 < private["metrics"]["epsilon"] <= 8.0
    phone = json.loads(_json_tail(tmp_path / "phone.out"))
    assert phone["epsilon"] == pytest.approx(private["metrics"]["epsilon"])

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
    # the adapter itself never crossed the wire in clear: only sealed under the enrolment secret
    for key in [k for k in sorted(state.weights) if "lora_A" in k][:8]:
        assert state.weights[key].numpy().tobytes()[:64] not in wire, key
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
        serve(vault.store, rounds=1, devices=1, port=_free_port(), noise=1.0, secret=SECRET)


def test_beyond_loopback_needs_tls_and_every_tensor_needs_the_secret(vault: knowme.Vault) -> None:
    import numpy as np
    from flwr.common import Code, FitRes, Status, ndarrays_to_parameters
    from flwr.server.strategy import FedAvg

    from knowme.learn.federate import _recorder, join
    from knowme.learn.fedsecure import Sealer

    for host in ("0.0.0.0", "192.168.1.10", "my-laptop.local"):
        with pytest.raises(LearnError, match="needs TLS"):
            serve(vault.store, rounds=1, devices=1, host=host, port=_free_port(), secret=SECRET)
    with pytest.raises(LearnError, match="needs TLS"):
        join(vault.store, "192.168.1.10:9092", secret=SECRET)
    with pytest.raises(LearnError, match="too short"):
        Sealer("hunter2")

    ours, stranger = Sealer(SECRET), Sealer("somebody else's secret, also long")
    update = [np.ones((4, 8), dtype=np.float32), np.zeros((8, 4), dtype=np.float32)]
    sealed = ours.seal(update, "up/1")
    assert all(a.dtype == np.uint8 for a in sealed) and update[0].tobytes()[:16] not in sealed[0].tobytes()
    assert all(np.array_equal(a, b) for a, b in zip(ours.open(sealed, "up/1"), update, strict=True))
    for other, label in ((stranger, "up/1"), (ours, "up/2"), (ours, "down/1")):  # wrong key, replayed, reflected
        with pytest.raises(LearnError, match="does not open"):
            other.open(sealed, label)
    with pytest.raises(LearnError, match="unsealed"):
        ours.open(update, "up/1")

    # the aggregator refuses what a device without the secret sends, before anything is averaged or stored
    recorder = _recorder(FedAvg(), None, ours)
    keys = json.dumps(["a.lora_A.weight", "a.lora_B.weight"])

    def result(arrays: list[Any]) -> FitRes:
        return FitRes(Status(Code.OK, ""), ndarrays_to_parameters(arrays), 10, {"train_loss": 1.0, "steps": 1,
                                                                                 "keys": keys})  # fmt: skip

    rogue = [(None, result(update)), (None, result(stranger.seal(update, "up/1")))]
    assert recorder.aggregate_fit(1, rogue, []) == (None, {}) and recorder.rejected == 2
    fine, _ = recorder.aggregate_fit(1, [(None, result(ours.seal(update, "up/1")))], [])
    assert recorder.rejected == 2 and recorder.latest is not None
    from flwr.common import parameters_to_ndarrays

    held = parameters_to_ndarrays(fine)  # what Flower keeps and sends next: sealed
    assert all(a.dtype == np.uint8 for a in held)
    assert np.array_equal(ours.open(held, "global")[0], update[0])


def test_a_federation_over_tls(devices: dict[str, Path], tmp_path: Path) -> None:
    """One device and the aggregator over Flower's TLS (a self-signed certificate for 127.0.0.1), through the relay:
    the round completes and not even the metric names cross the wire in clear."""
    cert, key = self_signed(tmp_path, "aggregator")
    env = {**os.environ, "KNOWME_PASSPHRASE": PASSPHRASE, "CI": "true", "PYTHONWARNINGS": "ignore",
           "KNOWME_FEDERATION_SECRET": SECRET}  # fmt: skip
    port = _free_port()
    aggregator = tmp_path / "aggregator-home"
    shutil.copytree(devices["aggregator"], aggregator)
    logs = {name: (tmp_path / f"{name}.out").open("wb") for name in ("aggregator", "tablet")}
    procs: dict[str, subprocess.Popen[bytes]] = {}
    tap = WireTap(port)
    until = time.monotonic() + DEADLINE
    try:
        server_cmd = _cli("serve", "--rounds", "1", "--clients", "1", "--port", str(port), "--local-steps", "1",
                          "--tls-cert", str(cert), "--tls-key", str(key), home=aggregator)  # fmt: skip
        procs["aggregator"] = subprocess.Popen(server_cmd, env=env, stdout=logs["aggregator"], stderr=subprocess.STDOUT)
        join_cmd = _cli("join", "--server", f"127.0.0.1:{tap.port}", "--ca-cert", str(cert), home=devices["tablet"])
        procs["tablet"] = subprocess.Popen(join_cmd, env=env, stdout=logs["tablet"], stderr=subprocess.STDOUT)
        while [p.poll() for p in procs.values()].count(None) and time.monotonic() < until:
            time.sleep(0.5)
        for name, proc in procs.items():
            assert proc.returncode == 0, (tmp_path / f"{name}.out").read_text(errors="replace")[-3000:]
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=10)
        tap.close()
        for fh in logs.values():
            fh.close()
    report = json.loads(_json_tail(tmp_path / "aggregator.out"))
    assert report["received"] == 1 and report["rejected"] == 0
    wire = bytes(tap.sent) + bytes(tap.received)
    assert len(tap.sent) > 1_000_000  # the update went up, encrypted
    assert b"train_loss" not in wire and b"local_steps" not in wire and b"lora_A" not in wire
