"""``knowme digest``, ``prefer``, ``prefs``, ``feedback``, ``draft`` and ``style``: the persona on the command line.

Registered on the main app by :func:`register`.

Every command has ``--json``; dates are ``YYYY-MM-DD``.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Annotated, Any

import typer

from knowme.errors import ConfigError
from knowme.interfaces.console import HomeOpt, JsonOpt, open_vault, out

LABELS = {
    "birthday": "Birthdays",
    "anniversary": "Anniversaries",
    "my_commitment": "Your commitments",
    "owed_to_me": "Owed to you",
    "awaiting_reply": "Awaiting your reply",
    "prepare": "To prepare",
}


def _out() -> Any:
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
    with open_vault(home) as vault:
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


# -- the personal constitution ---------------------------------------------------------------------------------------
prefs_app = typer.Typer(help="Your standing preferences and rules: list, edit, remove.", no_args_is_help=False)


def pref_json(pref: Any) -> dict[str, Any]:
    return {
        "id": pref.id,
        "statement": pref.statement,
        "polarity": pref.polarity,
        "strength": pref.strength,
        "scope": pref.scope,
        "origin": pref.origin,
        "active": pref.active,
        "refs": list(pref.refs),
        "provenance": dict(pref.provenance),
        "created_at": pref.created_at,
        "updated_at": pref.updated_at,
    }


def _print_pref(pref: Any) -> None:
    out = _out()
    flag = "" if pref.active else " (hidden)"
    out.print(
        f"{pref.id}  [{pref.scope}] {pref.statement}  ({pref.polarity}, {pref.origin}, strength {pref.strength:g})"
        f"{flag}",
        markup=False,
        highlight=False,
    )
    if pref.refs:
        out.print(f"      [dim]{', '.join(pref.refs[:3])}[/dim]", highlight=False)
    elif pref.provenance.get("feedback"):
        out.print(f"      [dim]from feedback {pref.provenance['feedback']}[/dim]", highlight=False)


def prefer(
    statement: Annotated[str, typer.Argument(help='What you prefer or a rule ("never book meetings before 10:00").')],
    avoid: Annotated[bool, typer.Option("--avoid", help='Something to avoid ("red meat").')] = False,
    scope: Annotated[
        str | None, typer.Option("--scope", help="scheduling, food, writing, money, ... (default: guessed).")
    ] = None,
    strength: Annotated[float, typer.Option("--strength", help="How much it matters, 0 to 1.")] = 1.0,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Record a standing preference or rule; applicable ones are shown to the model with every question."""
    with open_vault(home) as vault:
        pref = vault.prefer(statement, avoid=avoid, scope=scope, strength=strength)
    if as_json:
        _out().print_json(json.dumps(pref_json(pref), ensure_ascii=False))
        return
    _out().print("Recorded:", highlight=False)
    _print_pref(pref)


@prefs_app.callback(invoke_without_command=True)
def prefs(
    ctx: typer.Context,
    show_all: Annotated[bool, typer.Option("--all", help="Also show hidden ones.")] = False,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List your preferences and rules: stated, inferred from your data (with sources) and learned from feedback."""
    if ctx.invoked_subcommand is not None:
        return
    with open_vault(home) as vault:
        found = vault.preferences(include_inactive=show_all)
    if as_json:
        _out().print_json(json.dumps([pref_json(p) for p in found], ensure_ascii=False))
        return
    if not found:
        _out().print('No preferences yet. Add one with knowme prefer "never book meetings before 10:00".')
    for pref in found:
        _print_pref(pref)


@prefs_app.command("remove")
def prefs_remove(
    preference_id: Annotated[str, typer.Argument(help="The id shown by `knowme prefs`.")],
    home: HomeOpt = None,
) -> None:
    """Remove a preference (one inferred from your data is hidden; its source stays)."""
    with open_vault(home) as vault:
        pref = vault.remove_preference(preference_id)
    _out().print(f"Removed {pref.id}: {pref.statement}", markup=False, highlight=False)


@prefs_app.command("edit")
def prefs_edit(
    preference_id: Annotated[str, typer.Argument(help="The id shown by `knowme prefs`.")],
    statement: Annotated[str | None, typer.Option("--statement", help="New wording.")] = None,
    scope: Annotated[str | None, typer.Option("--scope", help="New scope.")] = None,
    strength: Annotated[float | None, typer.Option("--strength", help="New strength, 0 to 1.")] = None,
    enable: Annotated[
        bool | None, typer.Option("--enable/--disable", help="Show it to the model again, or hide it.")
    ] = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Change a preference's wording, scope or strength, or hide it."""
    with open_vault(home) as vault:
        pref = vault.edit_preference(preference_id, statement=statement, scope=scope, strength=strength, active=enable)
    if as_json:
        _out().print_json(json.dumps(pref_json(pref), ensure_ascii=False))
        return
    _print_pref(pref)


# -- feedback --------------------------------------------------------------------------------------------------------
def feedback(
    ref: Annotated[str | None, typer.Option("--ref", help="The ref of the hit or answer you rate or correct.")] = None,
    rating: Annotated[int | None, typer.Option("--rating", help="+1 (useful) or -1 (not).")] = None,
    correction: Annotated[
        str | None, typer.Option("--correction", help="What is right instead; a rule or a fact.")
    ] = None,
    query: Annotated[str | None, typer.Option("--query", help="The search or question the hit was shown for.")] = None,
    target: Annotated[str, typer.Option("--target", help="hit, answer, draft or suggestion.")] = "hit",
    reset: Annotated[bool, typer.Option("--reset", help="Forget the learned ranking and the ratings.")] = False,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Rate or correct what knowme showed you; ratings re-rank your searches, corrections become rules or facts."""

    out = _out()
    with open_vault(home) as vault:
        if reset:
            gone = vault.reset_feedback()
            if as_json:
                out.print_json(json.dumps({"reset": True, "ratings_removed": gone}))
            else:
                out.print(f"Forgot the learned ranking and {gone} rating(s).")
            return
        if not ref:
            raise ConfigError("give --ref REF (the ref search or ask showed), or --reset")
        item = vault.feedback(ref, rating=rating, correction=correction, query=query, target_type=target)
    if as_json:
        out.print_json(json.dumps(asdict(item), ensure_ascii=False, default=str))
        return
    out.print(f"Thanks: feedback {item.id} on {item.target_id} recorded.", markup=False, highlight=False)
    if "preference" in item.detail:
        out.print(f"  became the rule {item.detail['preference']} (see knowme prefs)", markup=False, highlight=False)
    if "record" in item.detail:
        facts = len(item.detail.get("facts") or ())
        out.print(f"  kept as {item.detail['record']} ({facts} fact(s) read from it)", markup=False, highlight=False)


# -- voice -----------------------------------------------------------------------------------------------------------
def draft(
    reply_to: Annotated[str, typer.Option("--reply-to", help="The ref of the email or chat message to answer.")],
    intent: Annotated[str, typer.Option("--intent", help='What the reply should say ("yes, Thursday works").')],
    phrase: Annotated[bool, typer.Option("--phrase", help="Let the configured chat model reword the draft.")] = False,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Write a reply in your voice, grounded in the thread and your open commitments to that person."""
    with open_vault(home) as vault:
        made = vault.draft(reply_to, intent, phrase=phrase)
    out = _out()
    if as_json:
        out.print_json(json.dumps(asdict(made), ensure_ascii=False))
        return
    if made.subject:
        out.print(f"To: {made.to}\nSubject: {made.subject}\n", markup=False, highlight=False)
    out.print(made.text, markup=False, highlight=False)
    out.print(f"\n[dim]In reply to {made.reply_to}; written like {', '.join(made.examples) or 'your usual mail'}[/dim]",
              highlight=False)  # fmt: skip
    for line in made.grounding:
        out.print(f"[dim]From your graph: {line}[/dim]", highlight=False)
    if made.compliance is not None and made.compliance.note:
        out.print(made.compliance.note, markup=False, highlight=False)


def style(
    to: Annotated[
        str | None, typer.Option("--to", help="The style you use with this person (name or address).")
    ] = None,
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Show your writing style as learned from your sent mail and chat messages."""
    with open_vault(home) as vault:
        profile = vault.style(to)
    out = _out()
    if as_json:
        out.print_json(json.dumps(asdict(profile), ensure_ascii=False))
        return
    out.print(f"From {profile.samples} messages you wrote{' to ' + to if to else ''}:", highlight=False)
    rows = [
        ("greetings", ", ".join(f"{g!r} ×{n}" for g, n in profile.greetings) or "none"),
        ("sign-offs", ", ".join(f"{g!r} ×{n}" for g, n in profile.sign_offs) or "none"),
        ("length", f"{profile.words:g} words (median), {profile.sentence_words:g} per sentence"),
        ("formality", f"{profile.formality:.2f} (0 casual, 1 formal)"),
        ("emoji / !", f"{profile.emoji_rate:.0%} / {profile.exclamation_rate:.0%} of messages"),
        ("language", profile.language),
        ("phrases", ", ".join(profile.phrases) or "none"),
    ]
    for label, value in rows:
        out.print(f"  {label:10} {value}", markup=False, highlight=False)


# -- proactive help --------------------------------------------------------------------------------------------------
def suggest_slots(
    duration: Annotated[str, typer.Option("--duration", help="How long: 30m, 45m, 1h30m.")] = "45m",
    within: Annotated[str, typer.Option("--within", help="How far ahead: 3d, 7d, 2w.")] = "7d",
    with_person: Annotated[str | None, typer.Option("--with", help="Who the meeting is with (a name).")] = None,
    start: Annotated[str | None, typer.Option("--from", help="Start looking from this date (default now).")] = None,
    limit: Annotated[int, typer.Option("--limit", help="How many slots at most.")] = 5,
    purpose: Annotated[
        str, typer.Option("--purpose", help="meeting (keeps your best hours free) or focus (takes them).")
    ] = "meeting",
    home: HomeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Propose free times that respect your calendar, your scheduling rules and your energy pattern, and say why
    each was chosen."""
    with open_vault(home) as vault:
        slots = vault.suggest_slots(
            duration, within, start=start, with_person=with_person, limit=limit, purpose=purpose
        )
    out = _out()
    if as_json:
        out.print_json(json.dumps([asdict(s) for s in slots], ensure_ascii=False, default=str))
        return
    if not slots:
        out.print("No free slot fits; try a longer --within or a shorter --duration.")
    for slot in slots:
        out.print(f"{slot.start:%a %d %b %H:%M}\u2013{slot.end:%H:%M}  {slot.reason}", markup=False, highlight=False)


def register(app: typer.Typer) -> None:
    app.command("digest")(digest)
    app.command("prefer")(prefer)
    app.add_typer(prefs_app, name="prefs")
    app.command("feedback")(feedback)
    app.command("draft")(draft)
    app.command("style")(style)
    app.command("suggest-slots")(suggest_slots)
