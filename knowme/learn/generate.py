"""Generation with the voice adapter: a :class:`~knowme.llm.base.ChatBackend` over ``transformers`` + ``peft``.

``knowme draft --phrase`` uses it instead of the embedded llama.cpp backend when the vault has a voice adapter in use.
We chose ``transformers`` generation with the PEFT adapter over converting the adapter for llama.cpp: the adapter
in use is exactly the one trained and exported (no second format to keep in step, no conversion script), and a
135M model generates a short reply on 2 cores in a few seconds, which a draft can afford. ``ask`` keeps the plain
model: answers are phrased from cited passages and should not take on the user's voice.

Edge cases: the model loads on first use and is kept until :meth:`close`; the prompt is formatted with the model's
own chat template; ``temperature`` 0 is greedy decoding (same reply for the same messages); stop strings cut the reply.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from knowme.errors import LearnError
from knowme.learn.artifacts import adapter_in_use
from knowme.learn.model import AdapterState, attach, load_base, quiet
from knowme.llm.base import ChatBackend, CompletionOptions, Message


class AdaptedBackend(ChatBackend):
    """The bundled model with the vault's voice adapter, run by ``transformers``."""

    name = "voice-adapter"
    context_tokens = 450
    prompt_style = "compact"

    def __init__(self, state: AdapterState) -> None:
        self.state = state
        self._model: tuple[Any, Any] | None = None
        self._lock = threading.Lock()

    def describe(self) -> str:
        return f"SmolLM2-135M with the voice adapter ({self.state.method}, {self.state.parameters:,} parameters)"

    def _load(self) -> tuple[Any, Any]:
        if self._model is None:
            model, tokenizer = load_base()
            self._model = (attach(model, self.state), tokenizer)
        return self._model

    def complete(self, messages: Sequence[Message], options: CompletionOptions | None = None) -> str:
        import torch

        options = options or CompletionOptions()
        with self._lock:
            model, tokenizer = self._load()
            prompt = tokenizer.apply_chat_template(
                [{"role": m.role, "content": m.content} for m in messages], tokenize=False, add_generation_prompt=True
            )
            ids = tokenizer(prompt, return_tensors="pt", add_special_tokens=False)
            if options.seed is not None:
                torch.manual_seed(options.seed)
            sample = options.temperature > 0
            with torch.no_grad(), quiet():
                out = model.generate(
                    **ids,
                    max_new_tokens=options.max_tokens,
                    do_sample=sample,
                    temperature=options.temperature if sample else None,
                    top_p=None,
                    top_k=None,
                    pad_token_id=tokenizer.pad_token_id,
                )
        text = str(tokenizer.decode(out[0, ids["input_ids"].shape[1] :], skip_special_tokens=True))
        for stop in options.stop:
            text = text.split(stop, 1)[0]
        return text.strip()

    def close(self) -> None:
        self._model = None


def adapted_backend(store: Any) -> AdaptedBackend | None:
    """The voice backend for ``store``'s adapter in use, or None without one."""

    state = adapter_in_use(store)
    return AdaptedBackend(state) if state is not None else None


__all__ = ["AdaptedBackend", "LearnError", "adapted_backend"]
