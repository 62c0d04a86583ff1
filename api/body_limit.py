"""Request bodies limited while they stream in, before any route, parser or signature sees them.

A pure ASGI middleware: a declared `Content-Length` over the limit is answered at once
without reading a byte; a chunked body is counted as its pieces arrive and refused as soon as
it passes the limit (nothing is buffered here). Either way the answer is
`413` problem details with the code `body_too_large` and the server discards the rest of the body
without keeping it, so the connection stays usable. The limit depends on the path:
`/terminal/v1/*` one size, `/graphql` a small one for anonymous callers and a larger one with
a valid access token (its signature and expiry, checked without the database).
"""

from collections.abc import Callable
from dataclasses import dataclass

from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from adapters.blobs import MAX_BLOB_BYTES
from api.errors import problem_response

STAFF_MAX_BODY = MAX_BLOB_BYTES  # a photo upload


@dataclass(frozen=True)
class BodyLimits:
    terminal: int
    graphql_anonymous: int
    graphql: int
    signed_in: Callable[[str], bool]  # is this bearer token a valid access token?

    def of(self, scope: Scope) -> int | None:
        """The limit of a request, None for paths without one."""
        path: str = scope["path"]
        if path.startswith("/terminal/"):
            return self.terminal
        if path.startswith("/staff/"):
            return STAFF_MAX_BODY
        if path.rstrip("/") == "/graphql":
            token = bearer(header(scope, b"authorization"))
            return self.graphql if token and self.signed_in(token) else self.graphql_anonymous
        return None


class BodyTooLargeError(Exception):
    """Raised into the app from `receive` once a streamed body passes its limit."""


def header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None


def bearer(raw: str | None) -> str | None:
    if raw and raw[:7].lower() == "bearer ":
        return raw[7:].strip()
    return None


def too_large(limit: int) -> Response:
    return problem_response(413, "body_too_large", f"a request body is at most {limit} bytes")


class BodyLimit:
    def __init__(self, app: ASGIApp, limits: BodyLimits) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        limit = self.limits.of(scope) if scope["type"] == "http" else None
        if limit is None:
            await self.app(scope, receive, send)
            return
        declared = header(scope, b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await too_large(limit)(scope, receive, send)
            return
        received = 0
        refused = False
        started = False

        async def counted() -> Message:
            nonlocal received, refused
            if refused:
                raise BodyTooLargeError
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    refused = True
                    raise BodyTooLargeError
            return message

        async def answer(message: Message) -> None:
            nonlocal started
            if refused:
                return  # whatever the app makes of a refused body, the client gets the 413
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, answer)
        except Exception:
            if not refused:
                raise
        if refused and not started:
            await too_large(limit)(scope, receive, send)
