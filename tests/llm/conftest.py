"""Fixtures for the chat backend tests: the bundled model, a real llama.cpp server and a small OpenAI-shaped server.

- ``embedded`` loads the bundled SmolLM2 GGUF once per session with :class:`EmbeddedBackend`.
- ``llama_server`` starts ``python -m llama_cpp.server`` on a free 127.0.0.1 port with the same GGUF and yields
  its ``/v1`` base URL; its log goes to a file in the session's temp folder.
- ``fake_openai`` is a real HTTP server (stdlib ``http.server`` in a thread) that speaks the chat.completions
  JSON and SSE shapes, records every request's headers and body, and misbehaves on purpose depending on the
  first path segment of the base URL (see :class:`FakeOpenAI`).
"""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from knowme.config import LLMSettings
from knowme.llm.embedded import EmbeddedBackend, bundled_model_path

SERVER_START_TIMEOUT = 180.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def bundled_gguf() -> Path:
    return bundled_model_path()


@pytest.fixture(scope="session")
def embedded(bundled_gguf: Path) -> Iterator[EmbeddedBackend]:
    backend = EmbeddedBackend(LLMSettings(backend="embedded", n_ctx=2048, n_threads=2))
    backend.llama  # noqa: B018 - load once, up front
    yield backend
    backend.close()


@pytest.fixture(scope="session")
def llama_server(bundled_gguf: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real llama.cpp OpenAI-compatible server; yields its base URL (``http://127.0.0.1:<port>/v1``)."""
    port = free_port()
    log_path = tmp_path_factory.mktemp("llama_server") / "server.log"
    command = [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        str(bundled_gguf),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n_ctx",
        "2048",
    ]
    base_url = f"http://127.0.0.1:{port}/v1"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + SERVER_START_TIMEOUT
            while True:
                if proc.poll() is not None:
                    pytest.fail(f"llama_cpp.server exited with {proc.returncode}; log:\n{log_path.read_text()[-3000:]}")
                try:
                    if httpx.get(f"{base_url}/models", timeout=2.0).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    pytest.fail(f"llama_cpp.server did not start in {SERVER_START_TIMEOUT:g} s; log at {log_path}")
                time.sleep(0.25)
            yield base_url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=15)


# -- a small OpenAI-shaped server --------------------------------------------------------------------------------


@dataclass
class Recorded:
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class FakeOpenAI:
    """Behaviour by the first path segment of the base URL ``{url}/<mode>/v1``:

    ``ok``          a chat.completion whose content is ``echo: <last user message>``; SSE when ``stream`` is true,
                    in pieces "echo", ": " and the message, with a role-only first chunk and a final empty delta
    ``unauthorized``  HTTP 401 whose body quotes the Authorization header back
    ``error``       HTTP 500 whose long body quotes the Authorization header back
    ``badjson``     HTTP 200 with an HTML body
    ``nochoices``   HTTP 200 with JSON that has no ``choices``
    ``slow``        waits (until the test ends) before answering
    ``streamerror`` one SSE piece, then an ``{"error": ...}`` event
    """

    url: str
    requests: list[Recorded] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)

    def base(self, mode: str) -> str:
        return f"{self.url}/{mode}/v1"


def chunk(delta: dict[str, str], finish: str | None = None) -> bytes:
    data = {
        "id": "chatcmpl-test",
        "object": "chat.completion.chunk",
        "created": 1700000000,
        "model": "fake",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    return f"data: {json.dumps(data)}\n\n".encode()


def make_handler(fake: FakeOpenAI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's signature
            pass

        def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                body = json.loads(raw)
            except json.JSONDecodeError:
                body = raw.decode("utf-8", "replace")
            fake.requests.append(Recorded(self.path, dict(self.headers.items()), body))
            mode = self.path.strip("/").split("/")[0]
            auth = self.headers.get("Authorization", "")
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client gave up (timeout test)
                self._answer(mode, body, auth)

        def _answer(self, mode: str, body: Any, auth: str) -> None:
            if mode == "unauthorized":
                error = {"error": {"message": f"Incorrect API key provided: {auth}", "type": "invalid_request_error"}}
                self._send(401, json.dumps(error).encode())
            elif mode == "error":
                self._send(500, f"internal failure while serving {auth}: ".encode() + b"x" * 2000, "text/plain")
            elif mode == "badjson":
                self._send(200, b"<html><body>502 Bad Gateway</body></html>")
            elif mode == "nochoices":
                self._send(200, json.dumps({"object": "chat.completion", "model": "fake"}).encode())
            elif mode == "slow":
                fake.release.wait(timeout=10)
                self._send(200, b"{}")
            elif mode in ("ok", "streamerror") and isinstance(body, dict):
                text = "echo: " + next(
                    (m["content"] for m in reversed(body.get("messages", [])) if m.get("role") == "user"), ""
                )
                if body.get("stream"):
                    self._stream(text, fail=mode == "streamerror", auth=auth)
                else:
                    self._complete(text)
            else:
                self._send(404, b'{"error": {"message": "not found"}}')

        def _complete(self, text: str) -> None:
            reply = {
                "id": "chatcmpl-test",
                "object": "chat.completion",
                "created": 1700000000,
                "model": "fake",
                "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 3, "completion_tokens": 3, "total_tokens": 6},
            }
            self._send(200, json.dumps(reply).encode())

        def _stream(self, text: str, *, fail: bool, auth: str) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.end_headers()
            self.wfile.write(b": keep-alive comment\n\n")
            self.wfile.write(chunk({"role": "assistant"}))
            if fail:
                self.wfile.write(chunk({"content": "partial"}))
                error = {"error": {"message": f"model crashed for {auth}", "code": 500}}
                self.wfile.write(f"data: {json.dumps(error)}\n\n".encode())
                return
            for piece in ("echo", ": ", text.removeprefix("echo: ")):
                self.wfile.write(chunk({"content": piece}))
                self.wfile.flush()
            self.wfile.write(chunk({}, finish="stop"))
            self.wfile.write(b"data: [DONE]\n\n")

    return Handler


@contextmanager
def serve_fake_openai(
    handler: Callable[[Any], type] | None = None, fake: FakeOpenAI | None = None
) -> Iterator[FakeOpenAI]:
    """A fake OpenAI-compatible upstream on 127.0.0.1 (the real protocol over HTTP), stopped on exit: ``fake``
    records what it was sent, ``handler(fake)`` makes the request handler (default: echo)."""
    fake = fake if fake is not None else FakeOpenAI(url="")
    server = ThreadingHTTPServer(("127.0.0.1", 0), (handler or make_handler)(fake))
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        fake.release.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    with serve_fake_openai() as fake:
        yield fake


@pytest.fixture
def closed_port() -> int:
    """A 127.0.0.1 port that nothing listens on (connections are refused)."""
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
