"""Answers that respect the user's stated preferences: check the model's reply, ask once more, else say so.

:func:`enforce` checks a reply against the applicable preferences the model was shown
(:func:`knowme.assist.comply.check`). When the reply breaks one, the model is asked once more: the same messages
with an explicit instruction, naming each broken preference and what broke it, added to the system message, and a
different seed and a temperature of at least :data:`RETRY_TEMPERATURE` (small models copy a reply they are shown, and
repeat it when sampled the same way). A second reply that respects them all is used. Otherwise the reply that
breaks fewer of them (the second on a tie) is kept whole and a clearly labelled note is appended: "Note: this
suggests steak, which [P1] “Avoid red meat” rules out." Text is never dropped silently.
:func:`annotate` is the same without asking again, for a streamed reply that the user has already seen.

Rules that stay home (``withheld``: a sensitive rule a remote model may not see, see ``Vault.ask``) are checked
too, but the model cannot be told about them: they are only noted, cited by id.

Edge cases: with no preference the check can read, nothing is checked and no model is asked again; an empty second
reply counts as not answering and the first is kept; the violations' offsets refer to the kept reply, which is the
start of the returned text (the note comes after it). What the passages said has no say: the check reads only the
reply and the user's preferences.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from knowme.assist.comply import check, checkable, instruction, note
from knowme.llm.base import ChatBackend, CompletionOptions, Message
from knowme.models.persona import Compliance, Preference, Violation

RETRY_TEMPERATURE = 0.7


def retry_messages(messages: Sequence[Message], said: str) -> list[Message]:
    """``messages`` with ``said`` (the instruction) at the end of the system message, or as one in front."""
    if messages and messages[0].role == "system":
        return [Message("system", f"{messages[0].content}\n\n{said}"), *messages[1:]]
    return [Message("system", said), *messages]


def retry_options(options: CompletionOptions | None) -> CompletionOptions:
    chosen = options or CompletionOptions()
    seed = None if chosen.seed is None else chosen.seed + 1
    return chosen.model_copy(update={"temperature": max(chosen.temperature, RETRY_TEMPERATURE), "seed": seed})


def _with_note(reply: str, found: Sequence[Violation], preferences: Sequence[Preference]) -> tuple[str, str]:
    said = note(found, preferences)
    return (f"{reply.rstrip()}\n\n{said}" if reply.strip() else said), said


def annotate(
    reply: str,
    preferences: Sequence[Preference],
    *,
    withheld: Sequence[Preference] = (),
    question: str = "",
    today: date | datetime | None = None,
    append_note: bool = True,
) -> tuple[str, Compliance]:
    """``reply`` with a note appended for each preference it breaks (unless ``append_note`` is false: a draft the
    user will send keeps the note in ``Compliance.note`` only), and the check's result. ``withheld`` are rules the
    model was not shown (cited by id in the note; ``preferences`` are cited [P1]...)."""
    checked = tuple(p.id for p in checkable([*preferences, *withheld]))
    if not checked:
        return reply, Compliance()
    found = tuple(check(reply, [*preferences, *withheld], today=today, question=question))
    if not found:
        return reply, Compliance(checked=checked)
    text, said = _with_note(reply, found, preferences)
    return (text if append_note else reply), Compliance(checked=checked, first=found, violations=found, note=said)


def enforce(
    reply: str,
    messages: Sequence[Message],
    backend: ChatBackend,
    options: CompletionOptions | None,
    preferences: Sequence[Preference],
    *,
    withheld: Sequence[Preference] = (),
    question: str = "",
    today: date | datetime | None = None,
    append_note: bool = True,
) -> tuple[str, Compliance]:
    """The reply to return for ``messages`` and how it fared: ``reply`` when it respects ``preferences``, else one
    more reply asked for with the broken preferences named, else the better of the two with a note appended (or,
    with ``append_note`` false, only in ``Compliance.note``). ``withheld`` rules, which the model may not see, are
    checked and noted but never named to it."""
    checked = tuple(p.id for p in checkable([*preferences, *withheld]))
    if not checked:
        return reply, Compliance()

    def broken(text: str, rules: Sequence[Preference]) -> tuple[Violation, ...]:
        return tuple(check(text, rules, today=today, question=question)) if rules else ()

    first = broken(reply, preferences)
    kept, left, regenerated = reply, first, False
    if first:
        said = instruction(first, preferences)
        again = backend.complete(retry_messages(messages, said), retry_options(options)).strip()
        still = broken(again, preferences) if again else first
        regenerated = True
        if again and len(still) <= len(first):
            kept, left = again, still
    home = broken(kept, withheld)
    left = left + home
    first = first + (broken(reply, withheld) if kept is not reply else home)
    if not left:
        return kept, Compliance(checked=checked, first=first, regenerated=regenerated)
    text, said = _with_note(kept, left, preferences)
    compliance = Compliance(checked=checked, first=first, violations=left, regenerated=regenerated, note=said)
    return (text if append_note else kept), compliance


def compliance_dict(compliance: Compliance | None) -> dict[str, Any] | None:
    """The JSON shape of a check's result (``knowme ask --json``, ``/api/ask``, the proxy's ``knowme`` field)."""
    if compliance is None:
        return None

    def one(v: Violation) -> dict[str, Any]:
        return {"preference": v.preference_id, "statement": v.statement, "span": v.span, "start": v.start,
                "end": v.end, "reason": v.reason, "kind": v.kind}  # fmt: skip

    return {
        "checked": list(compliance.checked),
        "respected": compliance.respected,
        "regenerated": compliance.regenerated,
        "first": [one(v) for v in compliance.first],
        "violations": [one(v) for v in compliance.violations],
        "note": compliance.note,
    }
