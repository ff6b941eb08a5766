"""make_backend: the backend named in the settings, found through the plugin registry."""

from __future__ import annotations

import pytest

from knowme.config import LLMSettings
from knowme.errors import ConfigError
from knowme.llm.embedded import EmbeddedBackend
from knowme.llm.extractive import ExtractiveBackend
from knowme.llm.openai_compat import OpenAICompatBackend
from knowme.llm.registry import make_backend
from knowme.plugins import chat_backends


def test_built_in_backends_are_registered() -> None:
    known = chat_backends()
    assert known["embedded"] is EmbeddedBackend
    assert known["openai"] is OpenAICompatBackend
    assert known["extractive"] is ExtractiveBackend


def test_make_backend_builds_the_named_backend() -> None:
    settings = LLMSettings(backend="extractive")
    backend = make_backend(settings)
    assert isinstance(backend, ExtractiveBackend)
    assert backend.settings is settings
    openai = make_backend(LLMSettings(backend="openai", base_url="http://127.0.0.1:9/v1"))
    try:
        assert isinstance(openai, OpenAICompatBackend)
        assert openai.url == "http://127.0.0.1:9/v1/chat/completions"
    finally:
        openai.close()
    embedded = make_backend(LLMSettings())  # the default; nothing is loaded until first use
    assert isinstance(embedded, EmbeddedBackend)


def test_unknown_backend_lists_the_known_names() -> None:
    with pytest.raises(ConfigError) as error:
        make_backend(LLMSettings(backend="gpt-42"))
    message = str(error.value)
    assert "'gpt-42'" in message
    for name in ("embedded", "extractive", "openai"):
        assert name in message


def test_a_backend_with_bad_settings_raises_its_config_error() -> None:
    with pytest.raises(ConfigError, match="llm.base_url is not set"):
        make_backend(LLMSettings(backend="openai"))
