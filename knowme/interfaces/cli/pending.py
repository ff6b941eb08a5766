"""``knowme pending``: what assistants asked to store or forget through MCP, for the owner to approve or reject.

See :mod:`knowme.privacy.pending`. Registered on the main app by :func:`register`.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Annotated

import typer

from knowme.interfaces.console import HomeOpt, JsonOpt, open_vault, out
from knowme.privacy import pending as owner_approval

pending_app = typer.Typer(
    help="What assistants asked to remember or forget (MCP): approve or reject it.", invoke_without_command=True
)


@pending_app.callback()
def pending(ctx: typer.Context, home: HomeOpt = None, as_json: JsonOpt = False) -> None:
    """List the actions waiting for your approval."""
    if ctx.invoked_subcommand is not None:
        return

    with open_vault(home) as vault:
        actions = owner_approval.pending(vault.store)
    if as_json:
        out.print_json(json.dumps([asdict(a) for a in actions]))
        return
    if not actions:
        out.print("Nothing is waiting for your approval.")
        return
    for action in actions:
        out.print(f"{action.id}  {action.at}  {action.client}: {action.describe()}", highlight=False, markup=False)
    out.print("Approve with `knowme pending approve ID`, reject with `knowme pending reject ID`.", markup=False)


@pending_app.command("approve")
def approve(
    action_id: Annotated[str, typer.Argument(help="The id `knowme pending` shows.")], home: HomeOpt = None
) -> None:
    """Carry out an action an assistant asked for (as if you had done it yourself)."""
    with open_vault(home) as vault:
        done = owner_approval.approve(vault, action_id)
    out.print(done, highlight=False, markup=False)


@pending_app.command("reject")
def reject(
    action_id: Annotated[str, typer.Argument(help="The id `knowme pending` shows.")], home: HomeOpt = None
) -> None:
    """Drop an action an assistant asked for; nothing changes in the vault."""
    with open_vault(home) as vault:
        item = owner_approval.reject(vault, action_id)
    out.print(f"Rejected: {item.describe()}", highlight=False, markup=False)


def register(app: typer.Typer) -> None:
    app.add_typer(pending_app, name="pending")
