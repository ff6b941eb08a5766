"""``knowme learn``: train, inspect, combine, export and forget the voice adapter of a vault.

:func:`learn_voice` builds the training set (:mod:`knowme.learn.corpus`), places the records in the SISA manifest
(:mod:`knowme.learn.sisa`) and trains every shard that is not complete, slice by slice, through
:func:`knowme.learn.trainer.train_adapter`. Every checkpoint and the manifest go into the vault as artifacts
(encrypted with it); after the run, the complete shards are combined into the adapter in use (``voice/adapter``).

Combining: ``average`` (default) makes one LoRA whose weight change is exactly the mean of the shards' changes (the
shards' A matrices stacked, their B matrices stacked and divided by the shard count: rank ``K*r``, same scaling); for
a soft prompt it averages the prompt vectors. ``largest`` uses the shard with the most records only (routing to one
shard). The benchmark compares them (docs/benchmarks.md).

Budget and friendliness: ``max_steps`` (steps in this run) and ``max_minutes`` stop the run between steps; the shard
being trained keeps an in-progress checkpoint and the next run continues it (same batches as an uninterrupted run).
Ctrl-C does the same. The process lowers its own priority (``os.nice``) once and torch uses at most 2 threads.

Forgetting: :func:`on_forget` (called by ``Vault.forget``) takes the forgotten content hashes out of the manifest,
deletes the checkpoints that saw them and the combined adapter, and re-combines the shards still complete; the touched
shards are stale (not used) until the next ``knowme learn voice`` retrains them from their last clean checkpoint.
:func:`learn_status` checks every hash behind the adapter in use against the vault's tombstones.

Edge cases: fewer than ``MIN_WORDS`` words of the user's own writing is a LearnError saying how much there is;
changing ``method`` or the shard count starts over (the old checkpoints are deleted); ``resume=False`` too.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import resource
import sys
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from knowme.errors import LearnError
from knowme.learn.artifacts import ADAPTER, LearnStatus, ShardStatus, adapter_in_use, artifacts, load_state
from knowme.learn.corpus import TrainingText, training_texts, word_count
from knowme.learn.dp import DPPlan, DPSettings, combined_privacy, examples, plan, resolve_delta, train_private
from knowme.learn.federate import federated_status
from knowme.learn.model import AdapterState, attach, export_peft, gguf_path, load_base
from knowme.learn.sisa import MANIFEST, Manifest, Shard, checkpoint_name, progress_name, record_weight
from knowme.learn.trainer import TrainingInterrupted, TrainSettings, train_adapter, windows
from knowme.store.base import ArtifactStore, ForgettingStore, Store

MIN_WORDS = 400
COMBINE = ("average", "largest")
ProgressHook = Callable[[str, int, int | None], None]  # (label, done, total), as ingest's
_niced = False


@dataclass(frozen=True)
class LearnReport:
    method: str
    records: int
    words: int
    steps: int  # optimiser steps taken in this run
    seconds: float
    trained_shards: tuple[int, ...]
    complete: bool  # every shard is trained: nothing left for a next run
    stale: tuple[int, ...]
    peak_rss_mb: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def load_manifest(store: Store) -> Manifest | None:
    found = artifacts(store).load_artifact(MANIFEST)
    return Manifest.from_bytes(found[1]) if found else None


def save_manifest(store: Store, manifest: Manifest) -> None:
    artifacts(store).save_artifact(MANIFEST, "manifest", manifest.meta(), manifest.to_bytes())


def _save_state(store: Store, name: str, kind: str, state: AdapterState, **meta: Any) -> None:
    info = {"method": state.method, "step": state.step, "parameters": state.parameters, "records": len(state.data)}
    artifacts(store).save_artifact(name, kind, {**info, **meta}, state.to_bytes())


def _lower_priority() -> None:
    global _niced
    if not _niced:
        _niced = True
        with contextlib.suppress(OSError):
            os.nice(10)


def _peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def learn_voice(
    store: Store,
    *,
    method: str = "lora",
    shards: int = 4,
    slices: int = 2,
    epochs: float = 2.0,
    max_steps: int | None = None,
    max_minutes: float | None = None,
    resume: bool = True,
    combine: str = "average",
    settings: TrainSettings | None = None,
    exclude_refs: Collection[str] = (),
    progress: ProgressHook | None = None,
    nice: bool = True,
    dp: DPSettings | None = None,
) -> LearnReport:
    """Train (or bring up to date) the vault's voice adapter within the budget; see the module docstring. ``dp``
    trains with DP-SGD (:mod:`knowme.learn.dp`; one slice per shard)."""
    if shards < 1 or slices < 1 or epochs <= 0:
        raise LearnError("shards, slices and epochs must be positive")
    if combine not in COMBINE:
        raise LearnError(f"unknown combination {combine!r}: use {' or '.join(COMBINE)}")
    settings = replace(settings or TrainSettings(), method=method)
    texts = training_texts(store, exclude_refs=exclude_refs)
    words = word_count(texts)
    if words < MIN_WORDS:
        raise LearnError(
            f"too little of your own writing to learn a voice: {words} words in {len(texts)} sent messages and "
            f"notes, at least {MIN_WORDS} needed; ingest more of your sent mail, chats or notes"
        )
    private: _Private | None = None
    if dp is not None:
        slices = 1
        private = _Private(dp, resolve_delta(dp, len(texts)))
    if nice:
        _lower_priority()
    by_hash = {t.content_hash: t for t in texts}
    manifest = _prepare_manifest(store, method, shards, slices, combine, settings, resume, by_hash, epochs, private)
    began = time.monotonic()
    deadline = began + max_minutes * 60 if max_minutes is not None else None
    taken, trained = _train_stale(store, manifest, by_hash, settings, epochs, private, max_steps, deadline, progress)
    recombine(store, manifest)
    return LearnReport(
        method=method,
        records=len(texts),
        words=words,
        steps=taken,
        seconds=round(time.monotonic() - began, 2),
        trained_shards=tuple(trained),
        complete=all(not s.stale for s in manifest.shards),
        stale=tuple(s.index for s in manifest.shards if s.stale),
        peak_rss_mb=round(_peak_rss_mb(), 1),
    )


def _prepare_manifest(
    store: Store,
    method: str,
    shards: int,
    slices: int,
    combine: str,
    settings: TrainSettings,
    resume: bool,
    by_hash: dict[str, TrainingText],
    epochs: float,
    private: _Private | None,
) -> Manifest:
    """The SISA manifest for this run, saved: the kept one with the records placed, or a new one (and the old
    checkpoints deleted) when the method, shard count or settings changed or ``resume`` is off."""
    manifest = load_manifest(store)
    wanted = {"settings": json.loads(json.dumps(asdict(settings))), "shards": shards}
    if private is not None:
        wanted["settings"]["dp"] = {**asdict(private.settings), "delta": private.delta}
    if (
        manifest is None
        or not resume
        or manifest.method != method
        or len(manifest.shards) != shards
        or manifest.settings != wanted["settings"]
    ):
        artifacts(store).delete_artifacts([a.name for a in artifacts(store).list_artifacts(prefix="voice/")])
        manifest = Manifest.new(method, shards, slices, wanted["settings"], combine)
    manifest.combine = combine
    _drop_stale_checkpoints(store, manifest, manifest.drop_missing(by_hash))
    manifest.place(by_hash, {h: record_weight(t.words) for h, t in by_hash.items()})
    if private is not None:  # refuse an impossible budget before training anything
        for shard in (s for s in manifest.shards if s.stale):
            private.plan(shard, by_hash, settings, epochs)
    save_manifest(store, manifest)
    return manifest


def _train_stale(
    store: Store,
    manifest: Manifest,
    by_hash: dict[str, TrainingText],
    settings: TrainSettings,
    epochs: float,
    private: _Private | None,
    budget: int | None,
    deadline: float | None,
    progress: ProgressHook | None,
) -> tuple[int, list[int]]:
    """Train the stale shards slice by slice until done, ``budget`` steps or the ``deadline``; the steps taken and
    the shards trained."""
    taken = 0
    trained: list[int] = []
    todo = [s for s in manifest.shards if s.stale]
    total = sum(_slice_steps(manifest, s, j, by_hash, settings, epochs, private) for s in todo for j in _open(s))
    done = 0
    for shard in todo:
        while not shard.complete:
            left = None if budget is None else budget - taken
            seconds = None if deadline is None else deadline - time.monotonic()
            if (left is not None and left <= 0) or (seconds is not None and seconds <= 0):
                break

            def hook(
                step: int, target: int, loss: float, _base: int = done, _label: str = f"shard {shard.index}"
            ) -> None:
                if progress is not None:
                    progress(_label, _base + step, total)

            steps, finished = _train_slice(
                store, manifest, shard, by_hash, settings, epochs, left, seconds, hook, done, private
            )
            taken += steps
            done += steps
            if shard.index not in trained:
                trained.append(shard.index)
            save_manifest(store, manifest)
            if not finished:
                break
    return taken, trained


def _open(shard: Shard) -> range:
    return range(shard.trained, len(shard.slices))


def _slice_texts(shard: Shard, j: int, by_hash: dict[str, TrainingText]) -> list[TrainingText]:
    return [by_hash[h] for part in shard.slices[: j + 1] for h in part if h in by_hash]


_TOKENIZER: list[Any] = []


def _tokenizer() -> Any:
    if not _TOKENIZER:
        from transformers import AutoTokenizer

        from knowme.learn.model import base_model_dir, quiet

        with quiet():
            _TOKENIZER.append(AutoTokenizer.from_pretrained(str(base_model_dir())))
    return _TOKENIZER[0]


def _slice_steps(
    manifest: Manifest,
    shard: Shard,
    j: int,
    by_hash: dict[str, TrainingText],
    settings: TrainSettings,
    epochs: float,
    private: _Private | None = None,
) -> int:
    """Steps slice ``j`` of ``shard`` takes: ``epochs`` passes over the windows of slices ``0..j`` (under DP: over its
    records, one example each, at the expected Poisson batch size)."""
    if private is not None:
        return private.plan(shard, by_hash, settings, epochs).steps
    count = len(windows(_tokenizer(), [t.text for t in _slice_texts(shard, j, by_hash)], settings.seq_tokens))
    return max(1, math.ceil(epochs * count / settings.batch_size))


@dataclass
class _Private:
    """DP-SGD settings with the delta resolved for this vault, and each shard's plan (computed once)."""

    settings: DPSettings
    delta: float
    plans: dict[int, DPPlan] = field(default_factory=dict)

    def plan(self, shard: Shard, by_hash: dict[str, TrainingText], settings: TrainSettings, epochs: float) -> DPPlan:

        if shard.index not in self.plans:
            texts = [t.text for t in _slice_texts(shard, len(shard.slices) - 1, by_hash)]
            records = len(examples(_tokenizer(), texts, self.settings.record_tokens))
            steps = max(1, math.ceil(epochs * records / settings.batch_size))
            self.plans[shard.index] = plan(
                self.settings, records=records, batch_size=settings.batch_size, steps=steps, delta=self.delta
            )
        return self.plans[shard.index]


def _train_slice(
    store: Store,
    manifest: Manifest,
    shard: Shard,
    by_hash: dict[str, TrainingText],
    settings: TrainSettings,
    epochs: float,
    left: int | None,
    seconds: float | None,
    hook: Callable[[int, int, float], None],
    done: int,
    private: _Private | None = None,
) -> tuple[int, bool]:
    """Train the next slice of ``shard`` (continuing its in-progress checkpoint); return (steps, slice finished)."""
    j = shard.trained
    texts = _slice_texts(shard, j, by_hash)
    previous = load_state(store, checkpoint_name(shard.index, j - 1)) if j else None
    start = previous or AdapterState(method=settings.method, peft_config=settings.peft_config(), weights={},
                                     seed=settings.seed + shard.index)  # fmt: skip
    target = start.step + _slice_steps(manifest, shard, j, by_hash, settings, epochs, private)
    found = artifacts(store).load_artifact(progress_name(shard.index))
    if found and found[0].meta.get("slice") == j and found[0].meta.get("target") == target:
        start = AdapterState.from_bytes(found[1])
    first = start.step
    stop_at = target if left is None else min(target, start.step + left)
    try:
        if private is not None:
            state = train_private(
                [t.text for t in texts],
                base=load_base(),
                start=start,
                settings=settings,
                dp_plan=private.plan(shard, by_hash, settings, epochs),
                max_steps=stop_at,
                max_seconds=seconds,
                on_step=lambda step, _t, loss: hook(step - first, target, loss),
                data=[t.content_hash for t in texts],
            )
        else:
            state = train_adapter(
                [t.text for t in texts],
                base=load_base(),
                start=start,
                settings=settings,
                max_steps=stop_at,
                max_seconds=seconds,
                on_step=lambda step, _t, loss: hook(step - first, target, loss),
                data=[t.content_hash for t in texts],
            )
    except TrainingInterrupted as stop:
        _save_state(store, progress_name(shard.index), "checkpoint", stop.state, slice=j, target=target)
        save_manifest(store, manifest)
        raise KeyboardInterrupt from None
    steps = state.step - first
    if state.step < target:
        _save_state(store, progress_name(shard.index), "checkpoint", state, slice=j, target=target)
        return steps, False
    _save_state(store, checkpoint_name(shard.index, j), "checkpoint", state, shard=shard.index, slice=j)
    artifacts(store).delete_artifacts([progress_name(shard.index)])
    shard.trained = j + 1
    shard.steps = state.step
    if shard.complete:
        shard.forgotten = 0
    return steps, True


def _drop_stale_checkpoints(store: Store, manifest: Manifest, touched: Sequence[int]) -> None:
    names: list[str] = []
    for index in touched:
        shard = manifest.shards[index]
        names.append(progress_name(index))
        names.extend(a.name for a in artifacts(store).list_artifacts(prefix=f"voice/shard-{index}/slice-")
                     if int(a.name.rsplit("-", 1)[1]) >= shard.trained)  # fmt: skip
    if touched:
        names.append(ADAPTER)
    artifacts(store).delete_artifacts(names)


# -- combining ---------------------------------------------------------------------------------------------------
def combine_states(states: Sequence[AdapterState], how: str = "average") -> AdapterState:
    """One adapter from shard adapters: ``average`` (exact mean of LoRA weight changes; mean soft prompt), ``linear``
    (mean of the A and B matrices separately: cheaper, not the mean change; for comparison) or one shard."""
    import torch

    if not states:
        raise LearnError("no trained shard to combine")
    if len(states) == 1 or how == "largest":
        best = max(states, key=lambda s: len(s.data))
        return replace(best.frozen(), data=best.data)
    method = states[0].method
    data = tuple(dict.fromkeys(h for s in states for h in s.data))
    keys = list(states[0].weights)
    n = len(states)
    if method != "lora" or how == "linear":
        weights = {k: torch.stack([s.weights[k] for s in states]).mean(dim=0) for k in keys}
        return AdapterState(method, states[0].peft_config, weights, step=max(s.step for s in states), data=data,
                            privacy=combined_privacy(states))  # fmt: skip
    weights = {}
    for key in keys:
        if ".lora_A." in key:
            weights[key] = torch.cat([s.weights[key] for s in states], dim=0)
        elif ".lora_B." in key:
            weights[key] = torch.cat([s.weights[key] / n for s in states], dim=1)
        else:
            weights[key] = states[0].weights[key]
    config = dict(states[0].peft_config)
    config["r"] = int(config["r"]) * n
    config["lora_alpha"] = int(config["lora_alpha"]) * n
    return AdapterState(method, config, weights, step=sum(s.step for s in states), data=data,
                        privacy=combined_privacy(states))  # fmt: skip


def shard_states(store: Store, manifest: Manifest) -> list[AdapterState]:
    out = []
    for shard in manifest.usable():
        state = load_state(store, checkpoint_name(shard.index, shard.trained - 1))
        if state is not None:
            out.append(state.frozen())
    return out


def recombine(store: Store, manifest: Manifest) -> AdapterState | None:
    """Rebuild ``voice/adapter`` from the complete shards (delete it when none is complete)."""
    states = shard_states(store, manifest)
    if not states:
        artifacts(store).delete_artifacts([ADAPTER])
        return None
    combined = combine_states(states, manifest.combine)
    used = [s.index for s in manifest.usable()]
    _save_state(store, ADAPTER, "adapter", combined, shards=used, combine=manifest.combine)
    return combined


# -- forgetting, status, export -----------------------------------------------------------------------------------
def on_forget(store: Store, content_hashes: Collection[str]) -> list[int]:
    """Take forgotten records out of the manifest; return the shards that saw them (now stale, queued)."""
    if not isinstance(store, ArtifactStore):
        return []
    manifest = load_manifest(store)
    if manifest is None:
        return []
    touched = manifest.forget(content_hashes)
    if touched:
        _drop_stale_checkpoints(store, manifest, touched)
        save_manifest(store, manifest)
        recombine(store, manifest)
    return touched


def learn_status(store: Store) -> LearnStatus:

    manifest = load_manifest(store)
    kept = artifacts(store).list_artifacts(prefix="voice/")
    if manifest is None and any(a.name == ADAPTER for a in kept):
        return federated_status(store, kept)
    if manifest is None:
        return LearnStatus(method=None, artifacts=len(kept), artifact_bytes=sum(a.size for a in kept),
                           notes=("no voice adapter yet: run `knowme learn voice`",))  # fmt: skip
    shards = tuple(ShardStatus(s.index, len(s.records), len(s.slices), s.trained, s.stale, s.steps)
                   for s in manifest.shards)  # fmt: skip
    adapter = next((a for a in kept if a.name == ADAPTER), None)
    in_use = adapter_in_use(store)
    hashes = sorted(set(manifest.trained_hashes()) | set(in_use.data if in_use else ()))
    forgotten = store.forgotten(hashes) if isinstance(store, ForgettingStore) else set()
    notes: list[str] = []
    stale = [s.index for s in manifest.shards if s.stale]
    if stale:
        notes.append(
            f"shards {', '.join(map(str, stale))} are stale (not used) until `knowme learn voice` retrains them"
        )
    return LearnStatus(
        method=manifest.method,
        shards=shards,
        adapter_bytes=adapter.size if adapter else 0,
        adapter_parameters=in_use.parameters if in_use else 0,
        in_use=tuple(adapter.meta.get("shards", ())) if adapter else (),
        combine=manifest.combine,
        checked_hashes=len(hashes),
        forgotten_in_use=len(forgotten),
        artifacts=len(kept),
        artifact_bytes=sum(a.size for a in kept),
        notes=tuple(notes),
        privacy=dict(in_use.privacy) if in_use and in_use.privacy else None,
    )


def export_adapter(store: Store, folder: Path) -> list[Path]:
    """Write the adapter in use as a standard PEFT folder (the only time its weights leave the vault)."""
    state = adapter_in_use(store)
    if state is None:
        raise LearnError("no voice adapter in use: run `knowme learn voice` first")
    return export_peft(state, folder, base_name=str(gguf_path()))


def adapted_model(store: Store) -> tuple[Any, Any] | None:
    """(PEFT model in eval mode, tokenizer) with the adapter in use, or None without one."""
    state = adapter_in_use(store)
    if state is None:
        return None
    model, tokenizer = load_base()
    return attach(model, state), tokenizer
