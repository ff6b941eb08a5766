"""Typed generation: the embedded model constrained by a grammar gives a schema-valid object; a reply that does not
validate is asked again once, then refused with a clear error."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from pydantic import BaseModel, Field

from knowme.errors import BackendError
from knowme.llm.base import ChatBackend, CompletionOptions, Message
from knowme.llm.embedded import EmbeddedBackend
from knowme.llm.structured import generate


class City(BaseModel):
    name: str = Field(max_length=60)
    country: str = Field(max_length=60)
    population_millions: float


def test_the_embedded_model_fills_a_schema(embedded: EmbeddedBackend) -> None:
    city = generate(
        embedded,
        [Message("user", "Describe Lisbon as JSON: its name, its country and its population in millions.")],
        City,
        CompletionOptions(max_tokens=80),
    )
    assert isinstance(city, City) and city.name and city.country


class Scripted(ChatBackend):
    """Replies from a list, recording what it was asked (a stand-in for a model in a unit test of the retry)."""

    name = "scripted"

    def __init__(self, replies: list[str]) -> None:
        self.replies = replies
        self.asked: list[list[Message]] = []

    def complete(self, messages: Sequence[Message], options: CompletionOptions | None = None) -> str:
        self.asked.append(list(messages))
        return self.replies.pop(0)


def test_a_bad_reply_is_asked_again_then_refused() -> None:
    good = '{"name": "Porto", "country": "Portugal", "population_millions": 0.23}'
    backend = Scripted(['Sure! Here it is: {"name": "Porto"}', "```json\n" + good + "\n```"])
    assert generate(backend, [Message("user", "Porto?")], City).country == "Portugal"
    schema_note: Any = backend.asked[0][-1]
    assert schema_note.role == "system" and '"population_millions"' in schema_note.content
    assert "does not match the schema" in backend.asked[1][-2].content  # then the schema again
    with pytest.raises(BackendError, match="did not return a valid City"):
        generate(Scripted(["no", "still no"]), [Message("user", "Porto?")], City)
