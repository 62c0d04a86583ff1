"""Domain and authentication errors as typed JSON: `{"error": {"code", "message"}}`.

An unexpected exception is answered `500 internal_error` by `UnexpectedErrors`, which logs it
and does not re-raise: starlette's own handler re-raises, and uvicorn then drops the
keep-alive connection, failing the client's next request too.
"""

import logging
from typing import Any

import orjson
from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from adapters.terminal_auth import TerminalAuthError
from domain.errors import (
    AccountClosedError,
    ConcurrencyError,
    ConflictError,
    DomainError,
    InsufficientFundsError,
    NotFoundError,
)

log = logging.getLogger("infoshkola.api")

# Most specific first; anything else a DomainError is a bad request.
STATUS_OF: tuple[tuple[type[DomainError], int], ...] = (
    (NotFoundError, 404),
    (ConflictError, 409),
    (InsufficientFundsError, 409),
    (AccountClosedError, 409),
    (ConcurrencyError, 409),
)


def status_of(error: DomainError) -> int:
    return next((status for cls, status in STATUS_OF if isinstance(error, cls)), 400)


def error_body(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


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
        return json_response(error_body(exc.code, str(exc)), status_of(exc))

    async def on_auth_error(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, TerminalAuthError)
        return json_response(error_body(exc.code, str(exc)), exc.status)

    async def on_refused(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestRefusedError)
        return json_response(error_body(exc.code, str(exc)), exc.status)

    async def on_validation_error(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        message = "; ".join(str(e.get("msg", "")) for e in exc.errors()) or "invalid request"
        return json_response(error_body("invalid_request", message), 400)

    app.add_exception_handler(DomainError, on_domain_error)
    app.add_exception_handler(TerminalAuthError, on_auth_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(RequestRefusedError, on_refused)


class UnexpectedErrors:
    """Pure ASGI: an exception the routes did not handle becomes a typed 500 on a live
    connection (logged with its traceback); one raised after the answer began still closes."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
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
            answer = error_body("internal_error", "the server failed; retry later")
            await json_response(answer, 500)(scope, receive, send)
