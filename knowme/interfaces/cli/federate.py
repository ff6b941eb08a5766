"""``knowme learn federate serve`` and ``learn federate join``: train the voice adapter across your devices.

The aggregator (``serve``) runs on one machine you own and stores the result in its vault; each device runs ``join``
with its own vault (``--home`` or ``KNOWME_HOME``). Only adapter weights and a few numbers cross the network; see
:mod:`knowme.learn.federate`. Registered under ``knowme learn`` by :mod:`knowme.interfaces.cli.learn`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from knowme.interfaces.console import HomeOpt, JsonOpt, open_vault, out

federate_app = typer.Typer(
    help="Train the voice adapter across your devices (Flower): each device keeps its data, only weights travel.",
    no_args_is_help=True,
)


@federate_app.command("serve")
def serve(
    rounds: Annotated[int, typer.Option("--rounds", help="Rounds: every device trains, then the average.")] = 8,
    clients: Annotated[int, typer.Option("--clients", help="Devices to wait for and train with in every round.")] = 3,
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 9092,
    host: Annotated[str, typer.Option("--host", help="Address to listen on (default: this machine).")] = "127.0.0.1",
    local_steps: Annotated[int, typer.Option("--local-steps", help="Training steps on each device per round.")] = 3,
    clip: Annotated[
        float | None, typer.Option("--clip", help="Clip each device's update to this L2 norm before averaging.")
    ] = None,
    noise: Annotated[
        float, typer.Option("--noise", help="With --clip: Gaussian noise multiplier added to the averaged update.")
    ] = 0.0,
    record: Annotated[
        Path | None, typer.Option("--record", help="Append one JSON line per message received (an audit of the wire).")
    ] = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Aggregate the devices' adapter updates (FedAvg) and store the result as this vault's voice adapter."""
    from knowme.learn.federate import serve as run

    with open_vault(home) as vault:
        report = run(vault.store, rounds=rounds, devices=clients, host=host, port=port, local_steps=local_steps,
                     clip=clip, noise=noise, record=record)  # fmt: skip
    if as_json:
        out.print_json(json.dumps(report.as_dict()))
        return
    out.print(
        f"Federated {report.rounds} rounds with {report.devices} devices in {report.seconds:.0f} s: "
        f"{report.received} updates received ({report.rejected} refused), training loss per round "
        f"{', '.join(f'{x:.3f}' for x in report.train_loss)}; the adapter ({report.parameters:,} parameters) is "
        "this vault's voice adapter now.",
        highlight=False,
    )


@federate_app.command("join")
def join(
    server: Annotated[str, typer.Option("--server", help="The aggregator's HOST:PORT.")] = "127.0.0.1:9092",
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Train on this device's vault in the federation; only adapter weights leave the device."""
    from dataclasses import asdict

    from knowme.learn.federate import join as run

    with open_vault(home) as vault:
        report = run(vault.store, server)
    if as_json:
        out.print_json(json.dumps(asdict(report)))
        return
    kept = "stored the federated adapter in this vault" if report.saved else "did not receive the final adapter"
    out.print(
        f"Took part in {report.rounds} rounds ({report.steps} steps on {report.records} of your records); {kept}.",
        highlight=False,
    )
