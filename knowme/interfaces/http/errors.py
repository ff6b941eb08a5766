"""One JSON error envelope for every error the HTTP server returns, and the request size limit.

Every error, whatever raised it (a missing token, an unknown route, a bad parameter, an oversized upload, a
:class:`~knowme.errors.KnowmeError` from the vault, a bug), reaches the client as::

    {"error": {"status": 404, "code": "not_found", "message": "no record with ref 'mail:x'", "details": []}}

``details`` lists the invalid fields of a 422 (``loc`` and ``msg``) and is empty otherwise. A 500 never shows
the exception's text (it may quote personal data or a secret): the message only says that the server failed.

    ApiError(KnowmeError)      an HTTP error raised on purpose, with a status and a code
    ├── Unauthorized           401: no token, or not a valid one (sent with WWW-Authenticate: Bearer)
    ├── Forbidden              403: a valid token without the scope the endpoint needs
    ├── NotFound               404
    └── PayloadTooLarge        413: a request body over the limit

Errors of the vault map by type: ConfigError 400, IngestError 422, BackendError 502, other VaultError 503.

:class:`BodyLimit` is a pure ASGI middleware: a body whose ``Content-Length`` is over the limit is refused before
it is read; a body without one (chunked) is counted as it streams, and once over the limit the application's own
response is replaced by the 413 envelope. Limits are per path prefix (uploads get a larger one).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from knowme.errors import BackendError, ConfigError, IngestError, KnowmeError, VaultError

log = logging.getLogger("knowme.interfaces.http")


class ApiError(KnowmeError):
    """An HTTP error raised on purpose: ``status`` and a short machine-readable ``code``."""

    status = 400
    code = "bad_request"
    headers: Mapping[str, str] = {}


class Unauthorized(ApiError):
    status = 401
    code = "unauthorized"
    headers = {"WWW-Authenticate": "Bearer"}


class Forbidden(ApiError):
    status = 403
    code = "forbidden"


class NotFound(ApiError):
    status = 404
    code = "not_found"


class PayloadTooLarge(ApiError):
    status = 413
    code = "payload_too_large"


_KNOWME_STATUS: tuple[tuple[type[KnowmeError], int, str], ...] = (
    (ConfigError, 400, "bad_request"),
    (IngestError, 422, "cannot_ingest"),
    (BackendError, 502, "backend_failed"),
    (VaultError, 503, "vault_unavailable"),
)

_CODES = {401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}


def status_code_name(status: int) -> str:
    if status in _CODES:
        return _CODES[status]
    try:
        return HTTPStatus(status).phrase.lower().replace(" ", "_").replace("-", "_")
    except ValueError:
        return "error"


def envelope(status: int, code: str, message: str, details: Sequence[Mapping[str, Any]] = ()) -> dict[str, Any]:
    """The error body every endpoint returns."""
    return {"error": {"status": status, "code": code, "message": message, "details": list(details)}}


def error_response(
    status: int,
    code: str,
    message: str,
    *,
    details: Sequence[Mapping[str, Any]] = (),
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    return JSONResponse(envelope(status, code, message, details), status_code=status, headers=dict(headers or {}))


def _knowme_error(exc: KnowmeError) -> JSONResponse:
    if isinstance(exc, ApiError):
        return error_response(exc.status, exc.code, str(exc), headers=exc.headers)
    for cls, status, code in _KNOWME_STATUS:
        if isinstance(exc, cls):
            return error_response(status, code, str(exc))
    return error_response(400, "bad_request", str(exc))


def _loc(loc: Sequence[Any]) -> str:
    return ".".join(str(part) for part in loc)


def install_error_handlers(app: FastAPI) -> None:
    """Make every error, from routing to a bug, answer with :func:`envelope`."""

    @app.exception_handler(KnowmeError)
    async def knowme_error(request: Request, exc: KnowmeError) -> JSONResponse:
        return _knowme_error(exc)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        message = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
        if exc.status_code == 404 and message == "Not Found":
            message = f"no such endpoint: {request.method} {request.url.path}"
        return error_response(exc.status_code, status_code_name(exc.status_code), message, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        details = [{"loc": _loc(err.get("loc", ())), "msg": str(err.get("msg", ""))} for err in exc.errors()]
        first = details[0] if details else {"loc": "request", "msg": "invalid"}
        message = f"invalid request: {first['loc']}: {first['msg']}"
        return error_response(422, "invalid_request", message, details=jsonable_encoder(details))

    @app.exception_handler(Exception)
    async def server_error(request: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled error on %s %s: %s", request.method, request.url.path, type(exc).__name__)
        return error_response(500, "internal_error", "the server failed to handle this request; see its log")


class BodyLimit:
    """Refuse request bodies over a size limit with the 413 envelope (see the module docstring)."""

    def __init__(self, app: ASGIApp, *, default: int, by_prefix: Mapping[str, int] | None = None) -> None:
        self.app = app
        self.default = default
        self.by_prefix = sorted((by_prefix or {}).items(), key=lambda item: -len(item[0]))

    def limit_for(self, path: str) -> int:
        for prefix, limit in self.by_prefix:
            if path.startswith(prefix):
                return limit
        return self.default

    @staticmethod
    async def _refuse(send: Send, limit: int) -> None:
        message = f"the request body is larger than the limit of {limit} bytes"
        await error_response(413, "payload_too_large", message)({"type": "http"}, _no_receive, send)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope.get("path", ""))
        length = _content_length(scope)
        if length is not None and length > limit:
            await self._refuse(send, limit)
            return
        state = {"seen": 0, "over": False, "started": False, "refused": False}

        async def counted_receive() -> Message:
            if state["over"]:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                state["seen"] += len(message.get("body", b""))
                if state["seen"] > limit:
                    state["over"] = True
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            if state["over"] and not state["started"]:
                if not state["refused"]:
                    state["refused"] = True
                    await self._refuse(send, limit)
                return
            if message["type"] == "http.response.start":
                state["started"] = True
            await send(message)

        try:
            await self.app(scope, counted_receive, guarded_send)
        except Exception:
            if not state["over"]:
                raise
        if state["over"] and not state["refused"] and not state["started"]:
            state["refused"] = True
            await self._refuse(send, limit)


async def _no_receive() -> Message:
    return {"type": "http.disconnect"}


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
