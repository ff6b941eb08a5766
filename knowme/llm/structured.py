"""Typed generation: ``generate(backend, messages, Schema) -> Schema``, a pydantic model filled in by a model.

The schema's JSON Schema goes to :meth:`~knowme.llm.base.ChatBackend.complete_json`: an OpenAI-compatible endpoint
gets it as a strict ``response_format``, the embedded model as a llama.cpp grammar, any other backend as an
instruction. The reply is parsed and validated; when it does not validate, the model is told what was wrong once
and asked again; a second failure is a :class:`~knowme.errors.BackendError` naming the schema, never a half-filled
object. Text a model returns is data like any other: callers check it against the record it claims to come from.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from knowme.errors import BackendError
from knowme.llm.base import ChatBackend, CompletionOptions, Message

T = TypeVar("T", bound=BaseModel)
_OBJECT = re.compile(r"\{.*\}", re.S)


def _parse(reply: str, schema: type[T]) -> T:
    text = reply.strip()
    if text.startswith("```"):
        text = re.sub(r"^```(?:json)?\s*|\s*```$", "", text)
    try:
        return schema.model_validate_json(text)
    except ValidationError:
        found = _OBJECT.search(text)  # a model that wrapped the object in words
        if found is None or found.group(0) == text:
            raise
        return schema.model_validate_json(found.group(0))


def generate(
    backend: ChatBackend,
    messages: Sequence[Message],
    schema: type[T],
    options: CompletionOptions | None = None,
    *,
    retries: int = 1,
) -> T:
    """``schema`` filled in by ``backend`` from ``messages`` (see the module docstring)."""
    json_schema = schema.model_json_schema()
    asked = list(messages)
    problem = ""
    for _ in range(retries + 1):
        reply = backend.complete_json(asked, json_schema, options)
        try:
            return _parse(reply, schema)
        except (ValidationError, json.JSONDecodeError, ValueError) as exc:
            problem = str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__
            again = f"That reply does not match the schema ({problem}). Reply again with JSON only."
            asked = [*messages, Message("assistant", reply[:2000]), Message("user", again)]
    raise BackendError(f"{backend.describe()} did not return a valid {schema.__name__}: {problem}")
