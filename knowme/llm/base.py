"""The chat backend plugin role: turn a list of messages into a reply.

A backend implements one method, :meth:`ChatBackend.complete`. knowme treats every model, the bundled
SmolLM2 or a remote endpoint, as a phrasing engine over a cited context pack: facts come from the vault.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field


@dataclass(frozen=True)
class Message:
    role: Literal["system", "user", "assistant"]
    content: str


class CompletionOptions(BaseModel):
    """Generation options shared by all backends; unknown keys are an error, not a silent default."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_tokens: int = Field(default=256, ge=1, le=8192)
    temperature: float = Field(default=0.1, ge=0.0, le=2.0)
    stop: tuple[str, ...] = ()
    seed: int | None = 0


class ChatBackend(ABC):
    """Base class of every chat backend. Subclasses set :attr:`name` and implement :meth:`complete`."""

    name: ClassVar[str]
    #: The most context (in tokens) this model phrases well; ``ask`` packs no more than this. None: no limit.
    context_tokens: ClassVar[int | None] = None
    #: How ``ask`` presents the context: ``"cited"`` (numbered, dated passages; the reply cites ``[n]``) or
    #: ``"compact"`` (a few plain passages and a one-sentence answer, for very small models that copy headers).
    prompt_style: ClassVar[str] = "cited"

    @abstractmethod
    def complete(self, messages: Sequence[Message], options: CompletionOptions | None = None) -> str:
        """Return the assistant's reply to ``messages``. Raise :class:`~knowme.errors.BackendError` on failure."""

    def complete_json(
        self, messages: Sequence[Message], schema: dict[str, Any], options: CompletionOptions | None = None
    ) -> str:
        """A reply that should be one JSON value matching ``schema`` (a JSON Schema). Backends that can constrain
        their output override this; the default asks for it in words (see :mod:`knowme.llm.structured`)."""
        instruction = "Reply with one JSON object and nothing else. It must match this JSON Schema:\n" + json.dumps(
            schema, separators=(",", ":")
        )
        return self.complete([*messages, Message("system", instruction)], options)

    def stream(self, messages: Sequence[Message], options: CompletionOptions | None = None) -> Iterator[str]:
        """Yield the reply in pieces. Backends that can stream override this; the default yields it whole."""
        yield self.complete(messages, options)

    def describe(self) -> str:
        """A short human description (shown by ``knowme ask``)."""
        return self.name

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release resources (a loaded model, an HTTP client)."""
