"""``knowme users add|list|remove``: the users of a vault service (``KNOWME_STORE=postgresql://...``).

Needs ``KNOWME_STORE`` and the operator's key-encryption key (``KNOWME_KEK`` or ``KNOWME_KEK_FILE``). ``users add``
prints the new user's API token once (only its hash is kept). ``users remove`` crypto-shreds: the user's wrapped
data key is destroyed first, then their rows; without a terminal (or with ``CI=true``) it needs ``--yes``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from knowme.config import environment, interactive, load_settings, user_dir
from knowme.errors import ConfigError
from knowme.interfaces.console import out
from knowme.privacy.grants import enrol

HomeOpt = Annotated[Path | None, typer.Option("--home", help="Data folder for settings (default: $KNOWME_HOME).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]

users_app = typer.Typer(help="Users of the vault service (needs KNOWME_STORE and KNOWME_KEK).", no_args_is_help=True)


def _service(home: Path | None) -> Any:
    from knowme.llm.embedders import make_embedder
    from knowme.store.service import service_from_env

    if not environment().store:
        raise ConfigError("set KNOWME_STORE=postgresql://... to manage the users of a vault service")
    return service_from_env(dim=make_embedder(load_settings(user_dir(home))).dim)


@users_app.command("add")
def add(name: str, home: HomeOpt = None, as_json: JsonOpt = False) -> None:
    """Create a service user; prints their API token once (only its hash is stored)."""
    token = enrol(_service(home), name)
    if as_json:
        out.print_json(json.dumps({"user": name, "token": token}))
        return
    out.print(f"Created user {name}. Their API token (shown once, keep it safe):", markup=False)
    out.print(token, markup=False, highlight=False)


@users_app.command("list")
def list_users(home: HomeOpt = None, as_json: JsonOpt = False) -> None:
    """List the service's users."""
    users = _service(home).users()
    if as_json:
        out.print_json(json.dumps([{"user": u.name, "created_at": u.created_at.isoformat()} for u in users]))
        return
    table = Table("user", "created")
    for user in users:
        table.add_row(user.name, user.created_at.isoformat(timespec="seconds"))
    out.print(table)


@users_app.command("remove")
def remove(
    name: str,
    home: HomeOpt = None,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Remove a user for good: destroy their data key (crypto-shred), then delete their rows."""
    if not yes:
        if not interactive():
            raise ConfigError(f"removing {name!r} destroys their data for good: confirm with --yes")
        typer.confirm(f"Destroy every piece of {name}'s data for good?", abort=True)
    counts = _service(home).remove_user(name)
    if as_json:
        out.print_json(json.dumps({"user": name, "rows": counts}))
        return
    out.print(f"Removed {name}: data key destroyed, {sum(counts.values())} rows deleted.", markup=False)


def register(app: typer.Typer) -> None:
    app.add_typer(users_app, name="users")
