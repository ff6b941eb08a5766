"""``knowme sources add|list|remove``, ``knowme sync`` and ``knowme watch``: registered sources on the command line.

``sources remove`` asks whether to forget the source's data too; without a terminal (or with ``CI=true``) it never
prompts and needs ``--keep-data`` or ``--forget-data``. Passwords are never printed: only the variable name or the
keyring entry to use.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer
from rich.table import Table

from knowme.config import interactive
from knowme.errors import ConfigError
from knowme.interfaces.console import HomeOpt, JsonOpt, err, open_vault, out, progress

sources_app = typer.Typer(help="Registered sources kept in sync: folders, IMAP, CalDAV, CardDAV.", no_args_is_help=True)


def _consoles():  # type: ignore[no-untyped-def]
    return out, err


def entry_json(entry: Any) -> dict[str, Any]:
    return {
        "name": entry.name,
        "kind": entry.kind,
        "uri": entry.uri,
        "user": entry.settings.get("user"),
        "password_env": entry.settings.get("password_env"),
        "on_delete": entry.settings.get("on_delete", "mark"),
        "last_sync": entry.last_sync_at.isoformat() if entry.last_sync_at else None,
        "items": entry.items,
        "error": entry.last_error,
    }


@sources_app.command("add")
def add(
    target: Annotated[
        str, typer.Argument(help="A file or folder, or imap(s)://, caldav+http(s)://, carddav+http(s)://")
    ],
    name: Annotated[str | None, typer.Option("--name", help="A short name for the source.")] = None,
    user: Annotated[str | None, typer.Option("--user", help="Login user name (network sources).")] = None,
    password_env: Annotated[
        str | None, typer.Option("--password-env", help="Name of the environment variable holding the password.")
    ] = None,
    on_delete: Annotated[
        str,
        typer.Option(
            "--on-delete",
            help="Items deleted at the source: 'mark' keeps them marked and out of search, 'forget' forgets them.",
        ),
    ] = "mark",
    insecure: Annotated[
        bool,
        typer.Option(
            "--insecure",
            help="Allow a connection without TLS (imap:// without STARTTLS, caldav+http://): loopback or test "
            "hosts only.",
        ),
    ] = False,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Register a source to keep in sync (run `knowme sync` to read it)."""
    out, _ = _consoles()
    with open_vault(home) as vault:
        entry = vault.add_source(target, name=name, user=user, password_env=password_env, on_delete=on_delete,
                                 insecure=insecure)  # fmt: skip
    if as_json:
        out.print_json(json.dumps(entry_json(entry)))
        return
    out.print(f"Added source [bold]{entry.name}[/bold] ({entry.kind}: {entry.uri}); run `knowme sync` to read it.")


@sources_app.command("list")
def list_sources(home: HomeOpt = None, as_json: JsonOpt = False) -> None:
    """Show the registered sources: kind, last sync, item counts and errors."""
    out, _ = _consoles()
    with open_vault(home) as vault:
        entries = vault.sources()
    if as_json:
        out.print_json(json.dumps([entry_json(e) for e in entries]))
        return
    if not entries:
        out.print("No sources yet; add one with `knowme sources add PATH_OR_URI`.")
        return
    table = Table(show_edge=False)
    for col in ("name", "kind", "where", "last sync", "items", "error"):
        table.add_column(col)
    for e in entries:
        synced = e.last_sync_at.strftime("%Y-%m-%d %H:%M") if e.last_sync_at else "never"
        table.add_row(e.name, e.kind, e.uri, synced, str(e.items), e.last_error or "")
    out.print(table)


def _interactive() -> bool:
    return interactive()


@sources_app.command("remove")
def remove(
    name: Annotated[str, typer.Argument(help="The source's name (see `knowme sources list`).")],
    keep_data: Annotated[bool, typer.Option("--keep-data", help="Keep the records it brought.")] = False,
    forget_data: Annotated[bool, typer.Option("--forget-data", help="Delete the records it brought.")] = False,
    home: HomeOpt = None,
) -> None:
    """Unregister a source; asks whether to forget its data too."""
    out, _ = _consoles()
    if keep_data and forget_data:
        raise ConfigError("choose one of --keep-data and --forget-data")
    if not keep_data and not forget_data:
        if not _interactive():
            raise ConfigError("say what to do with the source's data: --keep-data or --forget-data")
        forget_data = typer.confirm(f"Also forget everything source {name!r} brought into the vault?", default=False)
    with open_vault(home) as vault:
        deleted = vault.remove_source(name, forget_data=forget_data)
    out.print(
        f"Removed source {name}" + (f" and forgot {deleted} record(s)." if forget_data else "; its data is kept.")
    )


def sync(
    names: Annotated[list[str] | None, typer.Argument(help="Sources to sync (default: all).")] = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Bring every registered source up to date: new, changed and deleted items."""
    out, _ = _consoles()
    with open_vault(home) as vault, progress(not as_json) as hook:
        reports = vault.sync(names or (), progress=hook)
    if as_json:
        out.print_json(json.dumps([r.as_dict() for r in reports]))
    else:
        print_sync(reports)
    if reports and all(r.error for r in reports):
        raise typer.Exit(1)


def print_sync(reports: list[Any]) -> None:
    out, _ = _consoles()
    if not reports:
        out.print("No sources yet; add one with `knowme sources add PATH_OR_URI`.")
        return
    table = Table(title="Sync report", show_edge=False)
    for col in ("source", "added", "updated", "unchanged", "deleted", "items", "status"):
        table.add_column(col, justify="left" if col in ("source", "status") else "right")
    for r in reports:
        ing = r.ingest
        table.add_row(
            r.name,
            str(sum(ing.added.values())),
            str(sum(ing.updated.values())),
            str(sum(ing.unchanged.values())),
            f"{r.marked} marked" if r.marked else f"{r.removed} forgotten" if r.removed else "0",
            str(r.items),
            "[red]failed[/red]" if r.error else f"ok ({r.seconds:.1f} s)",
        )
    out.print(table)
    for r in reports:
        if r.error:
            out.print(f"{r.name}: error: {r.error}", markup=False, highlight=False, soft_wrap=True)
        for p in r.ingest.problems[:10]:
            out.print(f"  {r.name}: {p.where}: {p.reason}", markup=False, highlight=False)


def watch(
    names: Annotated[list[str] | None, typer.Argument(help="Sources to watch (default: all).")] = None,
    interval: Annotated[
        float, typer.Option("--interval", help="Seconds between polls of network sources (doubles on failure).")
    ] = 300.0,
    home: HomeOpt = None,
) -> None:
    """Keep syncing: file sources on file changes, network sources on a schedule; Ctrl-C stops."""
    from knowme.ingest.watch import run_watch

    out, err = _consoles()
    with open_vault(home) as vault, _interruptible():
        run_watch(vault, names or (), interval=interval, say=lambda text: err.print(text, markup=False))
    out.print("Stopped watching.")


@contextmanager
def _interruptible() -> Iterator[None]:
    """Ctrl-C (SIGINT) and SIGTERM stop the watch cleanly, even when the process was started with SIGINT ignored
    (a shell's background job, some supervisors), which Python would otherwise leave ignored."""
    import signal
    import threading

    def interrupt(*_: object) -> None:
        raise KeyboardInterrupt

    if threading.current_thread() is not threading.main_thread():  # only the main thread may set handlers
        yield
        return
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    for sig in previous:
        signal.signal(sig, interrupt)
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def register(app: typer.Typer) -> None:
    app.add_typer(sources_app, name="sources")
    app.command("sync")(sync)
    app.command("watch")(watch)
