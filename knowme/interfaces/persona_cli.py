"""``knowme digest``: what needs your attention, on the command line (registered on the main app by :func:`register`).

Every command has ``--json``; dates are ``YYYY-MM-DD``.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer

HomeOpt = Annotated[
    Path | None, typer.Option("--home", help="Data folder (default: $KNOWME_HOME or the platform data folder).")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]

LABELS = {
    "birthday": "Birthdays",
    "anniversary": "Anniversaries",
    "my_commitment": "Your commitments",
    "owed_to_me": "Owed to you",
    "awaiting_reply": "Awaiting your reply",
    "prepare": "To prepare",
}


def _open(home: Path | None) -> Any:
    import knowme

    return knowme.open(home, create=False)


def _out() -> Any:
    from knowme.interfaces.cli import out

    return out


def digest(
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="The day to look from (YYYY-MM-DD; default today).")
    ] = None,
    days: Annotated[int, typer.Option("--days", help="How many days ahead to look.")] = 7,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Upcoming birthdays, due or overdue commitments, mail awaiting your reply and events to prepare."""
    with _open(home) as vault:
        found = vault.digest(as_of=as_of, days=days)
    out = _out()
    if as_json:
        out.print_json(json.dumps(asdict(found), ensure_ascii=False))
        return
    out.print(f"[bold]Digest from {found.as_of}, {found.days} days ahead[/bold]", highlight=False)
    if not found.items:
        out.print("Nothing needs your attention.")
    for kind, label in LABELS.items():
        items = found.of_kind(kind)
        if not items:
            continue
        out.print(f"\n[bold]{label}[/bold]")
        for item in items:
            extra = f" ({item.detail})" if item.detail and kind not in ("awaiting_reply", "prepare") else ""
            out.print(f"  {item.date}  {item.title}{extra}", markup=False, highlight=False)
            if item.detail and kind in ("awaiting_reply", "prepare"):
                out.print(f"              {item.detail}", markup=False, highlight=False)
            out.print(f"              [dim]{', '.join(item.refs[:3])}[/dim]", highlight=False)


def register(app: typer.Typer) -> None:
    app.command("digest")(digest)
