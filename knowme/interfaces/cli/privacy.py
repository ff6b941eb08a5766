"""The privacy commands of ``knowme``: forget, passphrase change, lock/unlock (and export/import, grants, audit).

They are registered on the main Typer app by :func:`register`. Destructive commands always show what they will do
first and ask; without a terminal (or with ``CI`` set) they refuse unless ``--yes`` is given, and say so.
"""

from __future__ import annotations

import getpass
import json
from pathlib import Path
from typing import Annotated, Any

import typer

from knowme.config import environment, interactive
from knowme.errors import ConfigError, PassphraseMissing
from knowme.interfaces.console import HomeOpt, JsonOpt, open_vault, out
from knowme.store.choose import refuse_in_service_mode
from knowme.store.keys import keyring_delete, resolve_passphrase

YesOpt = Annotated[bool, typer.Option("--yes", help="Do it without asking (for scripts; the preview is still shown).")]


def can_prompt() -> bool:
    """Whether a person can answer a question: a terminal on stdin and not running under CI."""
    return interactive()


def confirm(question: str, *, yes: bool) -> None:
    """Go on if ``yes`` or the user agrees; refuse clearly when nobody can be asked."""
    if yes:
        return
    if not can_prompt():
        raise ConfigError("nothing was changed: there is no terminal to confirm on (or CI is set); add --yes")
    if not typer.confirm(question, default=False):
        out.print("Nothing was changed.")
        raise typer.Exit(1)


def _print_forget(result: Any, *, applied: bool) -> None:
    counts = result.counts
    verb = "Forgot" if applied else "This will forget"
    out.print(f"[bold]{verb} {counts.records} record(s)[/bold]", highlight=False)
    for summary in result.records[:25]:
        when = summary.timestamp.strftime("%Y-%m-%d") if summary.timestamp else "undated"
        out.print(f"  {summary.kind:12} {when}  {summary.ref}  {summary.title[:60]}", markup=False, highlight=False)
    if len(result.records) > 25:
        out.print(f"  ... and {len(result.records) - 25} more (see --json)")
    parts = [
        f"{counts.chunks} chunk(s) with their full-text and vector entries",
        f"{counts.facts} fact(s)",
        f"{counts.entities} entit(y/ies) and {counts.aliases} alias(es)",
        f"{counts.preferences} preference(s)",
    ]
    if counts.cursors:
        parts.append(f"{counts.cursors} source cursor(s)")
    out.print(("and with them: " if not applied else "with ") + ", ".join(parts), highlight=False)
    for entity, aliases in result.entities.items():
        out.print(f"  entity {entity}: {', '.join(aliases)}", markup=False, highlight=False)
    if result.backups:
        out.print(f"{len(result.backups)} backup copy(ies) made before migrations hold this data and are deleted too.")
    if result.mentions:
        out.print(
            f"{result.mentions} other record(s) mention this person in their text and stay; "
            "forget them with --query NAME."
        )
    if applied:
        tail = (
            "no page of the vault file or its log holds it any more"
            if result.compacted
            else (
                "another process holds the vault open, so its write-ahead log could not be emptied yet; "
                "close it and run `knowme forget` again or reopen the vault"
            )
        )
        out.print(f"Tombstones keep it out of later ingests (--include-forgotten takes it back); {tail}.")


def forget(
    ref: Annotated[
        list[str] | None, typer.Option("--ref", help="A source reference, e.g. mail:<id> (repeatable).")
    ] = None,
    source: Annotated[
        str | None, typer.Option("--source", help="Everything ingested from this file or folder.")
    ] = None,
    person: Annotated[
        str | None, typer.Option("--person", help="Items from or with this person (name or email).")
    ] = None,
    before: Annotated[str | None, typer.Option("--before", help="Items dated before this date (YYYY-MM-DD).")] = None,
    query: Annotated[str | None, typer.Option("--query", help="Items whose title or text contains this.")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only show what would be forgotten.")] = False,
    yes: YesOpt = False,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Forget items and everything derived from them, for good (shows a preview and asks first)."""
    criteria: dict[str, Any] = {
        "ref": ref or None,
        "source": source,
        "person": person,
        "before": before,
        "query": query,
    }
    with open_vault(home) as vault:
        preview = vault.forget(**criteria, dry_run=True)
        if preview.empty:
            if as_json:
                out.print_json(json.dumps(preview.as_dict()))
            else:
                out.print("Nothing matches; nothing was changed.")
            return
        if dry_run:
            if as_json:
                out.print_json(json.dumps(preview.as_dict()))
            else:
                _print_forget(preview, applied=False)
            return
        if not as_json:
            _print_forget(preview, applied=False)
        elif not yes:
            out.print_json(json.dumps(preview.as_dict()))
        confirm("Forget all of this for good?", yes=yes)
        result = vault.forget(**criteria)
    if as_json:
        out.print_json(json.dumps(result.as_dict()))
    else:
        _print_forget(result, applied=True)


passphrase_app = typer.Typer(help="Change the vault passphrase.", no_args_is_help=True)


def _new_passphrase() -> str:
    env = environment().new_passphrase
    if env:
        return env
    if not can_prompt():
        raise PassphraseMissing("no new passphrase: set KNOWME_NEW_PASSPHRASE, or run knowme in a terminal to be asked")
    first = getpass.getpass("New passphrase: ")
    if first != getpass.getpass("Repeat new passphrase: "):
        raise PassphraseMissing("the two new passphrases differ; nothing was changed")
    return first


@passphrase_app.command("change")
def passphrase_change(home: HomeOpt = None) -> None:
    """Re-encrypt the vault under a new passphrase (KNOWME_NEW_PASSPHRASE, or asked twice on a terminal)."""

    refuse_in_service_mode("a passphrase")
    with open_vault(home) as vault:
        new = _new_passphrase()
        vault.change_passphrase(new)
        kept = " and updated in the OS keyring" if vault.unlocked else ""
    out.print(f"The vault is now encrypted under the new passphrase{kept}.")


def lock(home: HomeOpt = None) -> None:
    """Remove the vault passphrase from the OS keyring (later commands need KNOWME_PASSPHRASE or a prompt)."""
    import knowme.config

    folder = knowme.config.user_dir(home)
    if keyring_delete(folder):
        out.print("Locked: the passphrase is no longer in the OS keyring.")
    else:
        out.print("The OS keyring held no passphrase for this vault; nothing to lock.")


def unlock(home: HomeOpt = None) -> None:
    """Keep the vault passphrase in the OS keyring (checked against the vault first)."""

    refuse_in_service_mode("a passphrase")
    with open_vault(home) as vault:
        vault.unlock(resolve_passphrase(vault.home, None, creating=False))
    out.print("Unlocked: the passphrase is kept in the OS keyring; `knowme lock` removes it.")


def _export_passphrase(*, twice: bool) -> str:
    env = environment().export_passphrase
    if env:
        return env
    if not can_prompt():
        raise PassphraseMissing("no export passphrase: set KNOWME_EXPORT_PASSPHRASE, or run knowme in a terminal")
    first = getpass.getpass("Export passphrase: ")
    if twice and first != getpass.getpass("Repeat export passphrase: "):
        raise PassphraseMissing("the two export passphrases differ; nothing was written")
    return first


def export(
    path: Annotated[Path, typer.Argument(help="The file to write.")],
    fmt: Annotated[str, typer.Option("--format", help="json (a zip of JSON Lines), jsonld or turtle.")] = "json",
    encrypt: Annotated[
        bool, typer.Option("--encrypt", help="Encrypt with a passphrase (KNOWME_EXPORT_PASSPHRASE or asked).")
    ] = False,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Write your whole knowledge graph to an open, documented file (see docs/export-format.md)."""
    with open_vault(home) as vault:
        passphrase = _export_passphrase(twice=True) if encrypt else None
        report = vault.export(path, format=fmt, passphrase=passphrase)
    if as_json:
        out.print_json(json.dumps(report.as_dict()))
        return
    counts = ", ".join(f"{n} {name}" for name, n in report.counts.items() if n)
    sealed = "encrypted " if report.encrypted else ""
    out.print(f"Wrote an {sealed}{report.format} export to {report.path}: {counts or 'an empty vault'}", markup=False)
    if not report.encrypted:
        out.print("It is not encrypted: keep it somewhere safe, or export again with --encrypt.")


def import_(
    path: Annotated[Path, typer.Argument(help="A knowme export, a ChatGPT export, or anything ingest reads.")],
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Restore a knowme export, or bring in another assistant's export (ChatGPT: chats and its memory)."""
    from knowme.privacy import envelope

    with open_vault(home, create=True) as vault:
        head = path.read_bytes()[:64] if path.is_file() else b""
        passphrase = _export_passphrase(twice=False) if envelope.is_encrypted(head) else None
        report = vault.import_file(path, passphrase=passphrase)
    if as_json:
        out.print_json(json.dumps(report.as_dict()))
        return
    rows = ", ".join(f"{n} {name}" for name, n in report.rows.items() if n)
    extra = f" and {rows}" if rows else ""
    how = " (re-embedded for this vault's model)" if report.reembedded else ""
    out.print(f"Imported {report.records} record(s){extra} from {report.path}{how}", markup=False)


grant_app = typer.Typer(help="Let other apps and models read parts of the vault, through tokens you control.")


@grant_app.command("add")
def grant_add(
    client: Annotated[str, typer.Argument(help="Who gets access (an app or model name).")],
    scopes: Annotated[
        str,
        typer.Option(
            "--scopes",
            help="Comma-separated: mail, calendar, contacts, notes, chats, browsing, documents, "
            "and the sensitive health, money, intimate.",
        ),
    ],
    expires: Annotated[str, typer.Option("--expires", help="30d, 12h, 2w, 6m, 1y, never or a date.")] = "30d",
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Issue a token for CLIENT to read SCOPES until it expires (the token is shown once)."""
    with open_vault(home) as vault:
        grant, token = vault.grant(client, scopes, expires=expires)
    if as_json:
        out.print_json(json.dumps({**grant.as_dict(), "token": token}))
        return
    until = grant.expires_at.strftime("%Y-%m-%d %H:%M UTC") if grant.expires_at else "revoked"
    out.print(f"Grant {grant.id} for {grant.client}: {', '.join(grant.scopes)} until {until}.", markup=False)
    out.print("Token (shown once; knowme keeps only its hash):", highlight=False)
    out.print(token, markup=False, highlight=False, soft_wrap=True)


@grant_app.command("list")
def grant_list(home: HomeOpt = None, as_json: JsonOpt = False) -> None:
    """Show every grant: client, scopes, expiry and status."""
    with open_vault(home) as vault:
        grants = vault.grants()
    if as_json:
        out.print_json(json.dumps([g.as_dict() for g in grants]))
        return
    if not grants:
        out.print("No grants.")
    for g in grants:
        until = g.expires_at.strftime("%Y-%m-%d") if g.expires_at else "never"
        line = f"{g.id}  {g.client:20} {','.join(g.scopes):30} expires {until}  {g.status()}"
        out.print(line, markup=False, highlight=False)


@grant_app.command("revoke")
def grant_revoke(
    grant_id: Annotated[str, typer.Argument(help="A grant id, or a client name (all its grants).")],
    home: HomeOpt = None,
) -> None:
    """Revoke a grant (its token stops working at once)."""
    with open_vault(home) as vault:
        gone = vault.revoke(grant_id)
    if not gone:
        raise ConfigError(f"no active grant with id or client {grant_id!r}; see `knowme grant list`")
    for g in gone:
        out.print(f"Revoked {g.id} ({g.client}).", markup=False)


def audit(
    client: Annotated[str | None, typer.Option("--client", help="Only what this client was shown.")] = None,
    limit: Annotated[int | None, typer.Option("--limit", help="Only the last N events.")] = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Show the audit log: what was disclosed, to whom, under which grant, when."""
    with open_vault(home) as vault:
        events = vault.audit(actor=client, limit=limit)
    if as_json:
        out.print_json(json.dumps([e.as_dict() for e in events]))
        return
    if not events:
        out.print("The audit log is empty.")
    for e in events:
        refs = e.detail.get("refs")
        what = (
            f"{len(refs)} item(s): {', '.join(refs[:5])}{' ...' if len(refs) > 5 else ''}" if refs is not None else ""
        )
        grant = f" [grant {e.detail['grant']}]" if e.detail.get("grant") else ""
        line = f"{e.at.strftime('%Y-%m-%d %H:%M:%S')}  {e.actor}  {e.action}{grant}  {what}".rstrip()
        out.print(line, markup=False, highlight=False)


def register(app: typer.Typer) -> None:
    """Add the privacy commands to ``app``."""
    app.command()(forget)
    app.add_typer(passphrase_app, name="passphrase")
    app.command()(lock)
    app.command()(unlock)
    app.command()(export)
    app.command("import")(import_)
    app.add_typer(grant_app, name="grant")
    app.command()(audit)
