"""``POST /api/ask`` (one JSON answer) and ``POST /api/ask/stream`` (server-sent events, see
:mod:`knowme.interfaces.http.answers`)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import StreamingResponse

from knowme.interfaces.http.answers import answer_events
from knowme.interfaces.http.auth import Principal, require
from knowme.interfaces.http.deps import VaultDep
from knowme.interfaces.http.schemas import AnswerOut, AskIn

router = APIRouter(tags=["ask"])


def sse(event: str, data: Any) -> str:
    """One server-sent event; ``data`` is JSON on one line."""
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


@router.post("/api/ask", response_model=AnswerOut, summary="Answer a question from the vault, with citations")
def ask(vault: VaultDep, principal: Annotated[Principal, Depends(require("ask"))], body: AskIn) -> AnswerOut:
    return AnswerOut.of(vault.ask(body.question, as_of=body.as_of, grant=principal.grant))


@router.post(
    "/api/ask/stream",
    summary="The same answer as server-sent events: evidence, delta..., done (or error)",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "An event stream."}},
)
def ask_stream(
    vault: VaultDep, principal: Annotated[Principal, Depends(require("ask"))], body: AskIn
) -> StreamingResponse:
    def events() -> Iterator[str]:
        for event, data in answer_events(vault, body.question, as_of=body.as_of, grant=principal.grant):
            yield sse(event, data)

    return StreamingResponse(events(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})
