"""The price of privacy for the voice model: DP-SGD at several epsilons and federated training, on the demo life.

    python benchmarks/bench_voice_privacy.py [--home DIR] [--epochs E] [--years 2025] [--candidates N]
                                             [--epsilons 1,4,8] [--rounds R] [--local-steps S]

Builds the vault as benchmarks/bench_voice.py does (the demo life's mail, notes, chats and contacts, plus one canary
email), holds back a quarter of the user's sent mail and prints the held-out perplexity of that mail and the canary's
exposure (Carlini et al.; log2(candidates) is the most there can be, about 0 is chance) for:

- the base model;
- LoRA trained centrally (one adapter, no shards) for ``--epochs`` passes;
- LoRA trained with DP-SGD (``knowme.learn.dp``) at each epsilon, same epochs (a DP step is a Poisson sample of
  records at the expected batch size, so the step counts differ: they are printed); the canary is never forgotten
  here: this is exposure under DP alone;
- federated: the training set split into three "devices" by source (sent mail, chat messages, notes), each device
  training with the same client code the Flower client runs (``knowme.learn.federate.local_update``) and Flower's
  own FedAvg arithmetic (``flwr.server.strategy.aggregate.aggregate``) combining them, for ``--rounds`` rounds with
  the local steps chosen so that the devices together take the centralised run's step count (or ``--local-steps``
  each per round: devices train side by side, so rounds x local steps is what compares with the central steps).
  It runs in one process: the transport does not change the arithmetic, and tests/learn/test_federate.py runs the
  real processes.
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
from pathlib import Path

from bench_voice import build, measure, peak_mb, split_held_out

from knowme.learn.artifacts import ADAPTER, load_state
from knowme.learn.dp import DPSettings
from knowme.learn.model import AdapterState
from knowme.learn.trainer import TrainSettings, fresh_state


def federated(
    train: list, rounds: int, total_steps: int, settings: TrainSettings, local_steps: int = 0
) -> tuple[AdapterState, int, float]:
    """FedAvg over three devices split by source kind; returns (global adapter, steps taken in all, seconds).
    Each device takes ``local_steps`` per round, or by default its share of ``total_steps``."""
    import torch
    from flwr.server.strategy.aggregate import aggregate

    from knowme.learn.federate import adapter_keys, from_arrays, local_update, to_arrays
    from knowme.learn.model import attach, load_base

    devices = [[t.text for t in train if t.kind == kind] for kind in ("email", "chat_message", "note")]
    devices = [d for d in devices if d]
    local = local_steps or max(1, round(total_steps / (rounds * len(devices))))
    keys = adapter_keys(settings)
    torch.manual_seed(settings.seed)
    from peft import get_peft_model_state_dict

    start = attach(load_base()[0], fresh_state(settings))
    arrays = to_arrays(AdapterState(settings.method, {}, get_peft_model_state_dict(start)))[1]
    began = time.monotonic()
    for round_ in range(1, rounds + 1):
        results = []
        for texts in devices:
            state = local_update(texts, keys, arrays, settings, local, round_)
            results.append((to_arrays(state)[1], len(texts)))
        arrays = aggregate(results)
        sizes = ", ".join(str(len(d)) for d in devices)
        print(f"    round {round_}: {len(devices)} devices ({sizes} records) x {local} local steps")
    return from_arrays(keys, arrays, settings), rounds * local * len(devices), time.monotonic() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--home", type=Path, default=None)
    parser.add_argument("--epochs", type=float, default=1.0)
    parser.add_argument("--years", default="2025")
    parser.add_argument("--candidates", type=int, default=200)
    parser.add_argument("--epsilons", default="1,4,8")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--parts", default="central,dp,federated", help="which parts to run (comma-separated)")
    parser.add_argument("--central-steps", type=int, default=0, help="the central run's steps, when it is not run")
    parser.add_argument("--local-steps", type=int, default=0, help="federated: each device's steps per round")
    args = parser.parse_args()
    root = args.home or Path(tempfile.mkdtemp(prefix="bench-voice-privacy-"))
    t0 = time.monotonic()
    vault, _ = build(root / "home", [int(y) for y in args.years.split(",")])
    print(f"vault built in {time.monotonic() - t0:.0f} s")
    _, held_refs, held, train, kinds = split_held_out(vault)
    print(f"held out {len(held)} sent emails ({sum(len(h.split()) for h in held)} words); training set "
          f"{len(train)} records {kinds}, {sum(t.words for t in train)} words")  # fmt: skip
    print(f"exposure: {args.candidates} candidates, so at most {math.log2(args.candidates):.2f} bits; "
          f"epochs {args.epochs}\n")  # fmt: skip
    common = {"exclude_refs": held_refs, "epochs": args.epochs, "nice": False, "shards": 1, "slices": 1}

    print("held-out perplexity of the user's own sent mail (lower is better)")
    parts = set(args.parts.split(","))
    base_ppl = measure("base SmolLM2-135M", None, held, args.candidates, None)
    central_steps, lora_ppl = args.central_steps, 0.0
    if "central" in parts:
        report = vault.learn_voice(method="lora", resume=False, **common)
        lora_ppl = measure("LoRA, central", load_state(vault.store, ADAPTER), held, args.candidates, base_ppl)
        per_step = report.seconds / max(report.steps, 1)
        print(f"    {report.steps} steps in {report.seconds:.0f} s ({per_step:.1f} s/step)")
        central_steps = report.steps

    for epsilon in [float(e) for e in args.epsilons.split(",") if "dp" in parts]:
        report = vault.learn_voice(method="lora", dp=DPSettings(epsilon=epsilon), **common)
        state = load_state(vault.store, ADAPTER)
        assert state is not None and state.privacy is not None
        p = state.privacy
        measure(f"LoRA, DP-SGD epsilon={epsilon:g}", state, held, args.candidates, base_ppl)
        print(f"    {report.steps} steps in {report.seconds:.0f} s; spent epsilon {p['epsilon']:.2f} at delta "
              f"{p['delta']:.2g} ({p['records']} records, rate {p['sample_rate']:.3f}, noise "
              f"{p['noise_multiplier']:.2f}, clip {p['max_grad_norm']:g})")  # fmt: skip

    if "federated" in parts and central_steps:
        together = f"the devices together take ~{central_steps} steps"
        plan = f"{args.local_steps} local steps" if args.local_steps else together
        print(f"\nfederated: {args.rounds} rounds, {plan}")
        state, steps, seconds = federated(train, args.rounds, central_steps, TrainSettings(), args.local_steps)
        fed_ppl = measure("LoRA, federated (FedAvg, 3 devices)", state, held, args.candidates, base_ppl)
        versus = f"; federated vs central perplexity {100 * (fed_ppl / lora_ppl - 1):+.1f}%" if lora_ppl else ""
        print(f"    {steps} device steps in {seconds:.0f} s{versus}")
    print(f"\npeak RSS {peak_mb():.0f} MB; total {time.monotonic() - t0:.0f} s")
    vault.close()


if __name__ == "__main__":
    main()
