"""Standard security headers on every answer, and CORS for the configured origins only.

JSON answers forbid every active content (`Content-Security-Policy: default-src 'none'`);
HTML pages (`/docs`, GraphiQL in development) keep their scripts, but no answer may be
framed, sniffed or leak its URL as a referrer. `CORS_ORIGINS` (app/settings.py) lists
the browser origins that may call the API; with none, no CORS header is sent at all.
"""

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.types import Message, Receive, Scope, Send

from api.asgi import HttpMiddleware

ALWAYS = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"strict-transport-security", b"max-age=31536000; includeSubDomains"),
)
NOT_HTML = (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'")


class SecurityHeaders(HttpMiddleware):
    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                html = any(
                    name.lower() == b"content-type" and value.startswith(b"text/html")
                    for name, value in headers
                )
                added = [*ALWAYS, *(() if html else (NOT_HTML,))]
                headers += [(name, value) for name, value in added if name not in present]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)


def allow_origins(app: FastAPI, origins: list[str]) -> None:
    if origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=origins,
            allow_methods=["GET", "POST", "OPTIONS"],
            allow_headers=["authorization", "content-type", "x-request-id"],
            expose_headers=["x-request-id"],
            max_age=600,
        )
