"""The schema and its router: `build_schema(development)` and `graphql_router(...)`.

`schema.graphql` at the repository root is this schema's SDL (`python -m
api.graphql.schema > schema.graphql`); a test fails when it is stale.
"""

from typing import Any

import orjson
import strawberry
from fastapi import Request
from fastapi.responses import HTMLResponse
from graphql import GraphQLError
from strawberry.fastapi import GraphQLRouter
from strawberry.schema.config import StrawberryConfig
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types import ExecutionContext

from api import web
from api.graphql import request_body
from api.graphql.account_mutations import AccountMutation
from api.graphql.auth import IdentityMutation
from api.graphql.autopay import AutopayMutation, AutopayQuery
from api.graphql.casework import CaseworkMutation, CaseworkQuery
from api.graphql.casework_queues import CaseworkQueueMutation, CaseworkQueueQuery
from api.graphql.charges import ChargesQuery
from api.graphql.context import Context, get_context
from api.graphql.cost import MAX_COST
from api.graphql.kiosk_pin import KioskPinMutation
from api.graphql.limits import MAX_OPERATIONS, extensions, hide_suggestions, log_errors
from api.graphql.mutations import SchoolMutation
from api.graphql.notify import NotifyMutation, NotifyQuery
from api.graphql.parent_casework import ParentCaseworkQuery
from api.graphql.plan import PlanMutation, PlanQuery
from api.graphql.privacy import PrivacyMutation, PrivacyQuery
from api.graphql.protection import ProtectionMutation, ProtectionQuery
from api.graphql.queries import Query
from api.graphql.reports import ReportsQuery
from api.graphql.scalars import SCALARS
from api.graphql.school_admin import SchoolAdminMutation, SchoolAdminQuery
from api.graphql.subscriptions import Subscription
from api.graphql.topups import TopUpMutation, TopUpQuery
from api.graphql.transfers import TransferMutation
from api.graphql.web_push import WebPushMutation, WebPushQuery


@strawberry.type(name="Query", description="What may be read: read models only.")
class RootQuery(
    Query,
    CaseworkQuery,
    SchoolAdminQuery,
    CaseworkQueueQuery,
    ReportsQuery,
    PrivacyQuery,
    TopUpQuery,
    AutopayQuery,
    NotifyQuery,
    ProtectionQuery,
    WebPushQuery,
    ParentCaseworkQuery,
    ChargesQuery,
    PlanQuery,
):
    pass


@strawberry.type(description="What may be done: each a command recorded in the ledger.")
class Mutation(
    IdentityMutation,
    AccountMutation,
    CaseworkMutation,
    SchoolMutation,
    SchoolAdminMutation,
    CaseworkQueueMutation,
    PrivacyMutation,
    TopUpMutation,
    AutopayMutation,
    NotifyMutation,
    ProtectionMutation,
    WebPushMutation,
    KioskPinMutation,
    PlanMutation,
    TransferMutation,
):
    pass


class Schema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        if self.config.disable_field_suggestions:  # production: no suggestion of any kind
            hide_suggestions(errors)
        log_errors(errors)


def build_schema(development: bool = False, max_cost: int = MAX_COST) -> strawberry.Schema:
    exts: list[Any] = extensions(development, max_cost)
    return Schema(
        query=RootQuery,
        mutation=Mutation,
        subscription=Subscription,
        extensions=exts,
        config=StrawberryConfig(
            scalar_map=SCALARS,
            disable_field_suggestions=not development,
            batching_config={"max_operations": MAX_OPERATIONS},
        ),
    )


class Router(GraphQLRouter[Context, None]):
    def parse_json(self, data: str | bytes) -> Any:
        """An HTTP body: its shape and its variables' depth and size checked."""
        return request_body.decode(data)

    async def render_graphql_ide(self, request: Request) -> HTMLResponse:
        """GraphiQL from the front end's build, not strawberry's page (which uses a CDN)."""
        return web.graphiql_page()

    def decode_json(self, data: str | bytes) -> object:
        """A WebSocket message: too deep for orjson is invalid JSON (close 4400)."""
        return orjson.loads(data)


GRAPHQL_PATH = "/graphql"


def graphql_router(development: bool, max_cost: int = MAX_COST) -> Router:
    """The routes of `GRAPHQL_PATH` (a POST is answered by `api/graphql_route.py`). The path is
    the routes' own, not an `include_router` prefix: FastAPI keeps a prefix out of a route's
    `path`, which the request metrics name it by."""
    return Router(
        build_schema(development, max_cost),
        path=GRAPHQL_PATH,
        context_getter=get_context,
        graphql_ide="graphiql" if development else None,
        allow_queries_via_get=False,
        subscription_protocols=[GRAPHQL_TRANSPORT_WS_PROTOCOL],
    )


def sdl() -> str:
    return build_schema(development=True).as_str() + "\n"


if __name__ == "__main__":
    print(sdl(), end="")
