"""Streaming answers: :meth:`knowme.Vault.ask_stream` turned into server-sent event payloads.

:func:`answer_events` yields ``(event, data)`` pairs: first ``evidence`` (the passages the model is shown, so a
page can show sources before the answer ends), then ``delta`` pieces of text, then ``done`` with the citations
(the refs of the passages the reply cites, else of the top passages, as for ``ask``) and the preference check (a
reply that breaks a preference gets a labelled note as its last ``delta``). Exact answers from the
knowledge graph and "not found" answers need no model: one ``delta`` with the whole text, then ``done``. A failure
of the model midway is an ``error`` event carrying the error envelope (the HTTP status was sent long before).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from knowme.assist.enforce import compliance_dict
from knowme.errors import KnowmeError
from knowme.interfaces.http.errors import envelope
from knowme.interfaces.http.schemas import HitOut
from knowme.models import Answer
from knowme.models.governance import Grant
from knowme.text.when import DateLike
from knowme.vault import Vault


def answer_events(
    vault: Vault, question: str, *, as_of: DateLike | None = None, grant: Grant | None = None
) -> Iterator[tuple[str, Any]]:
    try:
        for event, data in vault.ask_stream(question, as_of=as_of, grant=grant):
            if event == "evidence":
                yield "evidence", [HitOut.of(h).model_dump(mode="json") for h in data]
            elif event == "delta":
                yield "delta", {"text": data}
            elif isinstance(data, Answer):
                yield "done", {"text": data.text, "citations": data.citations, "backend": data.backend,
                               "compliance": compliance_dict(data.compliance)}  # fmt: skip
    except KnowmeError as exc:
        yield "error", envelope(502, "backend_failed", str(exc))
