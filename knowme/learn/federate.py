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
Flower app (docs/learning.md says how the same client and strategy move there). Who may join: every tensor is
sealed under the federation's enrolment secret (a device without it gets ciphertext and its updates are refused),
and an address beyond loopback needs TLS on both sides (:mod:`knowme.learn.fedsecure`).

Per-record DP on a device (``join(dp=...)``, ``--dp``): the device trains each round with DP-SGD
(:mod:`knowme.learn.dp`), one plan for all the rounds the aggregator announced (the noise is chosen so that
``rounds x local_steps`` steps spend the device's epsilon), the accountant's history carried from round to round; a
round beyond the plan is refused. Each update then is (epsilon, delta)-DP with respect to any one of the device's
records, and so is everything computed from it (post-processing); the device reports its spent epsilon.

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
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from knowme.errors import LearnError
from knowme.learn.artifacts import ADAPTER, LearnStatus, adapter_in_use
from knowme.learn.artifacts import artifacts as vault_artifacts
from knowme.learn.dp import DPPlan, DPSettings
from knowme.learn.fedsecure import Sealer, check_address, split_address
from knowme.learn.model import AdapterState, attach, load_base
from knowme.learn.trainer import TrainSettings, fresh_state, perplexity, train_adapter
from knowme.store.base import ArtifactInfo, Store

DEFAULT_PORT = 9092
EVAL_TEXTS = 8  # a client's evaluation uses at most this many of its texts (bounded time per round)
ALLOWED_METRICS = {"train_loss": float, "steps": int, "keys": str, "perplexity": float, "epsilon": float}
SEALED = "global"  # the label of the adapter the aggregator keeps between rounds (sealed, as Flower stores it)


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
    epsilon: float | None = None  # with DP: what this device's updates spent of its budget


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


@dataclass
class PrivateRounds:
    """A device's DP-SGD across rounds: one plan, the accountant's history carried from round to round."""

    dp: DPSettings
    plan: DPPlan | None = None
    steps: int = 0
    privacy: dict[str, Any] | None = None


def private_update(
    texts: Sequence[str], keys: Sequence[str], arrays: Sequence[Any], settings: TrainSettings, steps: int,
    rounds: int, state: PrivateRounds,
) -> AdapterState:  # fmt: skip
    """One device's round under DP-SGD: ``steps`` more steps of the plan made for ``rounds`` rounds."""
    from knowme.learn.dp import examples, plan, resolve_delta, train_private

    base = load_base()
    if state.plan is None:
        records = len(examples(base[1], texts, state.dp.record_tokens))
        delta = resolve_delta(state.dp, records)
        state.plan = plan(state.dp, records=records, batch_size=settings.batch_size, steps=rounds * steps, delta=delta)
    if state.steps + steps > state.plan.steps:
        raise LearnError(f"the aggregator asks for more than the {state.plan.steps} steps this device's privacy "
                         "budget was planned for")  # fmt: skip
    start = from_arrays(keys, arrays, settings, step=state.steps, privacy=state.privacy)
    done = train_private(texts, base=base, start=start, settings=settings, dp_plan=state.plan,
                         max_steps=state.steps + steps)  # fmt: skip
    state.steps, state.privacy = done.step, dict(done.privacy or {})
    return done


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
def _client(
    store: Store, texts: list[str], settings: TrainSettings, counts: dict[str, Any], sealer: Sealer,
    private: PrivateRounds | None,
) -> Any:  # fmt: skip
    from flwr.client import NumPyClient

    class VoiceClient(NumPyClient):  # type: ignore[misc]
        def get_parameters(self, config: dict[str, Any]) -> list[Any]:
            import torch
            from peft import get_peft_model_state_dict

            torch.manual_seed(settings.seed)  # every device proposes the same initial adapter
            model = attach(load_base()[0], fresh_state(settings))
            arrays = to_arrays(AdapterState(settings.method, {}, get_peft_model_state_dict(model)))[1]
            return sealer.seal(arrays, SEALED)

        def fit(self, parameters: list[Any], config: dict[str, Any]) -> tuple[list[Any], int, dict[str, Any]]:
            keys = self._keys()
            steps = max(1, int(config.get("local_steps", 4)))
            round_ = int(config.get("round", 1))
            arrays = sealer.open(parameters, f"down/{round_}")
            if private is not None:
                rounds = int(config.get("rounds", 1))
                state = private_update(texts, keys, arrays, settings, steps, rounds, private)
                taken = steps
            else:
                state = local_update(texts, keys, arrays, settings, steps, round_)
                taken = state.step
            counts["rounds"] += 1
            counts["steps"] += taken
            losses = [x for x in state.losses[-taken:] if x == x]  # an empty DP batch has no loss (NaN)
            loss = sum(losses) / max(len(losses), 1)
            metrics: dict[str, Any] = {"train_loss": float(loss), "steps": int(taken), "keys": json.dumps(keys)}
            if private is not None and private.privacy is not None:
                metrics["epsilon"] = counts["epsilon"] = float(private.privacy["epsilon"])
            return sealer.seal(to_arrays(state)[1], f"up/{round_}"), len(texts), metrics

        def evaluate(self, parameters: list[Any], config: dict[str, Any]) -> tuple[float, int, dict[str, Any]]:
            arrays = sealer.open(parameters, f"eval/{int(config.get('round', 0))}")
            state = from_arrays(self._keys(), arrays, settings)
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


def join(
    store: Store,
    server: str,
    *,
    secret: str,
    root_certificates: bytes | None = None,
    dp: DPSettings | None = None,
    settings: TrainSettings | None = None,
    max_wait: float = 120.0,
) -> JoinReport:
    """Take part in a federation as one device: train on this vault's writing, send only adapter weights, sealed
    under the federation's ``secret``; over TLS when ``root_certificates`` (the aggregator's CA, PEM) are given
    (required beyond loopback). With ``dp`` the device trains with DP-SGD (per-record guarantee)."""
    _need_flower()
    from flwr.client import start_client

    from knowme.learn.corpus import training_texts
    from knowme.learn.model import quiet

    check_address(split_address(server), tls=root_certificates is not None)
    sealer = Sealer(secret)
    settings = settings or TrainSettings()
    if settings.method != "lora":
        raise LearnError("federated training shares a LoRA adapter: use method lora")
    texts = [t.text for t in training_texts(store)]
    if not texts:
        raise LearnError("this vault holds none of your own writing (sent mail, chat messages, notes) to train on")
    counts: dict[str, Any] = {"rounds": 0, "steps": 0, "saved": 0, "epsilon": None}
    private = PrivateRounds(dp) if dp is not None else None
    client = _client(store, texts, settings, counts, sealer, private)
    tls: dict[str, Any] = {"root_certificates": root_certificates} if root_certificates else {"insecure": True}
    with quiet():
        start_client(server_address=server, client=client, max_wait_time=max_wait, **tls)
    return JoinReport(len(texts), counts["rounds"], counts["steps"], bool(counts["saved"]), counts["epsilon"])


# -- the aggregator ------------------------------------------------------------------------------------------------
def update_problem(
    metrics: Mapping[str, Any], arrays: Sequence[Any], keys: list[str] | None, shapes: list[tuple[int, ...]] | None
) -> tuple[str, list[str] | None, list[tuple[int, ...]] | None]:
    """What is wrong with a device's update ("" when nothing), and the tensor names and shapes every later update
    must match (the first good update sets them)."""
    for name, value in metrics.items():
        if name not in ALLOWED_METRICS or not isinstance(value, ALLOWED_METRICS[name] | int):
            return f"unexpected metric {name!r}", keys, shapes
    try:
        names = json.loads(str(metrics.get("keys", "")))
    except json.JSONDecodeError:
        return "unreadable tensor names", keys, shapes
    if not isinstance(names, list) or not names or not all(".lora_" in str(k) for k in names):
        return "tensor names are not LoRA adapter tensors", keys, shapes
    found = [tuple(a.shape) for a in arrays]
    if len(names) != len(arrays) or any(str(a.dtype) != "float32" for a in arrays):
        return "tensors do not match their names or are not float32", keys, shapes
    if keys is None:
        return "", names, found
    if names != keys or found != shapes:
        return "tensors differ from the other devices'", keys, shapes
    return "", keys, shapes


def write_update(record: Path, server_round: int, client: str, res: Any, arrays: Sequence[Any], problem: str) -> None:
    """One line of the aggregator's record: who sent what (shapes and hashes of the tensors, never their values)."""
    line = {
        "round": server_round,
        "client": client,
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


class _Recorder:
    """Checks and records every client message before the wrapped strategy sees it; keeps the last aggregate."""

    def __init__(self, inner: Any, record: Path | None, sealer: Sealer) -> None:
        super().__init__()
        self.inner, self.record, self.sealer = inner, record, sealer
        self.latest: Any = None
        self.keys: list[str] | None = None
        self.shapes: list[tuple[int, ...]] | None = None
        self.received = 0
        self.rejected = 0
        self.losses: list[float] = []
        self.perplexity: list[float] = []

    def initialize_parameters(self, client_manager: Any) -> Any:
        return self.inner.initialize_parameters(client_manager)

    def _opened(self, parameters: Any, label: str) -> Any:
        from flwr.common import ndarrays_to_parameters, parameters_to_ndarrays

        return ndarrays_to_parameters(self.sealer.open(parameters_to_ndarrays(parameters), label))

    def _sealed(self, parameters: Any, label: str) -> Any:
        from flwr.common import ndarrays_to_parameters, parameters_to_ndarrays

        return ndarrays_to_parameters(self.sealer.seal(parameters_to_ndarrays(parameters), label))

    def configure_fit(self, server_round: int, parameters: Any, client_manager: Any) -> Any:
        from flwr.common import FitIns

        try:
            plain = self._opened(parameters, SEALED)
        except LearnError as exc:
            raise LearnError(f"the first adapter came from a device without the enrolment secret: {exc}") from None
        instructions = self.inner.configure_fit(server_round, plain, client_manager)
        if not instructions:
            return []
        down = self._sealed(plain, f"down/{server_round}")
        return [(proxy, FitIns(down, ins.config)) for proxy, ins in instructions]

    def aggregate_fit(self, server_round: int, results: list[Any], failures: list[Any]) -> Any:
        accepted = []
        for proxy, res in results:
            self.received += 1
            try:
                res.parameters = self._opened(res.parameters, f"up/{server_round}")
                problem = self._check(res)
            except LearnError as exc:  # not sealed with this federation's secret (or replayed)
                problem = str(exc)
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
        aggregate = self.inner.aggregate_fit(server_round, accepted, failures)
        if aggregate[0] is not None:
            self.latest = aggregate[0]
            return self._sealed(aggregate[0], SEALED), aggregate[1]  # Flower keeps (and sends) it sealed
        return aggregate

    def _check(self, res: Any) -> str:
        from flwr.common import parameters_to_ndarrays

        arrays = parameters_to_ndarrays(res.parameters)
        problem, self.keys, self.shapes = update_problem(res.metrics, arrays, self.keys, self.shapes)
        return problem

    def _write(self, server_round: int, proxy: Any, res: Any, problem: str) -> None:
        from flwr.common import parameters_to_ndarrays

        if self.record is not None:  # the tensors opened, or as received when refused
            write_update(
                self.record, server_round, str(proxy.cid), res, parameters_to_ndarrays(res.parameters), problem
            )

    def configure_evaluate(self, server_round: int, parameters: Any, client_manager: Any) -> Any:
        from flwr.common import EvaluateIns

        plain = self._opened(parameters, SEALED)
        instructions = self.inner.configure_evaluate(server_round, plain, client_manager)
        if not instructions:
            return []
        down = self._sealed(plain, f"eval/{server_round}")
        return [(proxy, EvaluateIns(down, ins.config)) for proxy, ins in instructions]

    def aggregate_evaluate(self, server_round: int, results: list[Any], failures: list[Any]) -> Any:
        if results:
            total = sum(r.num_examples for _, r in results)
            ppl = sum(float(r.metrics.get("perplexity", 0.0)) * r.num_examples for _, r in results)
            self.perplexity.append(ppl / max(total, 1))
        return self.inner.aggregate_evaluate(server_round, results, failures)

    def evaluate(self, server_round: int, parameters: Any) -> Any:
        return self.inner.evaluate(server_round, parameters)


def _recorder(inner: Any, record: Path | None, sealer: Sealer) -> Any:
    """A Flower strategy around ``inner`` that opens, checks and records every client message (:class:`_Recorder`)."""
    from flwr.server.strategy import Strategy

    recorder = type("Recorder", (_Recorder, Strategy), {})
    return recorder(inner, record, sealer)


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
    secret: str,
    certificates: tuple[bytes, bytes, bytes] | None = None,
) -> FederateReport:
    """Run the aggregator until ``rounds`` rounds with ``devices`` devices are done; store the global adapter.
    Every tensor is sealed under the enrolment ``secret``; ``certificates`` (CA, certificate, key: PEM bytes) turn
    on TLS, which an address beyond loopback requires."""
    _need_flower()
    from flwr.common import parameters_to_ndarrays
    from flwr.server import ServerConfig, start_server
    from flwr.server.strategy import DifferentialPrivacyServerSideFixedClipping, FedAvg

    from knowme.learn.model import quiet

    if rounds < 1 or devices < 1 or local_steps < 1:
        raise LearnError("rounds, devices and local steps must be positive")
    if noise < 0 or (clip is not None and clip <= 0) or (noise and clip is None):
        raise LearnError("update noise needs a positive --clip (the noise is scaled by the clipping norm)")
    check_address(host, tls=certificates is not None)
    sealer = Sealer(secret)
    settings = settings or TrainSettings()
    fedavg = FedAvg(
        fraction_fit=1.0, fraction_evaluate=1.0, min_fit_clients=devices, min_evaluate_clients=devices,
        min_available_clients=devices, accept_failures=True,
        on_fit_config_fn=lambda r: {"round": r, "local_steps": local_steps, "rounds": rounds},
        on_evaluate_config_fn=lambda r: {"round": r, "final": int(r == rounds)},
        fit_metrics_aggregation_fn=lambda _m: {}, evaluate_metrics_aggregation_fn=lambda _m: {},
    )  # fmt: skip
    inner: Any = fedavg
    if clip is not None:
        inner = DifferentialPrivacyServerSideFixedClipping(fedavg, noise, clip, devices)
    recorder = _recorder(inner, record, sealer)
    began = time.monotonic()
    with quiet():
        start_server(server_address=f"{host}:{port}", config=ServerConfig(num_rounds=rounds), strategy=recorder,
                     certificates=certificates)  # fmt: skip
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
