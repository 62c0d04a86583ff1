"""`POST /graphql` answered in pure ASGI, ahead of FastAPI's routing.

Parents' and staff's queries are the API's busiest reads, and FastAPI's route matching, its
exit-stack middleware and the dependency solving of strawberry's route (the context, the
sub-response, the background tasks, the root value) were about a tenth of a GraphQL
request's CPU (`docs/BENCHMARKS.md`). `GraphQLRoute` sits innermost among the app's
middlewares, beside the taps' (`terminals_tap.py`), so a query still gets everything they add
(the request id and metrics, the security headers and CORS, the body limit, the typed 500).
It does what the route's dependencies did, in the same order, and then calls strawberry's own
endpoint (`handle_http_post`), so every answer is the endpoint's: the body's checks
(`request_body.py`), strawberry's plain-text refusals, the documents' rules and cost (a
document validated before: only its cost), the errors. An exception the endpoint raises
meets the app's own exception handlers, as routing would have it (`RequestRefusedError` is a
400 problem; the rest reaches `UnexpectedErrors`).
Every other request (a GET, a WebSocket, `/graphql/`) passes to FastAPI untouched; the
FastAPI route stays for those and for the OpenAPI document.
"""

from collections.abc import Mapping
from typing import Any

from fastapi import BackgroundTasks, Response
from fastapi.routing import APIRoute
from starlette._utils import get_route_path
from starlette.middleware.exceptions import ExceptionMiddleware
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from api.graphql.context import get_context
from api.graphql.schema import GRAPHQL_PATH, Router


def post_route(router: Router) -> APIRoute:
    """Strawberry's `POST` route (its endpoint is what answers)."""
    return next(r for r in router.routes if isinstance(r, APIRoute) and r.methods == {"POST"})


class GraphQLRoute:
    def __init__(self, app: ASGIApp, router: Router, exception_handlers: Mapping[Any, Any]) -> None:
        self.app, self.router, self.route = app, router, post_route(router)
        # the handlers FastAPI's routing would meet (500 and `Exception` are the outermost
        # middleware's, not routing's: `FastAPI.build_middleware_stack`)
        handlers = {k: v for k, v in exception_handlers.items() if k not in (500, Exception)}
        self.answer = ExceptionMiddleware(self.endpoint, handlers=handlers)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "POST"
            or get_route_path(scope) != GRAPHQL_PATH
        ):
            await self.app(scope, receive, send)
            return
        # what routing would set: the request metrics read the route
        scope.update(route=self.route, endpoint=self.route.endpoint, path_params={})
        await self.answer(scope, receive, send)

    async def endpoint(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive, send)
        # FastAPI's solved dependencies of the route: one sub-response (no status, no length)
        # and one set of background tasks, shared by the context and the endpoint
        sub_response = Response()
        del sub_response.headers["content-length"]
        sub_response.status_code = None  # type: ignore[assignment]
        tasks = BackgroundTasks()
        context = await self.router.context_getter(
            custom_context=await get_context(request),
            background_tasks=tasks,
            connection=request,
            response=sub_response,
        )
        response: Response = await self.route.endpoint(
            request=request, response=sub_response, context=context, root_value=None
        )
        if response.background is None:
            response.background = tasks
        await response(scope, receive, send)
