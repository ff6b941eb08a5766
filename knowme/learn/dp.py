"""Differentially private training of the voice adapter: DP-SGD with ``opacus`` (``knowme learn voice --dp``).

The unit of privacy is one record: one sent email, chat message or note. Each record is one training example (its
first ``record_tokens`` tokens; the rest of a long record is not used under DP), so the guarantee says: the adapter is
almost as likely to come out the same whether or not any single record was in the training set, with the user's
(epsilon, delta). It says nothing about a fact that many records repeat.

Mechanism (Abadi et al., "Deep Learning with Differential Privacy"): every step draws a Poisson sample of the records
(each one independently with probability ``q = batch_size / N``; the draw is fixed by the seed and the step so a
resumed run sees the same batches), ``opacus``' :class:`~opacus.GradSampleModule` computes per-example gradients of the
LoRA (or soft-prompt) parameters only (the base model is frozen, so its layers need no per-example gradients), each is
clipped to L2 norm ``max_grad_norm``, and :class:`~opacus.optimizers.DPOptimizer` adds Gaussian noise of standard
deviation ``noise_multiplier * max_grad_norm`` to their sum before the AdamW step. An empty Poisson sample still takes
a noise-only step, as the analysis assumes.

The noise multiplier is chosen before training (:func:`plan`) with ``opacus``' ``get_noise_multiplier`` so that the
planned number of steps at rate ``q`` spends exactly the target epsilon under the RDP accountant; the accountant's
history (noise, rate, steps) travels with the adapter state, so an interrupted run resumes with the same plan and the
spent epsilon is the accountant's, never an estimate. With SISA shards every record is in exactly one shard, so the
combined adapter is (epsilon, delta)-DP by parallel composition (the largest shard epsilon is reported); under DP a
shard trains in one slice (several slices would see slice 0 again, a composition this module does not count).

Delta: by default ``1 / N**1.1`` (N = the training records in the vault), below the ``1/N`` at which a mechanism could
publish one whole record and still meet it; an explicit delta must be below ``1/N``. Not done: ``opacus``' secure
mode (cryptographically secure noise and sampling; needs ``torchcsprng``): the noise comes from torch's generator.

Edge cases: fewer than ``MIN_RECORDS`` records, a delta of at least ``1/N``, a non-positive epsilon or a budget
``opacus`` cannot meet is a LearnError before any training; a resumed state trained under another plan is refused.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from knowme.errors import LearnError
from knowme.learn.model import AdapterState, attach, quiet
from knowme.learn.trainer import (
    StepHook,
    TrainingInterrupted,
    TrainSettings,
    _copy_state,
    batch_tensors,
    default_optimizer,
    run_steps,
    sequence_nll,
)

MIN_RECORDS = 10
ACCOUNTANT = "rdp"


@dataclass(frozen=True)
class DPSettings:
    """The user's privacy budget. ``delta=None`` means ``1 / N**1.1`` for N training records."""

    epsilon: float
    delta: float | None = None
    max_grad_norm: float = 1.0
    record_tokens: int = 96


@dataclass(frozen=True)
class DPPlan:
    """The noise that spends ``epsilon`` over ``steps`` Poisson-sampled steps at ``sample_rate``."""

    epsilon: float
    delta: float
    max_grad_norm: float
    noise_multiplier: float
    sample_rate: float
    steps: int
    records: int
    record_tokens: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "mechanism": "DP-SGD (opacus), Poisson sampling, per-record clipping",
            "accountant": ACCOUNTANT,
            "target_epsilon": self.epsilon,
            "delta": self.delta,
            "max_grad_norm": self.max_grad_norm,
            "noise_multiplier": self.noise_multiplier,
            "sample_rate": self.sample_rate,
            "planned_steps": self.steps,
            "records": self.records,
            "record_tokens": self.record_tokens,
        }


def resolve_delta(dp: DPSettings, records: int) -> float:
    """The delta to use for ``records`` training records; refuses one too large to protect a record."""
    if records < MIN_RECORDS:
        raise LearnError(
            f"too few records for differential privacy: {records} of your own messages and notes, at least "
            f"{MIN_RECORDS} needed (with so few, the noise that hides one record hides everything)"
        )
    if dp.delta is None:
        return float(records**-1.1)
    if not 0 < dp.delta < 1 / records:
        raise LearnError(
            f"delta {dp.delta:g} is too large for {records} records: it must be below 1/N = {1 / records:.3g} "
            f"(the default is 1/N^1.1 = {records**-1.1:.3g})"
        )
    return dp.delta


def plan(dp: DPSettings, *, records: int, batch_size: int, steps: int, delta: float) -> DPPlan:
    """The noise multiplier that spends exactly ``dp.epsilon`` over ``steps`` steps on ``records`` records."""
    from opacus.accountants.utils import get_noise_multiplier

    if dp.epsilon <= 0 or not math.isfinite(dp.epsilon):
        raise LearnError(f"epsilon must be a positive number, not {dp.epsilon:g}")
    if dp.max_grad_norm <= 0:
        raise LearnError("max grad norm must be positive")
    if records < MIN_RECORDS:
        raise LearnError(f"a shard of {records} records is too small for differential privacy (at least "
                         f"{MIN_RECORDS}); train with fewer shards (--shards 1)")  # fmt: skip
    rate = min(1.0, batch_size / records)
    try:
        with quiet():
            sigma = get_noise_multiplier(
                target_epsilon=dp.epsilon, target_delta=delta, sample_rate=rate, steps=max(1, steps),
                accountant=ACCOUNTANT,
            )  # fmt: skip
    except ValueError as exc:
        raise LearnError(
            f"the privacy budget epsilon={dp.epsilon:g}, delta={delta:.3g} cannot be met over {steps} steps on "
            f"{records} records ({exc}); choose a larger epsilon or train fewer epochs"
        ) from None
    return DPPlan(dp.epsilon, delta, dp.max_grad_norm, float(sigma), rate, max(1, steps), records, dp.record_tokens)


def examples(tokenizer: Any, texts: Sequence[str], record_tokens: int) -> list[list[int]]:
    """One example per record: its first ``record_tokens`` token ids (a short record ends with end-of-text)."""
    eos = tokenizer.eos_token_id
    out = []
    for text in texts:
        ids = [*tokenizer(text, add_special_tokens=False)["input_ids"], eos][:record_tokens]
        if len(ids) > 1:
            out.append(ids)
    return out


def poisson_batch(count: int, rate: float, step: int, seed: int) -> list[int]:
    """The records sampled at ``step``: each independently with probability ``rate`` (fixed by seed and step)."""
    import torch

    generator = torch.Generator().manual_seed(seed * 1_000_003 + step)
    return (torch.rand(count, generator=generator) < rate).nonzero().flatten().tolist()


def spent(privacy: Mapping[str, Any]) -> float:
    """The epsilon the RDP accountant counts for the steps in ``privacy['history']`` at its delta."""
    from opacus.accountants import RDPAccountant

    history = [tuple(h) for h in privacy.get("history", ())]
    if not history:
        return 0.0
    accountant = RDPAccountant()
    accountant.history = history
    return float(accountant.get_epsilon(delta=float(privacy["delta"])))


def train_private(
    texts: Sequence[str],
    *,
    base: tuple[Any, Any],
    start: AdapterState,
    settings: TrainSettings,
    dp_plan: DPPlan,
    max_steps: int,
    max_seconds: float | None = None,
    on_step: StepHook | None = None,
    should_stop: Callable[[], bool] | None = None,
    data: Sequence[str] = (),
) -> AdapterState:
    """DP-SGD version of :func:`~knowme.learn.trainer.train_adapter` (same contract: train ``start`` until it has
    ``max_steps`` steps, return the state; Ctrl-C raises TrainingInterrupted with the state so far). The returned
    state's ``privacy`` holds the plan, the accountant history and the spent epsilon."""
    from opacus import GradSampleModule
    from opacus.optimizers import DPOptimizer
    from peft import get_peft_model_state_dict

    model, tokenizer = base
    rows = examples(tokenizer, texts, dp_plan.record_tokens)
    if len(rows) != dp_plan.records:
        raise LearnError(f"the DP plan counted {dp_plan.records} records but {len(rows)} remain after tokenising")
    planned = dp_plan.as_dict()
    history: list[tuple[float, float, int]] = []
    if start.privacy is not None:
        before = {k: start.privacy.get(k) for k in planned}
        if before != planned:
            raise LearnError("this checkpoint was trained under another privacy plan: start over with --fresh")
        history = [tuple(h) for h in start.privacy.get("history", ())]  # type: ignore[misc]
    elif start.step:
        raise LearnError("this checkpoint was trained without differential privacy: start over with --fresh")
    peft_model = attach(model, start, trainable=True)
    with quiet():
        private = GradSampleModule(peft_model, batch_first=True, loss_reduction="mean")
    named = [(n, p) for n, p in private.named_parameters() if p.requires_grad]
    frozen_extra = [n for n, _ in named if "lora_" not in n and "prompt_encoder" not in n]
    if frozen_extra:
        raise LearnError(f"per-example gradients would be needed outside the adapter: {frozen_extra[:3]}")
    trainable = [p for _, p in named]
    inner = default_optimizer(trainable, settings)
    if start.optimizer is not None:
        inner.load_state_dict(dict(start.optimizer))
    optimizer = DPOptimizer(
        inner, noise_multiplier=dp_plan.noise_multiplier, max_grad_norm=dp_plan.max_grad_norm,
        expected_batch_size=settings.batch_size, loss_reduction="mean",
    )  # fmt: skip

    def one_step(step: int) -> float:
        picked = poisson_batch(len(rows), dp_plan.sample_rate, step, start.seed)
        loss = _private_step(private, optimizer, inner, trainable, [rows[i] for i in picked],
                             tokenizer.pad_token_id, dp_plan, settings.batch_size)  # fmt: skip
        _count(history, dp_plan)
        return loss

    step, losses, interrupted = run_steps(
        start.step, list(start.losses), one_step, optimizer, max_steps=max_steps, max_seconds=max_seconds,
        should_stop=should_stop, on_step=on_step,
    )  # fmt: skip
    private._close()  # remove the per-example hooks
    weights = {k: v.detach().clone() for k, v in get_peft_model_state_dict(peft_model).items()}
    peft_model.train(False)
    privacy = {**planned, "history": [list(h) for h in history], "steps": sum(h[2] for h in history)}
    privacy["epsilon"] = round(spent(privacy), 4)
    result = AdapterState(
        method=start.method,
        peft_config=start.peft_config,
        weights=weights,
        step=step,
        seed=start.seed,
        optimizer=_copy_state(inner.state_dict()),
        losses=tuple(losses),
        data=tuple(dict.fromkeys([*start.data, *data])),
        privacy=privacy,
    )
    if interrupted:
        raise TrainingInterrupted(result)
    return result


def _count(history: list[tuple[float, float, int]], dp_plan: DPPlan) -> None:
    """One more step at the plan's noise and rate in the accountant's history (merged as opacus' RDP one does)."""
    if history and history[-1][0] == dp_plan.noise_multiplier and history[-1][1] == dp_plan.sample_rate:
        sigma, rate, steps = history[-1]
        history[-1] = (sigma, rate, steps + 1)
    else:
        history.append((dp_plan.noise_multiplier, dp_plan.sample_rate, 1))


def _private_step(
    private: Any,
    optimizer: Any,
    inner: Any,
    trainable: list[Any],
    batch: list[list[int]],
    pad_id: int,
    dp_plan: DPPlan,
    expected: int,
) -> float:
    """One DP-SGD step on ``batch`` (possibly empty: then a noise-only step). Returns the batch's mean loss."""
    import torch

    if not batch:
        for p in trainable:
            p.grad = torch.normal(0.0, dp_plan.noise_multiplier * dp_plan.max_grad_norm, p.shape) / expected
        inner.step()
        inner.zero_grad(set_to_none=True)
        return float("nan")
    ids, mask, labels = batch_tensors(batch, pad_id)
    nll, tokens = sequence_nll(private, ids, mask, labels)
    loss = (nll / tokens.clamp(min=1)).mean()  # per-record mean token loss, averaged: opacus' "mean" reduction
    loss.backward()
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    return float(loss.detach())


def combined_privacy(states: Sequence[AdapterState]) -> dict[str, Any] | None:
    """The guarantee of a combination of shard adapters: parallel composition over disjoint shards (the largest
    epsilon), or None when any shard was trained without DP."""
    found = [s.privacy for s in states]
    if not found or any(p is None or "epsilon" not in p for p in found):
        return None
    worst = max(found, key=lambda p: float(p["epsilon"]))  # type: ignore[index]
    assert worst is not None
    return {
        **{k: v for k, v in worst.items() if k != "history"},
        "composition": f"parallel over {len(found)} disjoint shards",
        "shard_epsilons": [p["epsilon"] for p in found if p is not None],
        "delta": max(float(p["delta"]) for p in found if p is not None),
    }
