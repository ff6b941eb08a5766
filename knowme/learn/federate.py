"""Federated training of the voice adapter across the person's devices with Flower (``knowme learn federate``).

Each device keeps its own vault (the laptop's mail, the phone's chats, the tablet's notes). One machine the person
owns runs the aggregator (:func:`serve`); every device runs a client (:func:`join`) that opens its own vault, builds
its training set from its own writing (:mod:`knowme.learn.corpus`) and, each round, trains the shared LoRA adapter
for ``local_steps`` steps from the current global weights with :func:`~knowme.learn.trainer.train_adapter`.

What crosses the wire, in each direction, is Flower's gRPC messages and nothing else: the adapter tensors (float32
LoRA A/B matrices, about 1.8 MB), the round's config (round number, local step count) and, from a client, the number
of its records, its mean training loss, its step count and the adapter tensor names (so the aggregator can store the
result as a PEFT adapter without loading the model). Never a record, a text, a token id or a content hash. The
aggregator checks every message on arrival (:class:`Recorder`): tensors with the agreed names and shapes, float32,
numeric metrics only; anything else fails that client for the round. ``record`` writes one JSON line per message
received (round, metrics, tensor shapes and SHA-256), an audit of what the devices sent.

Aggregation is Flower's ``FedAvg`` (weighted by each device's record count). With ``clip`` the aggregator wraps it in
Flower's ``DifferentialPrivacyServerSideFixedClipping``: each device's update (new weights minus the round's global
weights) is clipped to L2 norm ``clip`` and Gaussian noise of standard deviation ``noise * clip / devices`` is added
to the average. With a handful of devices that noise is a safeguard, not a meaningful formal guarantee (device-level
DP needs many devices); for a per-record guarantee each device trains with DP-SGD instead (docs/learning.md).

Transport: Flower 1.42's ``start_server`` / ``start_client`` (the gRPC "bidi" Fleet API), which work offline with
plain processes; Flower marks them deprecated in favour of SuperLink/SuperNode + ``flwr run``, which needs a packaged
Flower app (docs/learning.md says how the same client and strategy move there). No TLS: run it on a network you trust
(the devices of one person at home) or put it behind a tunnel.

Result: the aggregator stores the final global adapter as this vault's adapter in use (``voice/adapter``, replacing
the vault's own SISA checkpoints, which belong to a different model), and each client stores it in its own vault when
the last round's evaluation hands it over. A federated adapter cannot be unlearned shard by shard: after a forget on
any device, run the federation again (``learn status`` says so).

Edge cases: a device with no writing of its own refuses to join (LearnError); a device that fails a round is left
out of that round's average (Flower's failure list); no aggregate after the last round is a LearnError.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from knowme.errors import LearnError
from knowme.learn.artifacts import ADAPTER, LearnStatus, adapter_in_use
from knowme.learn.artifacts import artifacts as vault_artifacts
from knowme.learn.model import AdapterState, attach, load_base
from knowme.learn.trainer import TrainSettings, fresh_state, perplexity, train_adapter
from knowme.store.base import ArtifactInfo, Store

DEFAULT_PORT = 9092
EVAL_TEXTS = 8  # a client's evaluation uses at most this many of its texts (bounded time per round)
ALLOWED_METRICS = {"train_loss": float, "steps": int, "keys": str, "perplexity": float}


@dataclass(frozen=True)
class FederateReport:
    rounds: int
    devices: int
    parameters: int
    seconds: float
    received: int  # client messages the aggregator received (fit results)
    rejected: int  # of those, refused by the checks
    train_loss: tuple[float, ...]  # mean device training loss per round
    perplexity: tuple[float, ...]  # mean device perplexity of their own text per round, under the global adapter
    privacy: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class JoinReport:
    records: int
    rounds: int
    steps: int
    saved: bool  # the final global adapter was stored in this vault


def to_arrays(state: AdapterState) -> tuple[list[str], list[Any]]:
    keys = sorted(state.weights)
    return keys, [state.weights[k].detach().cpu().numpy() for k in keys]


def from_arrays(keys: Sequence[str], arrays: Sequence[Any], settings: TrainSettings, **extra: Any) -> AdapterState:
    import torch

    weights = {k: torch.from_numpy(a.copy()) for k, a in zip(keys, arrays, strict=True)}
    return AdapterState(settings.method, settings.peft_config(), weights, seed=settings.seed, **extra)


def adapter_keys(settings: TrainSettings) -> list[str]:
    """The adapter's tensor names, from the base model's shape alone (built on the meta device: no weights read)."""
    import torch
    from peft import get_peft_model_state_dict
    from transformers import AutoConfig, AutoModelForCausalLM

    from knowme.learn.model import base_model_dir, quiet

    with quiet(), torch.device("meta"):
        model = AutoModelForCausalLM.from_config(AutoConfig.from_pretrained(str(base_model_dir())))
        peft_model = attach(model, fresh_state(settings))
    return sorted(get_peft_model_state_dict(peft_model))


def local_update(
    texts: Sequence[str], keys: Sequence[str], arrays: Sequence[Any], settings: TrainSettings, steps: int, round_: int
) -> AdapterState:
    """One device's work in one round: ``steps`` steps on its own texts from the global weights (a fresh optimiser;
    the batch order is seeded by the round)."""
    start = from_arrays(keys, arrays, settings)
    start = AdapterState(start.method, start.peft_config, start.weights, seed=settings.seed + round_)
    return train_adapter(texts, base=load_base(), start=start, settings=settings, max_steps=steps)


def _save_adapter(store: Store, state: AdapterState, meta: dict[str, Any]) -> None:
    artifacts = vault_artifacts(store)
    artifacts.delete_artifacts([a.name for a in artifacts.list_artifacts(prefix="voice/")])
    info = {"method": state.method, "step": state.step, "parameters": state.parameters, "records": 0}
    artifacts.save_artifact(ADAPTER, "adapter", {**info, **meta}, state.to_bytes())


def _need_flower() -> None:
    """Flower is an optional part of knowme: say how to get it instead of failing on an import."""
    import importlib.util

    if importlib.util.find_spec("flwr") is None:
        raise LearnError("federated training needs Flower: pip install 'knowme[federated]' (see docs/learning.md)")


# -- the device side -----------------------------------------------------------------------------------------------
def _client(store: Store, texts: list[str], settings: TrainSettings, counts: dict[str, int]) -> Any:
    from flwr.client import NumPyClient

    class VoiceClient(NumPyClient):  # type: ignore[misc]
        def get_parameters(self, config: dict[str, Any]) -> list[Any]:
            import torch
            from peft import get_peft_model_state_dict

            torch.manual_seed(settings.seed)  # every device proposes the same initial adapter
            model = attach(load_base()[0], fresh_state(settings))
            return to_arrays(AdapterState(settings.method, {}, get_peft_model_state_dict(model)))[1]

        def fit(self, parameters: list[Any], config: dict[str, Any]) -> tuple[list[Any], int, dict[str, Any]]:
            keys = self._keys()
            steps = max(1, int(config.get("local_steps", 4)))
            state = local_update(texts, keys, parameters, settings, steps, int(config.get("round", 1)))
            counts["rounds"] += 1
            counts["steps"] += state.step
            loss = sum(state.losses) / max(len(state.losses), 1)
            metrics = {"train_loss": float(loss), "steps": int(state.step), "keys": json.dumps(keys)}
            return to_arrays(state)[1], len(texts), metrics

        def evaluate(self, parameters: list[Any], config: dict[str, Any]) -> tuple[float, int, dict[str, Any]]:
            state = from_arrays(self._keys(), parameters, settings)
            model, tokenizer = load_base()
            ppl = perplexity(attach(model, state), tokenizer, texts[:EVAL_TEXTS], seq_tokens=settings.seq_tokens)
            if int(config.get("final", 0)):
                _save_adapter(store, state, {"origin": "federated", "round": int(config.get("round", 0))})
                counts["saved"] = 1
            return math.log(ppl), min(len(texts), EVAL_TEXTS), {"perplexity": float(ppl)}

        def _keys(self) -> list[str]:
            if "keys" not in cache:
                cache["keys"] = adapter_keys(settings)
            return cache["keys"]

    cache: dict[str, list[str]] = {}
    return VoiceClient().to_client()


def join(store: Store, server: str, *, settings: TrainSettings | None = None, max_wait: float = 120.0) -> JoinReport:
    """Take part in a federation as one device: train on this vault's writing, send only adapter weights."""
    _need_flower()
    from flwr.client import start_client

    from knowme.learn.corpus import training_texts
    from knowme.learn.model import quiet

    settings = settings or TrainSettings()
    if settings.method != "lora":
        raise LearnError("federated training shares a LoRA adapter: use method lora")
    texts = [t.text for t in training_texts(store)]
    if not texts:
        raise LearnError("this vault holds none of your own writing (sent mail, chat messages, notes) to train on")
    counts = {"rounds": 0, "steps": 0, "saved": 0}
    with quiet():
        start_client(server_address=server, client=_client(store, texts, settings, counts), insecure=True,
                     max_wait_time=max_wait)  # fmt: skip
    return JoinReport(len(texts), counts["rounds"], counts["steps"], bool(counts["saved"]))


# -- the aggregator ------------------------------------------------------------------------------------------------
def _recorder(inner: Any, record: Path | None) -> Any:
    from flwr.common import parameters_to_ndarrays
    from flwr.server.strategy import Strategy

    class Recorder(Strategy):  # type: ignore[misc]
        """Checks and records every client message before the wrapped strategy sees it; keeps the last aggregate."""

        def __init__(self) -> None:
            super().__init__()
            self.latest: Any = None
            self.keys: list[str] | None = None
            self.shapes: list[tuple[int, ...]] | None = None
            self.received = 0
            self.rejected = 0
            self.losses: list[float] = []
            self.perplexity: list[float] = []

        def initialize_parameters(self, client_manager: Any) -> Any:
            return inner.initialize_parameters(client_manager)

        def configure_fit(self, server_round: int, parameters: Any, client_manager: Any) -> Any:
            return inner.configure_fit(server_round, parameters, client_manager)

        def aggregate_fit(self, server_round: int, results: list[Any], failures: list[Any]) -> Any:
            accepted = []
            for proxy, res in results:
                self.received += 1
                problem = self._check(res)
                self._write(server_round, proxy, res, problem)
                if problem:
                    self.rejected += 1
                    failures.append((proxy, res))
                else:
                    accepted.append((proxy, res))
            if not accepted:
                return None, {}
            total = sum(r.num_examples for _, r in accepted)
            self.losses.append(sum(float(r.metrics["train_loss"]) * r.num_examples for _, r in accepted) / total)
            aggregate = inner.aggregate_fit(server_round, accepted, failures)
            if aggregate[0] is not None:
                self.latest = aggregate[0]
            return aggregate

        def _check(self, res: Any) -> str:
            arrays = parameters_to_ndarrays(res.parameters)
            for name, value in res.metrics.items():
                if name not in ALLOWED_METRICS or not isinstance(value, ALLOWED_METRICS[name] | int):
                    return f"unexpected metric {name!r}"
            try:
                keys = json.loads(str(res.metrics.get("keys", "")))
            except json.JSONDecodeError:
                return "unreadable tensor names"
            if not isinstance(keys, list) or not keys or not all(".lora_" in str(k) for k in keys):
                return "tensor names are not LoRA adapter tensors"
            shapes = [tuple(a.shape) for a in arrays]
            if len(keys) != len(arrays) or any(str(a.dtype) != "float32" for a in arrays):
                return "tensors do not match their names or are not float32"
            if self.keys is None:
                self.keys, self.shapes = keys, shapes
            elif keys != self.keys or shapes != self.shapes:
                return "tensors differ from the other devices'"
            return ""

        def _write(self, server_round: int, proxy: Any, res: Any, problem: str) -> None:
            if record is None:
                return
            arrays = parameters_to_ndarrays(res.parameters)
            line = {
                "round": server_round,
                "client": str(proxy.cid),
                "num_examples": int(res.num_examples),
                "metrics": dict(res.metrics),
                "tensors": [
                    {"shape": list(a.shape), "dtype": str(a.dtype), "sha256": hashlib.sha256(a.tobytes()).hexdigest()}
                    for a in arrays
                ],  # fmt: skip
                "rejected": problem,
            }
            with record.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps(line, sort_keys=True) + "\n")

        def configure_evaluate(self, server_round: int, parameters: Any, client_manager: Any) -> Any:
            return inner.configure_evaluate(server_round, parameters, client_manager)

        def aggregate_evaluate(self, server_round: int, results: list[Any], failures: list[Any]) -> Any:
            if results:
                total = sum(r.num_examples for _, r in results)
                ppl = sum(float(r.metrics.get("perplexity", 0.0)) * r.num_examples for _, r in results)
                self.perplexity.append(ppl / max(total, 1))
            return inner.aggregate_evaluate(server_round, results, failures)

        def evaluate(self, server_round: int, parameters: Any) -> Any:
            return inner.evaluate(server_round, parameters)

    return Recorder()


def serve(
    store: Store,
    *,
    rounds: int = 8,
    devices: int = 3,
    host: str = "127.0.0.1",
    port: int = DEFAULT_PORT,
    local_steps: int = 3,
    clip: float | None = None,
    noise: float = 0.0,
    record: Path | None = None,
    settings: TrainSettings | None = None,
) -> FederateReport:
    """Run the aggregator until ``rounds`` rounds with ``devices`` devices are done; store the global adapter."""
    _need_flower()
    from flwr.common import parameters_to_ndarrays
    from flwr.server import ServerConfig, start_server
    from flwr.server.strategy import DifferentialPrivacyServerSideFixedClipping, FedAvg

    from knowme.learn.model import quiet

    if rounds < 1 or devices < 1 or local_steps < 1:
        raise LearnError("rounds, devices and local steps must be positive")
    if noise < 0 or (clip is not None and clip <= 0) or (noise and clip is None):
        raise LearnError("update noise needs a positive --clip (the noise is scaled by the clipping norm)")
    settings = settings or TrainSettings()
    fedavg = FedAvg(
        fraction_fit=1.0, fraction_evaluate=1.0, min_fit_clients=devices, min_evaluate_clients=devices,
        min_available_clients=devices, accept_failures=True,
        on_fit_config_fn=lambda r: {"round": r, "local_steps": local_steps},
        on_evaluate_config_fn=lambda r: {"round": r, "final": int(r == rounds)},
        fit_metrics_aggregation_fn=lambda _m: {}, evaluate_metrics_aggregation_fn=lambda _m: {},
    )  # fmt: skip
    inner: Any = fedavg
    if clip is not None:
        inner = DifferentialPrivacyServerSideFixedClipping(fedavg, noise, clip, devices)
    recorder = _recorder(inner, record)
    began = time.monotonic()
    with quiet():
        start_server(server_address=f"{host}:{port}", config=ServerConfig(num_rounds=rounds), strategy=recorder)
    if recorder.latest is None or recorder.keys is None:
        raise LearnError("the federation ended without an aggregate adapter: did every device join and train?")
    privacy = {
        "federated": True,
        "devices": devices,
        "rounds": rounds,
        "local_steps": local_steps,
        "aggregation": "FedAvg",
        "update_clip": clip,
        "update_noise_multiplier": noise if clip is not None else 0.0,
        "summary": f"FedAvg of {devices} devices over {rounds} rounds of {local_steps} local steps"
        + (f", updates clipped to {clip:g} with noise multiplier {noise:g}" if clip is not None else ""),
    }
    arrays = parameters_to_ndarrays(recorder.latest)
    state = from_arrays(recorder.keys, arrays, settings, step=rounds * local_steps, privacy=privacy)
    _save_adapter(store, state, {"origin": "federated", "devices": devices, "rounds": rounds})
    return FederateReport(
        rounds=rounds,
        devices=devices,
        parameters=state.parameters,
        seconds=round(time.monotonic() - began, 2),
        received=recorder.received,
        rejected=recorder.rejected,
        train_loss=tuple(round(x, 4) for x in recorder.losses),
        perplexity=tuple(round(x, 3) for x in recorder.perplexity),
        privacy=privacy,
    )


def federated_status(store: Store, artifacts: Sequence[ArtifactInfo]) -> LearnStatus:
    """``learn status`` for a vault whose adapter in use came from a federation (no SISA manifest)."""
    adapter = next(a for a in artifacts if a.name == ADAPTER)
    state = adapter_in_use(store)
    origin = adapter.meta.get("origin", "")
    notes = (
        f"the adapter in use was trained {'by a federation of your devices' if origin == 'federated' else 'elsewhere'}"
        ": this vault cannot check the other devices' records against forgets; after forgetting anything on a "
        "device, run the federation again",
    )
    return LearnStatus(
        method=state.method if state else None,
        adapter_bytes=adapter.size,
        adapter_parameters=state.parameters if state else 0,
        combine="federated" if origin == "federated" else "",
        artifacts=len(artifacts),
        artifact_bytes=sum(a.size for a in artifacts),
        notes=notes,
        privacy=dict(state.privacy) if state and state.privacy else None,
    )
