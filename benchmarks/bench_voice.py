"""The voice model, measured on the demo life: held-out perplexity, LoRA vs soft prompt, SISA, forgetting, canaries.

    python benchmarks/bench_voice.py [--home DIR] [--epochs E] [--years 2024,2025] [--candidates N]

Writes the demo life (one year of it is too little sent mail, so the generator writes two years of the same
person's life, its own machinery, no hand-written text), ingests the mail, notes and chats, plants one canary email,
holds back a quarter of the user's sent mail (by ref hash) and prints:

- held-out perplexity of that mail under the base model and under each adapter (target: 25% lower);
- LoRA vs prompt tuning (soft prompt of 16 virtual tokens), one shard each: perplexity, adapter size, time, steps;
- SISA with K=4 shards of 2 slices: the shard combinations (mean LoRA change, mean A/B matrices, one shard);
- the cost of forgetting one email (the canary) against a full retrain, in steps and seconds;
- canary exposure (Carlini et al., "The Secret Sharer"): the canary sentence's loss ranked among ``N`` random
  candidates of the same format, exposure = log2(N) - log2(rank), for the planted canary and for a control canary
  that was never in the data, before and after forgetting the canary email;
- training time and peak memory (RSS) on this machine.
"""

from __future__ import annotations

import argparse
import hashlib
import mailbox
import math
import random
import resource
import tempfile
import time
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import knowme
from knowme.demo.generator import generate_life
from knowme.demo.run import ingest_targets
from knowme.learn.corpus import training_texts
from knowme.learn.model import AdapterState, attach, load_base
from knowme.learn.trainer import batch_tensors, perplexity, sequence_nll
from knowme.learn.voice import ADAPTER, combine_states, load_manifest, load_state, shard_states

PASSPHRASE = "bench-voice"
CANARY = "the door code for the storage unit is {}"
SECRET, CONTROL = "481926", "730514"


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def plant_canary(folder: Path, owner: str) -> Path:
    """One sent email carrying the canary sentence, in its own mbox."""
    folder.mkdir(parents=True, exist_ok=True)
    box = mailbox.mbox(folder / "canary.mbox")
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = owner, "Marta Reis <marta.reis@mailbox.example>", "Storage unit"
    msg["Message-ID"] = "<canary-1@mailbox.example>"
    msg["Date"] = format_datetime(datetime(2025, 6, 3, 18, 5, tzinfo=timezone(timedelta(hours=1))))
    msg.set_content(f"Hi Marta,\n\nFor when you pick up the boxes: {CANARY.format(SECRET)}.\n\nThanks!\nSofia\n")
    box.add(msg)
    box.flush()
    box.close()
    return folder / "canary.mbox"


def build(home: Path, years: list[int]) -> tuple[knowme.Vault, str]:
    vault = knowme.open(home, PASSPHRASE)
    owner = ""
    if vault.store.counts():  # a vault built by an earlier run (its sources are where that run wrote them)
        return vault, owner
    for year in years:
        life = home.parent / f"life-{year}"
        manifest = generate_life(life, seed=7, year=year)
        owner = f"{manifest.owner_name} <{manifest.owner_email}>"
        files = [f for f in manifest.files if f.split("/")[0] in ("mail", "notes", "chats", "contacts")]
        for target in ingest_targets(life, files or manifest.files):
            vault.ingest(target)
    vault.ingest(plant_canary(home.parent / "canary", owner))
    return vault, owner


def model_with(state: AdapterState | None) -> tuple[Any, Any]:
    model, tokenizer = load_base()
    return (attach(model, state) if state is not None else model), tokenizer


def exposure(model: Any, tokenizer: Any, secret: str, candidates: int) -> float:
    """log2(candidates) - log2(rank of ``secret`` among random 6-digit candidates by sequence loss)."""
    import torch

    rng = random.Random(11)
    pool = {secret}
    while len(pool) < candidates:
        pool.add(f"{rng.randrange(10**6):06d}")
    others = sorted(pool - {secret})
    texts = [CANARY.format(secret), *(CANARY.format(c) for c in others)]
    losses: list[float] = []
    model.eval()
    with torch.no_grad():
        for start in range(0, len(texts), 64):
            ids = [tokenizer(t, add_special_tokens=False)["input_ids"] for t in texts[start : start + 64]]
            batch = batch_tensors(ids, tokenizer.pad_token_id)
            nll, _ = sequence_nll(model, *batch)
            losses.extend(float(x) for x in nll)
    rank = 1 + sum(1 for x in losses[1:] if x < losses[0])
    return math.log2(candidates) - math.log2(rank)


def measure(label: str, state: AdapterState | None, held: list[str], candidates: int, base_ppl: float | None) -> float:
    model, tokenizer = model_with(state)
    ppl = perplexity(model, tokenizer, held)
    secret = exposure(model, tokenizer, SECRET, candidates)
    control = exposure(model, tokenizer, CONTROL, candidates)
    change = f"{100 * (ppl / base_ppl - 1):+.1f}%" if base_ppl else "      "
    size = f"{state.parameters:>9,} params" if state is not None else " " * 16
    print(f"  {label:<34} ppl {ppl:7.2f} {change}  {size}  canary exposure {secret:5.2f}  control {control:5.2f}")
    return ppl


def split_held_out(vault: knowme.Vault) -> tuple[list[Any], set[str], list[str], list[Any], dict[str, int]]:
    """A quarter of the sent mail (by ref hash, never the canary) held back; what is left trains."""
    mail = training_texts(vault.store, kinds=("email",))
    held_refs = {t.ref for t in mail if int(hashlib.sha256(t.ref.encode()).hexdigest(), 16) % 4 == 0}
    held_refs.discard("mail:canary-1@mailbox.example")
    held = [t.text for t in mail if t.ref in held_refs]
    train = training_texts(vault.store, exclude_refs=held_refs)
    kinds = {k: sum(1 for t in train if t.kind == k) for k in ("email", "chat_message", "note")}
    return mail, held_refs, held, train, kinds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--home", type=Path, default=None)
    parser.add_argument("--epochs", type=float, default=2.0)
    parser.add_argument("--years", default="2024,2025")
    parser.add_argument("--candidates", type=int, default=1000)
    parser.add_argument("--parts", default="base,lora,prompt,sisa", help="which parts to run (comma-separated)")
    args = parser.parse_args()
    root = args.home or Path(tempfile.mkdtemp(prefix="bench-voice-"))
    t0 = time.monotonic()
    vault, _ = build(root / "home", [int(y) for y in args.years.split(",")])
    print(f"vault built in {time.monotonic() - t0:.0f} s")
    mail, held_refs, held, train, kinds = split_held_out(vault)
    print(f"sent mail: {len(mail)} emails, {sum(t.words for t in mail)} words; held out {len(held)} emails "
          f"({sum(len(h.split()) for h in held)} words)")  # fmt: skip
    print(f"training set: {len(train)} items {kinds}, {sum(t.words for t in train)} words")
    print(f"exposure: {args.candidates} candidates, so at most {math.log2(args.candidates):.2f} bits\n")

    common = {"exclude_refs": held_refs, "epochs": args.epochs, "nice": False}
    print("held-out perplexity of the user's own sent mail (lower is better)")
    parts = set(args.parts.split(","))
    if "base" in parts:
        base_ppl = measure("base SmolLM2-135M", None, held, args.candidates, None)
    else:
        base_ppl = perplexity(*model_with(None), held)
    results: dict[str, tuple[float, float, int, int]] = {}
    for method in [m for m in ("lora", "prompt") if m in parts]:
        report = vault.learn_voice(method=method, shards=1, slices=1, **common)
        state = load_state(vault.store, ADAPTER)
        ppl = measure(f"{method}, one adapter", state, held, args.candidates, base_ppl)
        nbytes = len(state.frozen().to_bytes()) if state else 0
        results[method] = (ppl, report.seconds, report.steps, nbytes)
        per_step = report.seconds / max(report.steps, 1)
        print(f"    trained {report.steps} steps in {report.seconds:.0f} s ({per_step:.2f} s/step), "
              f"adapter {nbytes / 1e6:.2f} MB, peak RSS {peak_mb():.0f} MB")  # fmt: skip

    if "sisa" in parts:
        sisa(vault, common, held, args.candidates, base_ppl)
    if "lora" in parts and "prompt" in parts:
        lora, prompt = results["lora"], results["prompt"]
        print(f"\nsummary: LoRA ppl {lora[0]:.2f} ({lora[3] / 1e6:.2f} MB, {lora[1]:.0f} s) vs prompt ppl "
              f"{prompt[0]:.2f} ({prompt[3] / 1e6:.3f} MB, {prompt[1]:.0f} s); base {base_ppl:.2f}")  # fmt: skip
    print(f"peak RSS {peak_mb():.0f} MB; total {time.monotonic() - t0:.0f} s")
    vault.close()


def sisa(vault: knowme.Vault, common: dict[str, Any], held: list[str], candidates: int, base_ppl: float) -> None:
    args = argparse.Namespace(candidates=candidates)
    print("\nSISA: 4 shards x 2 slices, LoRA")
    full = vault.learn_voice(method="lora", shards=4, slices=2, **common)
    print(f"  full training: {full.steps} steps in {full.seconds:.0f} s, peak RSS {peak_mb():.0f} MB")
    manifest = load_manifest(vault.store)
    assert manifest is not None
    states = shard_states(vault.store, manifest)
    for how in ("average", "linear", "largest"):
        measure(f"combined: {how}", combine_states(states, how), held, args.candidates, base_ppl)

    print("\nforget the canary email, then retrain the stale shards")
    began = time.monotonic()
    vault.forget(ref="mail:canary-1@mailbox.example")
    forget_s = time.monotonic() - began
    status = vault.learn_status()
    stale = [s.index for s in status.shards if s.stale]
    print(f"  forget took {forget_s:.1f} s; stale shards {stale}; adapter in use = shards {list(status.in_use)}")
    measure("in use right after forget", load_state(vault.store, ADAPTER), held, args.candidates, base_ppl)
    again = vault.learn_voice(method="lora", shards=4, slices=2, **common)
    share, time_share = 100 * again.steps / max(full.steps, 1), 100 * again.seconds / max(full.seconds, 1)
    print(f"  retrain: {again.steps} steps in {again.seconds:.0f} s = {share:.0f}% of the full training's "
          f"{full.steps} steps ({time_share:.0f}% of its time)")  # fmt: skip
    measure("after retrain (average)", load_state(vault.store, ADAPTER), held, args.candidates, base_ppl)
    status = vault.learn_status()
    print(f"  learn status: {status.checked_hashes} hashes behind the adapter in use, "
          f"{status.forgotten_in_use} forgotten (clean: {status.clean})")  # fmt: skip


if __name__ == "__main__":
    main()
