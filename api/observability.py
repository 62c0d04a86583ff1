"""Request ids, request metrics and the operator's endpoints: /metrics, /ready, /live.

`RequestContext` is the outermost middleware: it takes the request id from `X-Request-ID`
(when it is a sane token) or makes one, binds it to every log line of the request
(`app/logs.py`), returns it in the answer's `X-Request-ID`, and counts the request by
route template and status. `/ready` answers 200 only when PostgreSQL (and Redis, when the
API is given one) answer; `/live` only says the process serves requests.
"""

import logging
import re
import time
from typing import Any
from uuid import uuid4

import psycopg
import redis
from fastapi import APIRouter, Request, Response
from starlette.types import Message, Receive, Scope, Send

from adapters import metrics
from api import scrape
from api.asgi import HttpMiddleware
from api.errors import json_response, problem_response
from api.terminal_schemas import problems
from app.logs import bind_request_id, info_line

log = logging.getLogger("infoshkola.api.requests")
REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

router = APIRouter(tags=["operations"])


def request_id_of(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            text = bytes(value).decode("latin-1")
            if REQUEST_ID.fullmatch(text):
                return text
    return uuid4().hex


class RequestContext(HttpMiddleware):
    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        request_id = request_id_of(scope)
        bind_request_id(request_id)
        started = time.perf_counter()
        status = 500

        async def answer(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [
                    *message.get("headers", []),
                    (b"x-request-id", request_id.encode()),
                ]
            await send(message)

        try:
            await self.app(scope, receive, answer)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            seconds = time.perf_counter() - started
            metrics.HTTP_REQUESTS.labels(scope["method"], template, str(status)).inc()
            metrics.HTTP_SECONDS.labels(scope["method"], template).observe(seconds)
            client = scope.get("client")
            info_line(
                log,
                f"{scope['method']} {scope['path']} {status} {seconds * 1000:.1f}ms",
                client=f"{client[0]}:{client[1]}" if client else None,
            )


def checks(request: Request) -> dict[str, str]:
    container = request.app.state.container
    found = {}
    try:
        with psycopg.connect(container.database_url, connect_timeout=2) as conn:
            conn.execute("SELECT 1")
        found["postgresql"] = "ok"
    except psycopg.Error as error:
        found["postgresql"] = f"failed: {str(error).strip().splitlines()[0]}"
    redis_url = container.settings.redis_url
    if redis_url:
        client = redis.Redis.from_url(redis_url, socket_timeout=2, socket_connect_timeout=2)
        try:
            client.ping()
            found["redis"] = "ok"
        except redis.exceptions.RedisError as error:
            found["redis"] = f"failed: {error}"
        finally:
            client.close()
    else:
        found["redis"] = "not configured (REDIS_URL unset)"
    return found


@router.get(
    "/ready",
    summary="Readiness: PostgreSQL and Redis answer",
    operation_id="ready",
    responses=problems(503),
)
def ready(request: Request) -> Response:
    found = checks(request)
    if any(result.startswith("failed") for result in found.values()):
        return problem_response(
            503, "not_ready", "a server the API needs does not answer", checks=found
        )
    return json_response({"status": "ready", "checks": found})


@router.get("/live", summary="Liveness: the process serves requests", operation_id="live")
def live() -> dict[str, str]:
    return {"status": "live"}


@router.get("/health", include_in_schema=False)
def health() -> dict[str, str]:
    """The older liveness probe, kept for existing checks."""
    return {"status": "ok"}


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    operation_id="metrics",
    response_class=Response,
    responses={200: {"content": {METRICS_CONTENT_TYPE: {}}}},
)
def get_metrics(request: Request) -> Response:
    container: Any = request.app.state.container
    body = scrape.scraped(
        container.database_url,
        str(container.ledger.recorder.events_table_name),
        container.settings.redis_url,
        container.settings.workers_namespace,
    )
    return Response(body, media_type=METRICS_CONTENT_TYPE)
