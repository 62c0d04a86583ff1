"""Every error of every route as RFC 9457 problem details (`application/problem+json`):
`{"type", "title", "status", "detail", "code"}`, where `code` is the typed, stable code a
client branches on (`invalid_command`, `counter_replayed`, …) and `type` is a URN naming it.
Domain and authentication errors, refused requests, validation errors, routing's 404/405 and
the body limit's 413 all use it; so does an unexpected exception (500).

An unexpected exception is answered `500 internal_error` by `UnexpectedErrors`, which logs it
and does not re-raise: starlette's own handler re-raises, and uvicorn then drops the
keep-alive connection, failing the client's next request too.
"""

import logging
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

import orjson
from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.types import Message, Receive, Scope, Send

from adapters.terminal_auth import TerminalAuthError
from api.asgi import HttpMiddleware
from domain.errors import (
    AccountClosedError,
    ConcurrencyError,
    ConflictError,
    DomainError,
    InsufficientFundsError,
    NotFoundError,
    TerminalRevokedError,
)

log = logging.getLogger("infoshkola.api")

# Most specific first; anything else a DomainError is a bad request.
STATUS_OF: tuple[tuple[type[DomainError], int], ...] = (
    (NotFoundError, 404),
    (TerminalRevokedError, 403),
    (ConflictError, 409),
    (InsufficientFundsError, 409),
    (AccountClosedError, 409),
    (ConcurrencyError, 409),
)


def status_of(error: DomainError) -> int:
    return next((status for cls, status in STATUS_OF if isinstance(error, cls)), 400)


PROBLEM_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:infoshkola:problem:"
CODE_OF_STATUS = {404: "not_found", 405: "method_not_allowed", 406: "not_acceptable"}


def problem(status: int, code: str, detail: str, **extra: Any) -> dict[str, Any]:
    """The problem details of one error (RFC 9457); `extra` adds members (`checks`, …)."""
    return {
        "type": f"{TYPE_PREFIX}{code}",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "code": code,
        **extra,
    }


def problem_response(
    status: int, code: str, detail: str, headers: Mapping[str, str] | None = None, **extra: Any
) -> Response:
    return Response(
        orjson.dumps(problem(status, code, detail, **extra)),
        status_code=status,
        media_type=PROBLEM_TYPE,
        headers=headers,
    )


def json_response(payload: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(payload), status_code=status, media_type="application/json")


class RequestRefusedError(Exception):
    """A request refused before it reaches a route's logic (its shape, not the domain)."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.status = status


def install_error_handlers(app: FastAPI) -> None:
    async def on_domain_error(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, DomainError)
        return problem_response(status_of(exc), exc.code, str(exc))

    async def on_auth_error(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, TerminalAuthError)
        return problem_response(exc.status, exc.code, str(exc))

    async def on_refused(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestRefusedError)
        return problem_response(exc.status, exc.code, str(exc))

    async def on_validation_error(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        message = "; ".join(str(e.get("msg", "")) for e in exc.errors()) or "invalid request"
        return problem_response(400, "invalid_request", message)

    async def on_http_error(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        code = CODE_OF_STATUS.get(exc.status_code, f"http_{exc.status_code}")
        return problem_response(exc.status_code, code, str(exc.detail), exc.headers)

    app.add_exception_handler(DomainError, on_domain_error)
    app.add_exception_handler(TerminalAuthError, on_auth_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(RequestRefusedError, on_refused)
    app.add_exception_handler(HTTPException, on_http_error)


class UnexpectedErrors(HttpMiddleware):
    """Pure ASGI: an exception the routes did not handle becomes a typed 500 on a live
    connection (logged with its traceback); one raised after the answer began still closes."""

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        except Exception:
            if started:
                raise
            log.exception("unexpected error in %s %s", scope["method"], scope["path"])
            answer = problem_response(500, "internal_error", "the server failed; retry later")
            await answer(scope, receive, send)
