"""The OpenAI-compatible chat backend: any ``/chat/completions`` endpoint reached over HTTP with ``httpx``.

Works with a llama.cpp server, Ollama, vLLM, LocalAI or a cloud API. ``llm.base_url`` is the API root including
its version (``http://127.0.0.1:8080/v1``); the backend POSTs ``{base_url}/chat/completions`` with ``model`` (left
out when ``llm.model`` is empty: single-model servers do not need it), ``messages``, ``max_tokens``,
``temperature``, ``stop`` and ``seed``, and reads ``choices[0].message.content``. Streaming reads server-sent
events: ``data: {json}`` lines, ended by ``data: [DONE]`` (or by the server closing the stream).

The API key comes from the environment variable named by ``llm.api_key_env``, else from the OS keyring
(service ``knowme``, user ``llm:<base_url>``; a machine without a keyring backend is fine), else no
``Authorization`` header is sent. The key is never logged and never appears in an error message: response
bodies quoted in errors are cut short and have the key blanked out.

Errors are :class:`BackendError` with a next step: the server unreachable, a timeout, the key refused (HTTP 401
or 403), any other non-2xx status (with a short body), or a reply that is not the expected JSON. A missing
``base_url`` is a :class:`ConfigError`.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Sequence
from typing import Any

import httpx

from knowme.config import LLMSettings, variable
from knowme.errors import BackendError, ConfigError
from knowme.llm.base import ChatBackend, CompletionOptions, Message
from knowme.plugins import hookimpl

KEYRING_SERVICE = "knowme"
BODY_LIMIT = 200
_REDACTED = "***"


def keyring_user(base_url: str) -> str:
    """The keyring user name under which the API key for ``base_url`` is stored."""
    return f"llm:{base_url}"


def _keyring_password(base_url: str) -> str | None:
    try:
        import keyring
    except ImportError:
        return None
    try:
        return keyring.get_password(KEYRING_SERVICE, keyring_user(base_url))
    except Exception:  # no backend, a locked or absent D-Bus service...: all mean "no key"
        return None


class OpenAICompatBackend(ChatBackend):
    """Talks to an OpenAI-compatible chat completions endpoint."""

    name = "openai"

    def __init__(self, settings: LLMSettings) -> None:
        if not settings.base_url:
            raise ConfigError(
                "llm.base_url is not set: give the OpenAI-compatible endpoint, e.g. http://127.0.0.1:8080/v1"
            )
        base_url = settings.base_url.strip().rstrip("/")
        if not base_url.startswith(("http://", "https://")):
            raise ConfigError(f"llm.base_url must start with http:// or https://, got {base_url!r}")
        self.settings = settings
        self.base_url = base_url
        self._client = httpx.Client(timeout=settings.timeout)
        self._key: str | None = None
        self._key_loaded = False
        self._key_source: str | None = None
        self._key_lock = threading.Lock()

    def describe(self) -> str:
        return f"openai-compatible {self.settings.model or 'default model'} at {self.base_url}"

    # -- the key ---------------------------------------------------------------------------------------------

    def _api_key(self) -> str | None:
        with self._key_lock:
            if not self._key_loaded:
                env = self.settings.api_key_env
                key = variable(env) if env else None
                if key:
                    self._key_source = f"the environment variable {env}"
                else:
                    key = _keyring_password(self.base_url)
                    self._key_source = "the keyring" if key else None
                self._key = key or None
                self._key_loaded = True
            return self._key

    def _headers(self) -> dict[str, str]:
        headers = {"Accept": "application/json"}
        key = self._api_key()
        if key:
            headers["Authorization"] = f"Bearer {key}"
        return headers

    def _redact(self, text: str) -> str:
        key = self._key
        if key:
            text = text.replace(key, _REDACTED)
        return text

    # -- requests --------------------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"{self.base_url}/chat/completions"

    def _body(self, messages: Sequence[Message], options: CompletionOptions, *, stream: bool) -> dict[str, Any]:
        body: dict[str, Any] = {
            "messages": [{"role": m.role, "content": m.content} for m in messages],
            "max_tokens": options.max_tokens,
            "temperature": options.temperature,
        }
        if self.settings.model:
            body["model"] = self.settings.model
        if options.stop:
            body["stop"] = list(options.stop)
        if options.seed is not None:
            body["seed"] = options.seed
        if stream:
            body["stream"] = True
        return body

    def _transport_error(self, exc: httpx.HTTPError) -> BackendError:
        if isinstance(exc, httpx.TimeoutException):
            return BackendError(
                f"{self.base_url} did not answer within {self.settings.timeout:g} s: "
                "the server may be busy or the model slow; raise llm.timeout if needed"
            )
        if isinstance(exc, httpx.ConnectError):
            return BackendError(f"cannot reach {self.base_url}: is the server running?")
        return BackendError(f"the connection to {self.base_url} failed: {self._redact(str(exc))}")

    def _check_status(self, response: httpx.Response) -> None:
        status = response.status_code
        if 200 <= status < 300:
            return
        if status in (401, 403):
            env = self.settings.api_key_env
            where = f"the keyring (service {KEYRING_SERVICE!r}, user {keyring_user(self.base_url)!r})"
            if self._key_source:
                hint = f"check the API key in {self._key_source}"
            elif env:
                hint = f"no API key was sent: set the environment variable {env} or store the key in {where}"
            else:
                hint = f"no API key was sent: set llm.api_key_env to the variable that holds it, or store it in {where}"
            raise BackendError(f"{self.base_url} refused the request (HTTP {status}): {hint}")
        body = " ".join(self._redact(response.text).split())
        if len(body) > BODY_LIMIT:
            body = body[:BODY_LIMIT] + "..."
        raise BackendError(f"{self.base_url} answered HTTP {status}: {body or '(empty body)'}")

    def _malformed(self, what: str) -> BackendError:
        return BackendError(f"{self.base_url} sent a malformed reply ({what}): is it an OpenAI-compatible endpoint?")

    def complete(self, messages: Sequence[Message], options: CompletionOptions | None = None) -> str:
        return self._post(self._body(messages, options or CompletionOptions(), stream=False))

    def complete_json(
        self, messages: Sequence[Message], schema: dict[str, Any], options: CompletionOptions | None = None
    ) -> str:
        """Structured output: ``response_format`` with the JSON Schema (strict), as OpenAI, vLLM, llama.cpp and
        Ollama's OpenAI endpoint accept it."""
        body = self._body(messages, options or CompletionOptions(), stream=False)
        body["response_format"] = {
            "type": "json_schema",
            "json_schema": {"name": str(schema.get("title") or "reply"), "schema": schema, "strict": True},
        }
        return self._post(body)

    def _post(self, body: dict[str, Any]) -> str:
        try:
            response = self._client.post(self.url, json=body, headers=self._headers())
        except httpx.HTTPError as exc:
            raise self._transport_error(exc) from None
        self._check_status(response)
        try:
            data = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise self._malformed("not JSON") from None
        return self._message_content(data)

    def _message_content(self, data: Any) -> str:
        try:
            content = data["choices"][0]["message"]["content"]
        except (KeyError, IndexError, TypeError):
            raise self._malformed("no choices[0].message.content") from None
        if content is None:
            return ""
        if not isinstance(content, str):
            raise self._malformed("content is not text")
        return content

    def stream(self, messages: Sequence[Message], options: CompletionOptions | None = None) -> Iterator[str]:
        body = self._body(messages, options or CompletionOptions(), stream=True)
        headers = self._headers()
        headers["Accept"] = "text/event-stream"
        try:
            with self._client.stream("POST", self.url, json=body, headers=headers) as response:
                if not 200 <= response.status_code < 300:
                    response.read()
                    self._check_status(response)
                for line in response.iter_lines():
                    piece = self._sse_piece(line)
                    if piece is None:
                        return
                    if piece:
                        yield piece
        except httpx.HTTPError as exc:
            raise self._transport_error(exc) from None

    def _sse_piece(self, line: str) -> str | None:
        """The text carried by one SSE line: ``""`` for lines without text, ``None`` at ``[DONE]``."""
        if not line.startswith("data:"):
            return ""  # blank separators, ": comments", "event:" and "id:" lines
        payload = line[5:].strip()
        if payload == "[DONE]":
            return None
        if not payload:
            return ""
        try:
            data = json.loads(payload)
        except json.JSONDecodeError:
            raise self._malformed("an event is not JSON") from None
        if isinstance(data, dict) and "error" in data:
            error = data["error"]
            message = error.get("message") if isinstance(error, dict) else error
            raise BackendError(f"{self.base_url} failed while streaming: {self._redact(str(message))[:BODY_LIMIT]}")
        try:
            choices = data["choices"]
            if not choices:
                return ""
            content = choices[0].get("delta", {}).get("content")
        except (KeyError, TypeError, AttributeError):
            raise self._malformed("an event has no choices[0].delta") from None
        if content is None:
            return ""
        if not isinstance(content, str):
            raise self._malformed("delta content is not text")
        return content

    def close(self) -> None:
        self._client.close()


@hookimpl
def register_chat_backends() -> list[type[ChatBackend]]:
    return [OpenAICompatBackend]
