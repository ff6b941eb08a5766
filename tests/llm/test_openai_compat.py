"""The OpenAI-compatible backend against a real llama.cpp server and a small OpenAI-shaped HTTP server."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import keyring
import pytest
from keyring.backends import fail

from knowme.config import LLMSettings
from knowme.errors import BackendError, ConfigError
from knowme.llm.base import CompletionOptions, Message
from knowme.llm.embedded import EmbeddedBackend
from knowme.llm.openai_compat import OpenAICompatBackend, keyring_user
from knowme.plugins import chat_backends
from tests.conftest import MemoryKeyring

from .conftest import FakeOpenAI

KEY = "sk-test-SECRET-0123456789"
KEY_ENV = "KNOWME_TEST_LLM_KEY"
QUESTION = [
    Message("system", "You are a helpful assistant. Answer briefly."),
    Message("user", "What is the capital of France?"),
]


@pytest.fixture
def backend_for(fake_openai: FakeOpenAI) -> Iterator[Callable[..., OpenAICompatBackend]]:
    made: list[OpenAICompatBackend] = []

    def make(mode: str, **settings: object) -> OpenAICompatBackend:
        backend = OpenAICompatBackend(LLMSettings(backend="openai", base_url=fake_openai.base(mode), **settings))
        made.append(backend)
        return backend

    yield make
    for backend in made:
        backend.close()


@pytest.fixture
def no_keyring() -> Iterator[None]:
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        yield
    finally:
        keyring.set_keyring(previous)


def all_messages(exc: BaseException) -> str:
    """Every message in an exception chain, with reprs, as one string."""
    parts = []
    seen: BaseException | None = exc
    while seen is not None:
        parts += [str(seen), repr(seen)]
        seen = seen.__cause__ or seen.__context__
    return "\n".join(parts)


# -- a real llama.cpp server -------------------------------------------------------------------------------------


@pytest.mark.slow
def test_complete_and_stream_against_a_real_llama_cpp_server(llama_server: str) -> None:
    backend = OpenAICompatBackend(LLMSettings(backend="openai", base_url=llama_server, timeout=60))
    try:
        options = CompletionOptions(max_tokens=24, temperature=0.0)
        reply = backend.complete(QUESTION, options)
        assert reply.strip()
        pieces = list(backend.stream(QUESTION, options))
        assert len(pieces) > 1
        assert "".join(pieces) == reply
    finally:
        backend.close()


@pytest.mark.slow
def test_max_tokens_and_stop_reach_the_real_server(llama_server: str, embedded: EmbeddedBackend) -> None:
    story = [Message("user", "Write a long story about a dragon who lives in a library.")]
    backend = OpenAICompatBackend(LLMSettings(backend="openai", base_url=llama_server + "/", timeout=60))
    try:
        full = backend.complete(story, CompletionOptions(max_tokens=40, temperature=0.0))
        short = backend.complete(story, CompletionOptions(max_tokens=6, temperature=0.0))
        tokens = embedded.llama.tokenize(short.encode(), add_bos=False, special=False)
        assert 0 < len(tokens) <= 6
        stop = full.split()[3]
        cut = backend.complete(story, CompletionOptions(max_tokens=40, temperature=0.0, stop=(stop,)))
        assert cut == full[: full.index(stop)]
    finally:
        backend.close()


# -- the request and the key -------------------------------------------------------------------------------------


def test_registered_as_a_plugin() -> None:
    assert chat_backends()["openai"] is OpenAICompatBackend


def test_request_shape_and_key_from_the_environment(
    fake_openai: FakeOpenAI, backend_for, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(KEY_ENV, KEY)
    backend = backend_for("ok", model="smollm2", api_key_env=KEY_ENV)
    options = CompletionOptions(max_tokens=17, temperature=0.3, stop=("\n\n", "END"), seed=5)
    assert backend.complete(QUESTION, options) == "echo: What is the capital of France?"
    [request] = fake_openai.requests
    assert request.path == "/ok/v1/chat/completions"
    assert request.headers["Authorization"] == f"Bearer {KEY}"
    assert request.body == {
        "model": "smollm2",
        "messages": [
            {"role": "system", "content": "You are a helpful assistant. Answer briefly."},
            {"role": "user", "content": "What is the capital of France?"},
        ],
        "max_tokens": 17,
        "temperature": 0.3,
        "stop": ["\n\n", "END"],
        "seed": 5,
    }
    assert "smollm2" in backend.describe()


def test_stream_reads_server_sent_events(fake_openai: FakeOpenAI, backend_for, monkeypatch) -> None:
    monkeypatch.setenv(KEY_ENV, KEY)
    backend = backend_for("ok", api_key_env=KEY_ENV)
    pieces = list(backend.stream([Message("user", "hello there")]))
    assert pieces == ["echo", ": ", "hello there"]
    [request] = fake_openai.requests
    assert request.body["stream"] is True
    assert "model" not in request.body
    assert request.headers["Authorization"] == f"Bearer {KEY}"
    assert request.headers["Accept"] == "text/event-stream"


def test_key_from_the_keyring(fake_openai: FakeOpenAI, backend_for, memory_keyring: MemoryKeyring) -> None:
    backend = backend_for("ok", api_key_env="KNOWME_TEST_UNSET_VARIABLE")
    memory_keyring.set_password("knowme", keyring_user(backend.base_url), KEY)
    backend.complete(QUESTION)
    assert fake_openai.requests[0].headers["Authorization"] == f"Bearer {KEY}"


def test_the_environment_wins_over_the_keyring(
    fake_openai: FakeOpenAI, backend_for, memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(KEY_ENV, "from-env")
    backend = backend_for("ok", api_key_env=KEY_ENV)
    memory_keyring.set_password("knowme", keyring_user(backend.base_url), "from-keyring")
    backend.complete(QUESTION)
    assert fake_openai.requests[0].headers["Authorization"] == "Bearer from-env"


def test_no_key_and_no_keyring_backend_sends_no_authorization(
    fake_openai: FakeOpenAI, backend_for, no_keyring: None
) -> None:
    with pytest.raises(keyring.errors.NoKeyringError):
        keyring.get_password("knowme", "anything")  # the fail backend really has no keyring
    backend = backend_for("ok")
    assert backend.complete(QUESTION) == "echo: What is the capital of France?"
    assert "Authorization" not in fake_openai.requests[0].headers


# -- errors ------------------------------------------------------------------------------------------------------


def test_missing_or_bad_base_url_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="llm.base_url is not set"):
        OpenAICompatBackend(LLMSettings(backend="openai"))
    with pytest.raises(ConfigError, match="http:// or https://"):
        OpenAICompatBackend(LLMSettings(backend="openai", base_url="127.0.0.1:8080/v1"))


def test_connection_refused(closed_port: int) -> None:
    base_url = f"http://127.0.0.1:{closed_port}/v1"
    backend = OpenAICompatBackend(LLMSettings(backend="openai", base_url=base_url, timeout=5))
    try:
        with pytest.raises(BackendError) as complete_error:
            backend.complete(QUESTION)
        with pytest.raises(BackendError) as stream_error:
            list(backend.stream(QUESTION))
    finally:
        backend.close()
    for error in (complete_error, stream_error):
        assert str(error.value) == f"cannot reach {base_url}: is the server running?"


def test_timeout(backend_for) -> None:
    backend = backend_for("slow", timeout=0.3)
    started = time.monotonic()
    with pytest.raises(BackendError, match=r"did not answer within 0.3 s"):
        backend.complete(QUESTION)
    assert time.monotonic() - started < 5


def test_unauthorized_mentions_the_variable_and_hides_the_key(backend_for, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, KEY)
    backend = backend_for("unauthorized", api_key_env=KEY_ENV)
    with pytest.raises(BackendError) as complete_error:
        backend.complete(QUESTION)
    with pytest.raises(BackendError) as stream_error:
        list(backend.stream(QUESTION))
    for error in (complete_error, stream_error):
        message = str(error.value)
        assert "HTTP 401" in message
        assert KEY_ENV in message
        assert KEY not in all_messages(error.value)


def test_unauthorized_without_a_configured_key_says_how_to_give_one(backend_for, no_keyring: None) -> None:
    backend = backend_for("unauthorized")
    with pytest.raises(BackendError, match="no API key was sent: set llm.api_key_env"):
        backend.complete(QUESTION)
    backend = backend_for("unauthorized", api_key_env="KNOWME_TEST_UNSET_VARIABLE")
    with pytest.raises(BackendError, match="no API key was sent: set the environment variable KNOWME_TEST_UNSET"):
        backend.complete(QUESTION)


def test_unauthorized_with_a_keyring_key_points_at_the_keyring(backend_for, memory_keyring: MemoryKeyring) -> None:
    backend = backend_for("unauthorized")
    memory_keyring.set_password("knowme", keyring_user(backend.base_url), KEY)
    with pytest.raises(BackendError, match="HTTP 401.*check the API key in the keyring") as error:
        backend.complete(QUESTION)
    assert KEY not in all_messages(error.value)


def test_server_error_gives_status_and_short_body_without_the_key(backend_for, monkeypatch) -> None:
    monkeypatch.setenv(KEY_ENV, KEY)
    backend = backend_for("error", api_key_env=KEY_ENV)
    with pytest.raises(BackendError) as error:
        backend.complete(QUESTION)
    message = str(error.value)
    assert "HTTP 500" in message
    assert "internal failure while serving Bearer ***" in message
    assert len(message) < 400
    assert KEY not in all_messages(error.value)


def test_stream_error_event_is_raised_without_the_key(backend_for, monkeypatch) -> None:
    monkeypatch.setenv(KEY_ENV, KEY)
    backend = backend_for("streamerror", api_key_env=KEY_ENV)
    received = []
    with pytest.raises(BackendError, match="failed while streaming: model crashed") as error:
        for piece in backend.stream(QUESTION):
            received.append(piece)
    assert received == ["partial"]
    assert KEY not in all_messages(error.value)


@pytest.mark.parametrize(("mode", "what"), [("badjson", "not JSON"), ("nochoices", "no choices")])
def test_malformed_replies(backend_for, mode: str, what: str) -> None:
    backend = backend_for(mode)
    with pytest.raises(BackendError, match=f"malformed reply \\({what}"):
        backend.complete(QUESTION)
