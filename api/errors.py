"""Domain and authentication errors as typed JSON: `{"error": {"code", "message"}}`."""

from typing import Any

import orjson
from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError

from adapters.terminal_auth import TerminalAuthError
from domain.errors import (
    AccountClosedError,
    ConcurrencyError,
    ConflictError,
    DomainError,
    InsufficientFundsError,
    NotFoundError,
)

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


def install_error_handlers(app: FastAPI) -> None:
    async def on_domain_error(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, DomainError)
        return json_response(error_body(exc.code, str(exc)), status_of(exc))

    async def on_auth_error(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, TerminalAuthError)
        return json_response(error_body(exc.code, str(exc)), exc.status)

    async def on_validation_error(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        message = "; ".join(str(e.get("msg", "")) for e in exc.errors()) or "invalid request"
        return json_response(error_body("invalid_request", message), 400)

    async def on_unexpected(_: Request, exc: Exception) -> Response:
        # Logged with its traceback by the server; the terminal gets a typed answer to retry.
        return json_response(error_body("internal_error", "the server failed; retry later"), 500)

    app.add_exception_handler(Exception, on_unexpected)
    app.add_exception_handler(DomainError, on_domain_error)
    app.add_exception_handler(TerminalAuthError, on_auth_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
