"""``knowme people``, ``person``, ``timeline`` and ``facts``: the knowledge graph on the command line.

Registered on the main app by :func:`register`. Every command has ``--json``; names match any alias (accents and
case ignored).
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Annotated

import typer
from rich.table import Table

from knowme.interfaces.console import HomeOpt, JsonOpt, open_vault, out

people_app = typer.Typer(help="People in your graph; merge or split them.", no_args_is_help=False)


def _out():  # type: ignore[no-untyped-def]
    return out


@people_app.callback(invoke_without_command=True)
def people(ctx: typer.Context, home: HomeOpt = None, as_json: JsonOpt = False) -> None:
    """List the people in your graph, the user first, with aliases and relationship to you."""
    if ctx.invoked_subcommand is not None:
        return
    with open_vault(home) as vault:
        found = vault.people()
    out = _out()
    if as_json:
        out.print_json(json.dumps([asdict(p) for p in found]))
        return
    table = Table(show_edge=False)
    for col in ("name", "relationship", "items", "aliases"):
        table.add_column(col)
    for p in found:
        table.add_row(p.name, ", ".join(p.relationship), str(p.records), ", ".join(p.aliases[:4]))
    out.print(table)


@people_app.command("merge")
def merge(
    keep: Annotated[str, typer.Argument(help="The person to keep.")],
    drop: Annotated[str, typer.Argument(help="The person to merge into them.")],
    home: HomeOpt = None,
) -> None:
    """Join two people into one (remembered across later ingests)."""
    with open_vault(home) as vault:
        name = vault.merge_people(keep, drop)
    _out().print(f"Merged {drop} into {name}.")


@people_app.command("split")
def split(
    name: Annotated[str, typer.Argument(help="The person to split.")],
    alias: Annotated[str, typer.Option("--alias", help="The alias (name, address, phone) to move to its own person.")],
    home: HomeOpt = None,
) -> None:
    """Move one alias off a person into a person of its own (remembered across later ingests)."""
    with open_vault(home) as vault:
        new = vault.split_person(name, alias)
    _out().print(f"{alias} is now its own person: {new}.")


def person(
    name: Annotated[str, typer.Argument(help="A name, alias or email address (or 'me').")],
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """A person's profile: aliases, relationship to you, facts with dates and sources, recent interactions."""
    with open_vault(home) as vault:
        profile = vault.person(name)
    out = _out()
    if as_json:
        out.print_json(json.dumps(asdict(profile)))
        return
    s = profile.summary
    out.print(f"[bold]{s.name}[/bold]  {', '.join(s.relationship)}", highlight=False)
    out.print("Aliases: " + ", ".join(s.aliases), markup=False, highlight=False)
    for f in profile.facts:
        span = f"{f.valid_from or '…'} → {f.valid_to or 'now'}"
        out.print(f"  {f.subject} {f.predicate} {f.value}  [{span}]  {', '.join(f.refs[:2])}", markup=False)
    for line in profile.commitments:
        out.print(f"  {line}", markup=False, highlight=False)
    for why in profile.merges:
        out.print(f"  joined: {why}", markup=False, highlight=False)
    for day, kind, ref in profile.interactions[:5]:
        out.print(f"  {day[:10]} {kind} {ref}", markup=False, highlight=False)


def timeline(
    since: Annotated[str | None, typer.Option("--from", help="From this date (YYYY-MM-DD).")] = None,
    until: Annotated[str | None, typer.Option("--to", help="Up to this date (YYYY-MM-DD).")] = None,
    who: Annotated[str | None, typer.Option("--person", help="Only what involves this person.")] = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Dated facts and commitments in order."""
    with open_vault(home) as vault:
        entries = vault.timeline(since=since, until=until, person=who)
    out = _out()
    if as_json:
        out.print_json(json.dumps([asdict(e) for e in entries]))
        return
    for e in entries:
        out.print(f"{e.day[:10]}  {e.what}  {', '.join(e.refs[:2])}", markup=False, highlight=False)


def facts(
    as_of: Annotated[str | None, typer.Option("--as-of", help="Only facts true on this date (YYYY-MM-DD).")] = None,
    about: Annotated[str | None, typer.Option("--about", help="Only facts about this person.")] = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Facts with their validity, extractor and sources."""
    with open_vault(home) as vault:
        found = vault.facts(as_of=as_of, about=about)
    out = _out()
    if as_json:
        out.print_json(json.dumps([asdict(f) for f in found]))
        return
    for f in found:
        span = f"{f.valid_from or '…'} → {f.valid_to or 'now'}"
        disputed = f"  (disputed: {f.superseded_by} stands)" if f.invalidated_at else ""
        out.print(f"{f.subject} {f.predicate} {f.value}  [{span}]{disputed}  {', '.join(f.refs[:2])}", markup=False)


def register(app: typer.Typer) -> None:
    app.add_typer(people_app, name="people")
    app.command("person")(person)
    app.command("timeline")(timeline)
    app.command("facts")(facts)
