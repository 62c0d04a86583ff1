"""The HTTP application factory: one FastAPI app, routers mounted here, nothing at import.

`create_app(container)` takes the composition root's `Container`; GraphQL (parents, staff,
auditors) is mounted at /graphql beside the terminal ingestion routes, the browser pages
(`web.py`: cabinet, till, kiosk, admin, Swagger UI) beside them; /metrics, /ready and
/live serve operators (`observability.py`). Outermost, before any route: the request id and
request metrics (`observability.RequestContext`), the security headers and CORS
(`headers.py`), the body limits (`body_limit.py`), then `UnexpectedErrors`, then a tap's
and a GraphQL query's own pure ASGI routes (`terminals_tap.py`, `graphql_route.py`) ahead of
FastAPI's routing.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from adapters.blobs import BlobStore
from adapters.people import PeopleStore
from adapters.terminal_auth import TerminalSecrets
from api import acquiring_webhook, observability, staff_photos, terminals
from api.body_limit import BodyLimit, BodyLimits
from api.errors import UnexpectedErrors, install_error_handlers
from api.graphql.schema import graphql_router
from api.graphql.services import ApiSettings, Services
from api.graphql_route import GraphQLRoute
from api.headers import SecurityHeaders, allow_origins
from api.terminal_desk import TerminalDesk
from api.terminal_schemas import add_request_schemas, problems
from api.terminals_tap import TapRoute, tap_route
from api.web import install_web
from app.composition import Container
from identity.kiosk_pins import KioskPins
from identity.service import Identity
from privacy.office import build_office

SIGNING = """Terminals sign every request: `X-Terminal-Id`, `X-Counter` (strictly increasing per
terminal) and `X-Signature` = hex HMAC-SHA256(secret, canonical), where canonical is
`f"{terminal_id}\\n{counter}\\n{METHOD}\\n{path}\\n".encode() + raw_body` (GET: the path
includes its query string). Every error is RFC 9457 problem details
(`application/problem+json`) whose `code` names it; see each operation's responses."""

TAGS = [
    {"name": "terminals", "description": "Signed ingestion from the school's terminals: taps, "
     "offline batches, the deny list, pupils' photos and the kiosk."},
    {"name": "staff", "description": "Staff screens, with a GraphQL login's bearer token."},
    {"name": "graphql", "description": "Parents, staff and auditors: one GraphQL endpoint "
     "(bearer token from the `login` mutation); errors of a valid request are in `errors`."},
    {"name": "operations", "description": "Probes and metrics for the operator: /ready checks "
     "PostgreSQL and Redis, /live the process, /metrics is Prometheus' text format."},
]  # fmt: skip


def truthful(openapi: dict[str, Any]) -> dict[str, Any]:
    """What the server really answers: no FastAPI `422` (a bad request is a `400` problem),
    and the signature's three headers required together (FastAPI lists each security
    dependency as an alternative; OpenAPI reads a list of requirements as "any one of")."""
    for operations in openapi.get("paths", {}).values():
        for operation in operations.values():
            operation.get("responses", {}).pop("422", None)
            if len(operation.get("security", [])) > 1:
                operation["security"] = [
                    {
                        name: scopes
                        for each in operation["security"]
                        for name, scopes in each.items()
                    }
                ]
    graphql = openapi.get("paths", {}).get("/graphql", {}).get("post")
    if graphql is not None:  # strawberry's route: named and described here
        graphql.update(
            operationId="graphql",
            summary="GraphQL queries and mutations (parents, staff, auditors); see schema.graphql",
            tags=["graphql"],
        )
        graphql["responses"].update(problems(400, 413, 500))
    schemas = openapi.get("components", {}).get("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    return add_request_schemas(openapi)


def terminal_desk(container: Container) -> TerminalDesk:
    settings = container.settings
    people = getattr(container, "people", None) or PeopleStore(container.database_url)
    return TerminalDesk(
        ledger=container.ledger,
        secrets=TerminalSecrets(container.database_url),
        people=people,
        blobs=BlobStore(settings.blob_dir or settings.var_dir / "blobs", container.database_url),
        offline_cap=settings.offline_cap,
    )


def body_limits(settings: ApiSettings, identity: Identity) -> BodyLimits:
    return BodyLimits(
        terminal=settings.terminal_max_body,
        graphql_anonymous=settings.graphql_max_body_anonymous,
        graphql=settings.graphql_max_body,
        signed_in=identity.signed_in,
    )


def close_app(app: FastAPI) -> None:
    """Release what `create_app` opened (pools, connections); idempotent."""
    app.state.graphql_services.close()
    app.state.terminal_desk.close()


def create_app(container: Container, api_settings: ApiSettings | None = None) -> FastAPI:
    desk = terminal_desk(container)
    desk.create_tables()
    api_settings = api_settings or ApiSettings.from_env()
    desk.privacy = build_office(
        container.ledger, container.database_url, desk.blobs.root, container.settings.var_dir,
        people=desk.people,
    )  # fmt: skip
    desk.kiosk.privacy = desk.privacy
    services = Services(
        container.ledger, container.database_url, api_settings, desk.people, desk.privacy
    )
    services.create_tables()
    desk.kiosk.pins = KioskPins(services.identity)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        close_app(app)

    app = FastAPI(
        title="Infoshkola",
        version="1",
        summary="School card: terminal ingestion; GraphQL at /graphql",
        description=SIGNING,
        lifespan=lifespan,
        openapi_tags=TAGS,
        docs_url=None,  # Swagger UI from local assets (api/web.py), never a CDN
        redoc_url=None,
        # no OpenTelemetry here (metrics are Prometheus'): FastAPI's own would otherwise
        # look up the global providers on every request
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.container = container
    app.state.terminal_desk = desk
    install_error_handlers(app)
    app.include_router(terminals.router)
    app.include_router(staff_photos.router)
    app.include_router(observability.router)
    app.include_router(acquiring_webhook.router)
    app.state.graphql_services = services
    graphql = graphql_router(api_settings.development, api_settings.max_query_cost)
    app.include_router(graphql)
    install_web(app, api_settings.development)
    # innermost: queries and taps skip FastAPI's routing
    app.add_middleware(GraphQLRoute, router=graphql, exception_handlers=app.exception_handlers)
    app.add_middleware(TapRoute, desk=desk, route=tap_route())
    app.add_middleware(UnexpectedErrors)
    app.add_middleware(BodyLimit, limits=body_limits(api_settings, services.identity))
    allow_origins(app, container.settings.cors_origins)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(observability.RequestContext)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = truthful(FastAPI.openapi(app))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
