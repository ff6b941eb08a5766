"""``knowme learn voice``, ``learn status`` and ``learn export-adapter``: the voice model on the command line.

Registered on the main app by :func:`register`. Training shows a progress bar on stderr; Ctrl-C stops it after the
current step, keeps an in-progress checkpoint in the vault and the next ``knowme learn voice`` continues from it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from knowme.errors import LearnError
from knowme.interfaces.console import HomeOpt, JsonOpt, open_vault, out, progress

learn_app = typer.Typer(
    help="Learn your writing voice on this machine: train, inspect and export the voice adapter.", no_args_is_help=True
)


@learn_app.command("voice")
def voice(
    max_steps: Annotated[
        int | None, typer.Option("--max-steps", help="Stop after this many training steps (continue later).")
    ] = None,
    max_minutes: Annotated[
        float | None, typer.Option("--max-minutes", help="Stop after about this many minutes (continue later).")
    ] = None,
    shards: Annotated[
        int, typer.Option("--shards", help="Train K shard adapters on disjoint records (a forget retrains one).")
    ] = 4,
    method: Annotated[
        str, typer.Option("--method", help="lora (low-rank adapters) or prompt (a learned soft prompt).")
    ] = "lora",
    resume: Annotated[
        bool,
        typer.Option("--resume/--fresh", help="Keep valid checkpoints and continue (default), or start over."),
    ] = True,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
    dp: Annotated[
        bool, typer.Option("--dp", help="Train with differential privacy (DP-SGD); needs --epsilon.")
    ] = False,
    epsilon: Annotated[
        float | None, typer.Option("--epsilon", help="With --dp: the privacy budget epsilon (smaller is more private).")
    ] = None,
    delta: Annotated[
        float | None, typer.Option("--delta", help="With --dp: delta, below 1/N for N records (default 1/N^1.1).")
    ] = None,
    max_grad_norm: Annotated[
        float, typer.Option("--max-grad-norm", help="With --dp: each record's gradient is clipped to this L2 norm.")
    ] = 1.0,
) -> None:
    """Fine-tune the voice adapter on your own sent mail, chat messages and notes (CPU, low priority)."""
    from knowme.learn.dp import DPSettings

    if dp != (epsilon is not None) or (delta is not None and not dp):
        raise LearnError("differential privacy needs both --dp and --epsilon (and --delta only with them)")
    private = DPSettings(epsilon, delta, max_grad_norm) if dp and epsilon is not None else None
    with open_vault(home) as vault, progress(not as_json) as hook:
        report = vault.learn_voice(
            method=method, shards=shards, max_steps=max_steps, max_minutes=max_minutes, resume=resume, progress=hook,
            dp=private,
        )  # fmt: skip
    if as_json:
        out.print_json(json.dumps(report.as_dict()))
        return
    state = "up to date" if report.complete else "not finished: run `knowme learn voice` again to continue"
    out.print(
        f"Trained {report.steps} steps on {report.records} items ({report.words} words) in {report.seconds:.0f} s, "
        f"peak memory {report.peak_rss_mb:.0f} MB; the voice adapter is {state}.",
        highlight=False,
    )


@learn_app.command("status")
def status(home: HomeOpt = None, as_json: JsonOpt = False) -> None:
    """The voice adapter: shards, what is stale or queued, and the proof that no forgotten record is in use."""
    from rich.table import Table

    with open_vault(home) as vault:
        found = vault.learn_status()
    if as_json:
        out.print_json(json.dumps(found.as_dict()))
        return
    if found.method is None:
        out.print("No voice adapter yet: run `knowme learn voice`.")
        return
    table = Table("shard", "records", "slices trained", "steps", "state")
    for shard in found.shards:
        state = "stale: queued for retraining" if shard.stale else ("in use" if shard.index in found.in_use else "")
        table.add_row(str(shard.index), str(shard.records), f"{shard.trained}/{shard.slices}", str(shard.steps), state)
    out.print(table)
    out.print(
        f"Method {found.method}, combined by {found.combine}: {found.adapter_parameters:,} parameters "
        f"({found.adapter_bytes / 1e6:.1f} MB); {found.artifacts} artifacts, {found.artifact_bytes / 1e6:.1f} MB, "
        "encrypted in the vault.",
        highlight=False,
    )
    if found.clean:
        out.print(
            f"Checked {found.checked_hashes} record hashes behind the adapter in use: none is forgotten.",
            highlight=False,
        )
    else:
        out.print(f"[bold red]{found.forgotten_in_use} forgotten records are behind the adapter in use[/bold red]")
    if found.privacy and "epsilon" in found.privacy:
        p = found.privacy
        out.print(
            f"Differential privacy: epsilon {p['epsilon']:.2f} spent of {p['target_epsilon']:g}, "
            f"delta {p['delta']:.3g} per record (accountant {p['accountant']}, {p['steps']} steps, "
            f"noise {p['noise_multiplier']:.2f}, clip {p['max_grad_norm']:g}).",
            highlight=False,
        )
    elif found.privacy:
        out.print(f"Federated: {found.privacy.get('summary', '')}", highlight=False)
    for note in found.notes:
        out.print(note, highlight=False)


@learn_app.command("export-adapter")
def export_adapter(
    folder: Annotated[Path, typer.Argument(help="Folder to write adapter_config.json and adapter_model.safetensors.")],
    home: HomeOpt = None,
) -> None:
    """Write the voice adapter in use as a standard PEFT adapter folder (plain files: keep them safe)."""
    with open_vault(home) as vault:
        written = vault.export_adapter(folder)
    for path in written:
        out.print(str(path), highlight=False)


def register(app: typer.Typer) -> None:
    from knowme.interfaces.cli.federate import federate_app

    learn_app.add_typer(federate_app, name="federate")  # learn federate serve, learn federate join
    app.add_typer(learn_app, name="learn")
