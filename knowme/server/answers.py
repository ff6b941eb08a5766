"""Streaming answers: the same cited context pack as :meth:`knowme.Vault.ask`, with the reply sent as it is made.

:func:`answer_events` yields ``(event, data)`` pairs: first ``evidence`` (the passages the model is shown, so a
page can show sources before the answer ends), then ``delta`` pieces of text, then ``done`` with the citations
(the refs of the passages the reply cites, else of the top passages, as for ``ask``). When the vault has nothing
on the question, there is no model call: one ``delta`` saying so, and ``done`` with no citations. A failure of
the model midway is an ``error`` event carrying the error envelope (the HTTP status was sent long before).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from knowme.assist.ask import (
    COMPACT_PASSAGES,
    FALLBACK_CITATIONS,
    ContextPack,
    build_context,
    build_messages,
    cited_refs,
)
from knowme.connectors.base import local_tz
from knowme.errors import KnowmeError
from knowme.llm.base import CompletionOptions
from knowme.server.errors import envelope
from knowme.server.schemas import HitOut
from knowme.vault import DateLike, Vault, parse_when

NOTHING_FOUND = "I could not find anything about that in your vault."


def answer_events(vault: Vault, question: str, *, as_of: DateLike | None = None) -> Iterator[tuple[str, Any]]:
    when = parse_when(as_of)
    hits = vault.search(question, k=20, as_of=when)
    backend = vault.backend
    budget = vault.settings.search.context_tokens
    if backend.context_tokens is not None:
        budget = min(budget, backend.context_tokens)
    pack = build_context(hits, budget)
    compact = backend.prompt_style == "compact"
    if compact:
        pack = ContextPack(pack.passages[:COMPACT_PASSAGES], pack.text, pack.tokens)
    yield "evidence", [HitOut.of(h).model_dump(mode="json") for h in pack.passages]
    if not pack.passages:
        yield "delta", {"text": NOTHING_FOUND}
        yield "done", {"text": NOTHING_FOUND, "citations": [], "backend": "none"}
        return
    messages = build_messages(question, pack, today=when or datetime.now(local_tz()), style=backend.prompt_style)
    options = CompletionOptions(max_tokens=80) if compact else CompletionOptions()
    pieces: list[str] = []
    try:
        for piece in backend.stream(messages, options):
            pieces.append(piece)
            yield "delta", {"text": piece}
    except KnowmeError as exc:
        yield "error", envelope(502, "backend_failed", str(exc))
        return
    reply = "".join(pieces).strip()
    citations = cited_refs(reply, pack) or list(dict.fromkeys(h.ref for h in pack.passages[:FALLBACK_CITATIONS]))
    yield "done", {"text": reply, "citations": citations, "backend": backend.describe()}
