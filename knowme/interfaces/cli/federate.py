"""``knowme learn federate serve`` and ``learn federate join``: train the voice adapter across your devices.

The aggregator (``serve``) runs on one machine you own and stores the result in its vault; each device runs ``join``
with its own vault (``--home`` or ``KNOWME_HOME``). Only adapter weights and a few numbers cross the network, the
weights sealed under the enrolment secret (``KNOWME_FEDERATION_SECRET``; ``serve`` makes one and prints it once when
none is set), and beyond loopback over TLS; see :mod:`knowme.learn.federate` and :mod:`knowme.learn.fedsecure`.
Registered under ``knowme learn`` by :mod:`knowme.interfaces.cli.learn`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from knowme.config import federation_secret
from knowme.errors import ConfigError, LearnError
from knowme.interfaces.console import HomeOpt, JsonOpt, err, open_vault, out

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
    tls_cert: Annotated[
        Path | None, typer.Option("--tls-cert", help="TLS certificate (PEM); needed for an address beyond loopback.")
    ] = None,
    tls_key: Annotated[Path | None, typer.Option("--tls-key", help="TLS private key (PEM) of --tls-cert.")] = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Aggregate the devices' adapter updates (FedAvg) and store the result as this vault's voice adapter."""
    from knowme.learn.federate import serve as run
    from knowme.learn.fedsecure import new_secret

    if (tls_cert is None) != (tls_key is None):
        raise ConfigError("give both --tls-cert and --tls-key")
    certificates = None
    if tls_cert is not None and tls_key is not None:
        cert = tls_cert.read_bytes()
        certificates = (cert, cert, tls_key.read_bytes())  # a self-signed certificate is its own CA
    secret = federation_secret()
    if secret is None:
        secret = new_secret()
        err.print(f"Enrolment secret for this federation (shown once): {secret}\nOn each device: "
                  "KNOWME_FEDERATION_SECRET=<it> knowme learn federate join ...", highlight=False)  # fmt: skip
    with open_vault(home) as vault:
        report = run(vault.store, rounds=rounds, devices=clients, host=host, port=port, local_steps=local_steps,
                     clip=clip, noise=noise, record=record, secret=secret, certificates=certificates)  # fmt: skip
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
    ca_cert: Annotated[
        Path | None,
        typer.Option("--ca-cert", help="The aggregator's certificate or its CA (PEM): TLS, needed beyond loopback."),
    ] = None,
    dp: Annotated[bool, typer.Option("--dp", help="Train with DP-SGD on this device; needs --epsilon.")] = False,
    epsilon: Annotated[
        float | None, typer.Option("--epsilon", help="With --dp: this device's privacy budget for all the rounds.")
    ] = None,
    delta: Annotated[
        float | None, typer.Option("--delta", help="With --dp: delta, below 1/N for N records (default 1/N^1.1).")
    ] = None,
    max_grad_norm: Annotated[
        float, typer.Option("--max-grad-norm", help="With --dp: each record's gradient is clipped to this L2 norm.")
    ] = 1.0,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Train on this device's vault in the federation; only adapter weights leave the device."""
    from dataclasses import asdict

    from knowme.learn.dp import DPSettings
    from knowme.learn.federate import join as run

    if dp != (epsilon is not None) or (delta is not None and not dp):
        raise LearnError("differential privacy needs both --dp and --epsilon (and --delta only with them)")
    secret = federation_secret()
    if secret is None:
        raise LearnError("set KNOWME_FEDERATION_SECRET to the enrolment secret `knowme learn federate serve` printed")
    private = DPSettings(epsilon, delta, max_grad_norm) if dp and epsilon is not None else None
    roots = ca_cert.read_bytes() if ca_cert is not None else None
    with open_vault(home) as vault:
        report = run(vault.store, server, secret=secret, root_certificates=roots, dp=private)
    if as_json:
        out.print_json(json.dumps(asdict(report)))
        return
    kept = "stored the federated adapter in this vault" if report.saved else "did not receive the final adapter"
    spent = f"; DP-SGD, epsilon {report.epsilon:.2f} spent" if report.epsilon is not None else ""
    out.print(
        f"Took part in {report.rounds} rounds ({report.steps} steps on {report.records} of your records{spent}); "
        f"{kept}.",
        highlight=False,
    )
