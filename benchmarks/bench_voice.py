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
  candidates of the same format, exposure = log2(N) - log2(rank), for the planted canary and for 20 control codes
  that were never in the data (their mean and maximum show what chance looks like for the same model, and how many
  of them score at or above the canary), before and after forgetting the canary email;
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
from knowme.demo.generator import generate_life, ingest_targets
from knowme.learn.artifacts import ADAPTER, load_state
from knowme.learn.corpus import training_texts
from knowme.learn.model import AdapterState, attach, load_base
from knowme.learn.trainer import batch_tensors, perplexity, sequence_nll
from knowme.learn.voice import combine_states, load_manifest, shard_states

PASSPHRASE = "bench-voice"
CANARY = "the door code for the storage unit is {}"
SECRET, CONTROL = "481926", "730514"


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def plant_canary(folder: Path, owner: str, copies: int = 1) -> Path:
    """``copies`` sent emails carrying the canary sentence (weeks apart, refs ``canary-1``...), in their own mbox."""
    folder.mkdir(parents=True, exist_ok=True)
    box = mailbox.mbox(folder / "canary.mbox")
    openers = ["For when you pick up the boxes", "Reminder for Saturday", "In case you go before me", "As promised",
               "Once more, since you asked"]  # fmt: skip
    for n in range(1, copies + 1):
        msg = EmailMessage()
        msg["From"], msg["To"] = owner, "Marta Reis <marta.reis@mailbox.example>"
        msg["Subject"] = "Storage unit" if n == 1 else f"Storage unit ({n})"
        msg["Message-ID"] = f"<canary-{n}@mailbox.example>"
        sent = datetime(2025, 6, 3, 18, 5, tzinfo=timezone(timedelta(hours=1))) + timedelta(weeks=3 * (n - 1))
        msg["Date"] = format_datetime(sent)
        opener = openers[(n - 1) % len(openers)]
        msg.set_content(f"Hi Marta,\n\n{opener}: {CANARY.format(SECRET)}.\n\nThanks!\nSofia\n")
        box.add(msg)
    box.flush()
    box.close()
    return folder / "canary.mbox"


CANARY_REFS = "mail:canary-"


def build(home: Path, years: list[int], copies: int = 1) -> tuple[knowme.Vault, str]:
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
    vault.ingest(plant_canary(home.parent / "canary", owner, copies))
    return vault, owner


def model_with(state: AdapterState | None) -> tuple[Any, Any]:
    model, tokenizer = load_base()
    return (attach(model, state) if state is not None else model), tokenizer


def sequence_losses(model: Any, tokenizer: Any, texts: list[str]) -> list[float]:
    import torch

    losses: list[float] = []
    model.eval()
    with torch.no_grad():
        for start in range(0, len(texts), 64):
            ids = [tokenizer(t, add_special_tokens=False)["input_ids"] for t in texts[start : start + 64]]
            batch = batch_tensors(ids, tokenizer.pad_token_id)
            nll, _ = sequence_nll(model, *batch)
            losses.extend(float(x) for x in nll)
    return losses


def exposures(model: Any, tokenizer: Any, secrets: list[str], candidates: int) -> list[float]:
    """For each secret, log2(candidates) - log2(its rank among ``candidates`` random 6-digit codes by sequence loss)
    (Carlini et al.). The random codes are the same for every secret and every model (seeded)."""
    rng = random.Random(11)
    pool: set[str] = set()
    while len(pool) < candidates - 1:
        code = f"{rng.randrange(10**6):06d}"
        if code not in secrets:
            pool.add(code)
    losses = sequence_losses(model, tokenizer, [CANARY.format(c) for c in [*secrets, *sorted(pool)]])
    mine, others = losses[: len(secrets)], losses[len(secrets) :]
    return [math.log2(candidates) - math.log2(1 + sum(1 for x in others if x < own)) for own in mine]


def controls(n: int = 20) -> list[str]:
    """Codes that are never in any data: their exposures show what chance looks like for the same model."""
    rng = random.Random(23)
    codes = [CONTROL]
    while len(codes) < n:
        code = f"{rng.randrange(10**6):06d}"
        if code not in (SECRET, *codes):
            codes.append(code)
    return codes


def measure(label: str, state: AdapterState | None, held: list[str], candidates: int, base_ppl: float | None) -> float:
    model, tokenizer = model_with(state)
    ppl = perplexity(model, tokenizer, held)
    secret, *chance = exposures(model, tokenizer, [SECRET, *controls()], candidates)
    above = sum(1 for c in chance if c >= secret)
    change = f"{100 * (ppl / base_ppl - 1):+.1f}%" if base_ppl else "      "
    size = f"{state.parameters:>9,} params" if state is not None else " " * 16
    print(f"  {label:<34} ppl {ppl:7.2f} {change}  {size}  canary exposure {secret:5.2f}  controls mean "
          f"{sum(chance) / len(chance):4.2f}, max {max(chance):4.2f}, {above}/{len(chance)} at or above")  # fmt: skip
    return ppl


def split_held_out(vault: knowme.Vault) -> tuple[list[Any], set[str], list[str], list[Any], dict[str, int]]:
    """A quarter of the sent mail (by ref hash, never the canary) held back; what is left trains."""
    mail = training_texts(vault.store, kinds=("email",))
    held_refs = {t.ref for t in mail if int(hashlib.sha256(t.ref.encode()).hexdigest(), 16) % 4 == 0}
    held_refs = {r for r in held_refs if not r.startswith(CANARY_REFS)}
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
    parser.add_argument("--drafts", type=int, default=12, help="style part: held-out replies to draft")
    parser.add_argument("--canary-copies", type=int, default=5, help="memorise part: emails carrying the canary")
    parser.add_argument("--memorise-epochs", type=float, default=6.0, help="memorise part: passes over the data")
    parser.add_argument("--dp-epsilon", type=float, default=8.0, help="memorise part: epsilon of the DP run (0: none)")
    args = parser.parse_args()
    root = args.home or Path(tempfile.mkdtemp(prefix="bench-voice-"))
    t0 = time.monotonic()
    if args.parts == "memorise":  # its own vault: the canary in several emails, so that plain training learns it
        memorise(root / "memorise", args)
        print(f"peak RSS {peak_mb():.0f} MB; total {time.monotonic() - t0:.0f} s")
        return
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
    if "style" in parts:
        style(vault, held_refs, args.drafts)
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
    vault.forget(ref=f"{CANARY_REFS}1@mailbox.example")
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


def style(vault: knowme.Vault, held_refs: set[str], drafts: int) -> None:
    """Drafts of held-out replies (sent mail the adapter never trained on), phrased by the base model and by the voice
    adapter in use through the same generation path, and the template alone; each compared with the reply the user
    really sent, feature by feature (bench_persona's agreement: greeting, sign-off, length, formality, emoji,
    exclamation, language). The intent is the real reply's first sentence; the other sent mail is the style source."""
    import re
    import statistics
    from collections import defaultdict

    from bench_persona import FEATURES, agreement

    from knowme.assist.draft import draft_reply
    from knowme.learn.artifacts import adapter_in_use
    from knowme.learn.generate import AdaptedBackend
    from knowme.persona.style import sent_messages, split_message

    class BaseModel(AdaptedBackend):  # the same transformers generation, without the adapter
        def _load(self) -> tuple[Any, Any]:
            if self._model is None:
                self._model = load_base()
            return self._model

    state = adapter_in_use(vault.store)
    if state is None:
        print("\nstyle: no adapter in use (run the lora or sisa part first)")
        return
    messages = sent_messages(vault.store)
    replies = [m for m in messages if m.ref in held_refs and m.reply_to and vault.store.records_by_ref(m.reply_to)]
    replies = replies[:drafts]
    backends: dict[str, Any] = {"template": None, "base model": BaseModel(state)}
    backends["voice adapter"] = AdaptedBackend(state)
    scores: dict[str, dict[str, list[bool]]] = {name: defaultdict(list) for name in backends}
    seconds: dict[str, float] = dict.fromkeys(backends, 0.0)
    for real in replies:
        parent = vault.store.records_by_ref(real.reply_to or "")[-1]
        _, body, _ = split_message(real.text, real.recipient)
        intent = re.split(r"(?<=[.!?])\s+", body.strip())[0] if body.strip() else real.text
        rest = [m for m in messages if m.ref != real.ref]
        for name, backend in backends.items():
            began = time.monotonic()
            text = draft_reply(vault.store, parent, intent, rest, backend=backend).text.split("\n\n-- \n")[0]
            seconds[name] += time.monotonic() - began
            for feature, hit in agreement(text, real.text, real.recipient).items():
                scores[name][feature].append(hit)
    n = len(scores["template"]["greeting"])
    print(f"\nstyle match of drafts on {n} held-out replies (share whose feature matches the real reply), "
          f"adapter in use: {state.method}, {state.parameters:,} parameters")  # fmt: skip
    print(f"  {'feature':12} " + " ".join(f"{name:>14}" for name in backends))
    for feature in FEATURES:
        print(f"  {feature:12} " + " ".join(f"{statistics.fmean(scores[b][feature]):14.2f}" for b in backends))
    means = {b: statistics.fmean(statistics.fmean(scores[b][f]) for f in FEATURES) for b in backends}
    print(f"  {'mean':12} " + " ".join(f"{means[b]:14.2f}" for b in backends))
    print("  seconds per draft: " + ", ".join(f"{b} {seconds[b] / max(n, 1):.1f}" for b in backends))


def memorise(root: Path, args: argparse.Namespace) -> None:
    """Canary exposure when plain training does learn the secret, and what forgetting and DP do about it.

    Its own vault (``--years``' life plus the canary in ``--canary-copies`` sent emails), one adapter (no shards),
    ``--memorise-epochs`` passes: DP-SGD at ``--dp-epsilon`` (exposure under DP, never forgotten), then plain LoRA
    (exposure after training), then every canary email forgotten and the adapter retrained (exposure after forget),
    each against the control canary that was never in any data."""
    from knowme.learn.dp import DPSettings

    vault, _ = build(root / "home", [int(y) for y in args.years.split(",")], copies=args.canary_copies)
    _, held_refs, held, train, kinds = split_held_out(vault)
    canaries = sorted({r.ref for r in vault.store.iter_records(kind="email") if r.ref.startswith(CANARY_REFS)})
    print(f"memorise: training set {len(train)} items {kinds}; the canary in {len(canaries)} sent emails; "
          f"{args.memorise_epochs:g} epochs; exposure at most {math.log2(args.candidates):.2f} bits")  # fmt: skip
    common = {"exclude_refs": held_refs, "epochs": args.memorise_epochs, "nice": False, "shards": 1, "slices": 1}
    base_ppl = measure("base SmolLM2-135M", None, held, args.candidates, None)
    if args.dp_epsilon > 0:
        report = vault.learn_voice(method="lora", resume=False, dp=DPSettings(epsilon=args.dp_epsilon), **common)
        state = load_state(vault.store, ADAPTER)
        measure(f"LoRA, DP-SGD epsilon={args.dp_epsilon:g}", state, held, args.candidates, base_ppl)
        spent = state.privacy["epsilon"] if state is not None and state.privacy else float("nan")
        print(f"    {report.steps} steps in {report.seconds:.0f} s; spent epsilon {spent:.2f}")
    report = vault.learn_voice(method="lora", resume=False, **common)
    measure("LoRA, trained with the canary", load_state(vault.store, ADAPTER), held, args.candidates, base_ppl)
    print(f"    {report.steps} steps in {report.seconds:.0f} s, peak RSS {peak_mb():.0f} MB")
    began = time.monotonic()
    for ref in canaries:
        vault.forget(ref=ref)
    status = vault.learn_status()
    print(f"  forgot {len(canaries)} canary emails in {time.monotonic() - began:.1f} s; stale shards "
          f"{[s.index for s in status.shards if s.stale]}; adapter in use: shards {list(status.in_use)}")  # fmt: skip
    report = vault.learn_voice(method="lora", **common)
    measure("LoRA, retrained after forget", load_state(vault.store, ADAPTER), held, args.candidates, base_ppl)
    status = vault.learn_status()
    print(f"    {report.steps} steps in {report.seconds:.0f} s; {status.checked_hashes} hashes behind the adapter in "
          f"use, {status.forgotten_in_use} forgotten")  # fmt: skip
    vault.close()


if __name__ == "__main__":
    main()
