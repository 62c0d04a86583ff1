"""`POST /terminal/v1/taps` answered in pure ASGI, ahead of FastAPI's routing.

A tap is the API's hottest request: FastAPI's route matching, dependency solving (the desk,
the signature's three security headers), its exception and exit-stack middlewares and the
`Response` object cost more of the API's CPU than the tap's own work (`docs/BENCHMARKS.md`).
`TapRoute` sits innermost among the app's middlewares, so a tap still gets everything they
add (the request id and metrics, the security headers, the body limit, the typed 500); it
reads the body, checks the signature and the counter, decides the tap and answers the same
bytes and problem details as the route it stands in for. Every other request, and a tap
with another method or path, passes to FastAPI untouched. The FastAPI route stays for
the OpenAPI document (and its `path` names the tap in the request metrics).
"""

import orjson
from starlette.requests import Request
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from adapters.terminal_auth import SignedRequest, TerminalAuthError
from api.errors import problem_response, status_of
from api.terminal_desk import TerminalDesk
from api.terminals import parsed, router
from domain.errors import DomainError

TAP_PATH = "/terminal/v1/taps"
_SIGNATURE_HEADERS = (b"x-terminal-id", b"x-counter", b"x-signature")


def tap_route() -> BaseRoute:
    """The FastAPI route of a tap (its OpenAPI operation; its `path` names it in metrics)."""
    return next(r for r in router.routes if getattr(r, "path", None) == TAP_PATH)


class TapRoute:
    def __init__(self, app: ASGIApp, desk: TerminalDesk, route: BaseRoute) -> None:
        self.app, self.desk, self.route = app, desk, route

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != TAP_PATH or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        scope["route"] = self.route  # the request metrics' template, as routing would set
        try:
            answer = await self.tap(scope, await Request(scope, receive).body())
        except DomainError as error:
            await problem_response(status_of(error), error.code, str(error))(scope, receive, send)
            return
        except TerminalAuthError as error:
            await problem_response(error.status, error.code, str(error))(scope, receive, send)
            return
        await send({
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-length", str(len(answer)).encode()),
                (b"content-type", b"application/json"),
            ],
        })  # fmt: skip
        await send({"type": "http.response.body", "body": answer})

    async def tap(self, scope: Scope, body: bytes) -> bytes:
        found: dict[bytes, str] = {}
        for name, value in scope["headers"]:  # lower case, as ASGI servers give them
            if name in _SIGNATURE_HEADERS and name not in found:  # the first, as Starlette's
                found[name] = bytes(value).decode("latin-1")
        terminal_id, counter, signature = (found.get(name, "") for name in _SIGNATURE_HEADERS)
        signed = SignedRequest(terminal_id, counter, signature, "POST", TAP_PATH, body)
        return orjson.dumps(await self.desk.tap_signed(signed, parsed))
