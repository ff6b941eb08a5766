"""One training function for every learner: :func:`train_adapter` trains an adapter on a list of texts.

It starts from a given :class:`~knowme.learn.model.AdapterState` (or a fresh adapter), trains within a step and time
budget and returns the new state, optimiser included, so the caller can store it and call again to resume. The SISA
shards call it per slice; a differentially private variant passes its own ``make_optimizer`` (and wraps the model);
a federated client calls it on its own vault and sends only the returned weights.

Training data: each text is tokenised, cut into windows of ``seq_tokens`` tokens (the last one ends with the
end-of-text token) and the windows are visited in an order fixed by ``seed`` and the epoch, so a resumed run sees the
same batches an uninterrupted one would. Batches are right-padded; padding never counts in the loss.

Edge cases: no text (or texts that tokenise to nothing) is a LearnError; ``max_steps`` is the total step count the
state should reach (a state already there returns unchanged); ``max_seconds`` stops early after a whole step;
``should_stop()`` lets a caller interrupt cleanly between steps.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from knowme.errors import LearnError
from knowme.learn.model import AdapterState, attach, quiet

StepHook = Callable[[int, int, float], None]  # (step, total steps, loss)


class TrainingInterrupted(KeyboardInterrupt):
    """Ctrl-C during training: carries the state after the last whole step so the caller can store it."""

    def __init__(self, state: AdapterState) -> None:
        super().__init__("training interrupted")
        self.state = state


@dataclass(frozen=True)
class TrainSettings:
    """How an adapter is shaped and trained. The defaults fit SmolLM2-135M on 2 CPU cores (about 1-2 s a step)."""

    method: str = "lora"  # lora | prompt
    rank: int = 8
    alpha: int = 16
    target_modules: tuple[str, ...] = ("q_proj", "v_proj")
    virtual_tokens: int = 16
    lora_lr: float = 1e-3
    prompt_lr: float = 3e-2
    batch_size: int = 8
    seq_tokens: int = 48
    seed: int = 0

    @property
    def lr(self) -> float:
        return self.lora_lr if self.method == "lora" else self.prompt_lr

    def peft_config(self) -> dict[str, Any]:
        from peft import LoraConfig, PromptTuningConfig, TaskType

        if self.method == "lora":
            config: Any = LoraConfig(
                r=self.rank,
                lora_alpha=self.alpha,
                target_modules=list(self.target_modules),
                lora_dropout=0.0,
                task_type=TaskType.CAUSAL_LM,
            )
        elif self.method == "prompt":
            config = PromptTuningConfig(task_type=TaskType.CAUSAL_LM, num_virtual_tokens=self.virtual_tokens)
        else:
            raise LearnError(f"unknown learning method {self.method!r}: use lora or prompt")
        return json.loads(json.dumps(config.to_dict(), default=lambda o: sorted(o) if isinstance(o, set) else str(o)))


def windows(tokenizer: Any, texts: Sequence[str], seq_tokens: int) -> list[list[int]]:
    """Each text's token ids cut into windows of at most ``seq_tokens`` (the end-of-text token closes each text)."""
    out: list[list[int]] = []
    eos = tokenizer.eos_token_id
    for text in texts:
        ids = [*tokenizer(text, add_special_tokens=False)["input_ids"], eos]
        out.extend(ids[start : start + seq_tokens] for start in range(0, len(ids), seq_tokens) if ids[start:])
    return [w for w in out if len(w) > 1]


def batch_tensors(windows_: Sequence[Sequence[int]], pad_id: int) -> tuple[Any, Any, Any]:
    import torch

    width = max(len(w) for w in windows_)
    ids = torch.full((len(windows_), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(windows_), width), dtype=torch.long)
    for row, window in enumerate(windows_):
        ids[row, : len(window)] = torch.tensor(window, dtype=torch.long)
        mask[row, : len(window)] = 1
    labels = ids.masked_fill(mask == 0, -100)
    return ids, mask, labels


def batch_order(count: int, step: int, batch_size: int, seed: int) -> list[int]:
    """The window indices of batch ``step``: epochs of a permutation fixed by ``seed`` and the epoch number."""
    import torch

    picked: list[int] = []
    position = step * batch_size
    while len(picked) < batch_size:
        epoch, offset = divmod(position, count)
        generator = torch.Generator().manual_seed(seed * 100_003 + epoch)
        permutation = torch.randperm(count, generator=generator).tolist()
        take = permutation[offset : offset + batch_size - len(picked)]
        picked.extend(take)
        position += len(take)
    return picked


def default_optimizer(parameters: list[Any], settings: TrainSettings) -> Any:
    import torch

    return torch.optim.AdamW(parameters, lr=settings.lr, weight_decay=0.0)


def fresh_state(settings: TrainSettings) -> AdapterState:
    return AdapterState(method=settings.method, peft_config=settings.peft_config(), weights={}, seed=settings.seed)


def run_steps(
    step: int,
    losses: list[float],
    one_step: Callable[[int], float],
    optimizer: Any,
    *,
    max_steps: int,
    max_seconds: float | None,
    should_stop: Callable[[], bool] | None,
    on_step: StepHook | None,
) -> tuple[int, list[float], bool]:
    """Run ``one_step(step) -> loss`` until ``max_steps``, the time budget or ``should_stop()``; Ctrl-C stops after
    the last whole step. Returns the step reached, the losses, and whether it was interrupted."""
    began = time.monotonic()
    with quiet():
        try:
            while step < max_steps:
                if max_seconds is not None and time.monotonic() - began >= max_seconds:
                    break
                if should_stop is not None and should_stop():
                    break
                loss = one_step(step)
                step += 1
                losses.append(round(loss, 5))
                if on_step is not None:
                    on_step(step, max_steps, losses[-1])
        except KeyboardInterrupt:
            optimizer.zero_grad(set_to_none=True)
            return step, losses, True
    return step, losses, False


def train_adapter(
    texts: Sequence[str],
    *,
    base: tuple[Any, Any],
    start: AdapterState | None = None,
    settings: TrainSettings | None = None,
    max_steps: int,
    max_seconds: float | None = None,
    on_step: StepHook | None = None,
    should_stop: Callable[[], bool] | None = None,
    make_optimizer: Callable[[list[Any], TrainSettings], Any] | None = None,
    data: Sequence[str] = (),
) -> AdapterState:
    """Train ``start`` (or a fresh adapter) on ``texts`` until it has taken ``max_steps`` steps in all, or the time
    budget runs out; return the new state. ``base`` is ``(model, tokenizer)`` from :func:`~knowme.learn.model.
    load_base` and is modified in place (load a fresh one per adapter). ``data`` (content hashes) is recorded in the
    state as what it trained on."""
    from peft import get_peft_model_state_dict

    settings = settings or TrainSettings()
    state = start or fresh_state(settings)
    model, tokenizer = base
    chunks = windows(tokenizer, texts, settings.seq_tokens)
    if not chunks:
        raise LearnError("nothing to train on: the texts are empty")
    peft_model = attach(model, state, trainable=True)
    trainable = [p for p in peft_model.parameters() if p.requires_grad]
    optimizer = (make_optimizer or default_optimizer)(trainable, settings)
    if state.optimizer is not None:
        optimizer.load_state_dict(dict(state.optimizer))

    def one_step(step: int) -> float:
        picked = [chunks[i] for i in batch_order(len(chunks), step, settings.batch_size, state.seed)]
        ids, mask, labels = batch_tensors(picked, tokenizer.pad_token_id)
        loss = peft_model(input_ids=ids, attention_mask=mask, labels=labels).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        return float(loss.detach())

    step, losses, interrupted = run_steps(
        state.step, list(state.losses), one_step, optimizer, max_steps=max_steps, max_seconds=max_seconds,
        should_stop=should_stop, on_step=on_step,
    )  # fmt: skip
    weights = {k: v.detach().clone() for k, v in get_peft_model_state_dict(peft_model).items()}
    peft_model.train(False)
    result = AdapterState(
        method=state.method,
        peft_config=state.peft_config,
        weights=weights,
        step=step,
        seed=state.seed,
        optimizer=_copy_state(optimizer.state_dict()),
        losses=tuple(losses),
        data=tuple(dict.fromkeys([*state.data, *data])),
    )
    if interrupted:
        raise TrainingInterrupted(result)
    return result


def _copy_state(value: Any) -> Any:
    import torch

    if isinstance(value, torch.Tensor):
        return value.detach().clone()
    if isinstance(value, Mapping):
        return {k: _copy_state(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_copy_state(v) for v in value)
    return value


def perplexity(model: Any, tokenizer: Any, texts: Sequence[str], *, seq_tokens: int = 48, batch_size: int = 8) -> float:
    """exp(mean token negative log-likelihood) of ``texts`` under ``model`` (a base or PEFT model)."""
    import torch

    chunks = windows(tokenizer, texts, seq_tokens)
    if not chunks:
        raise LearnError("no text to measure perplexity on")
    total, count = 0.0, 0
    model.eval()
    with torch.no_grad(), quiet():
        for start in range(0, len(chunks), batch_size):
            ids, mask, labels = batch_tensors(chunks[start : start + batch_size], tokenizer.pad_token_id)
            nll, tokens = sequence_nll(model, ids, mask, labels)
            total += float(nll.sum())
            count += int(tokens.sum())
    return math.exp(total / max(count, 1))


def sequence_nll(model: Any, ids: Any, mask: Any, labels: Any) -> tuple[Any, Any]:
    """Per-row summed negative log-likelihood and token counts (the first token of each row is not predicted)."""
    import torch

    logits = model(input_ids=ids, attention_mask=mask).logits
    logits = logits[:, -ids.shape[1] :, :]  # a soft prompt prepends virtual positions
    shift_logits, shift_labels = logits[:, :-1, :], labels[:, 1:]
    losses = torch.nn.functional.cross_entropy(
        shift_logits.reshape(-1, shift_logits.shape[-1]), shift_labels.reshape(-1), ignore_index=-100, reduction="none"
    ).view(shift_labels.shape)
    return losses.sum(dim=1), (shift_labels != -100).sum(dim=1)
