"""`POST /graphql` in pure ASGI (`api/graphql_route.py`) answers exactly as FastAPI's routing
of strawberry's route did: the same status, headers and bytes, and the same log lines with
the same request ids, for answers and for every kind of refusal.

Two apps on one database and one configuration (with CORS): the app as `create_app` makes it,
and the same app without `GraphQLRoute`, whose queries FastAPI routes. Each request goes to
both, alternating which one is asked first (throttles and clocks see the same history)."""

import itertools
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson
import pytest
import structlog
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.types import ASGIApp, Receive, Scope, Send

from adapters import metrics
from api.app import close_app, create_app
from api.graphql import request_body
from api.graphql.cost import MAX_COST
from api.graphql.limits import MAX_ALIASES, MAX_DEPTH, MAX_OPERATIONS, MAX_TOKENS
from api.graphql.services import ApiSettings
from api.graphql_route import GraphQLRoute
from app.composition import Container
from app.settings import Settings
from bench.load import BALANCE_AND_STATEMENT
from identity.service import Role
from tests.api.stack import Stack
from tests.builders import meal
from tests.problems import problem_code

ORIGIN = "https://cabinet.example.org"
_ids = itertools.count(1)


@dataclass(frozen=True)
class Seen:
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    logs: list[tuple[str, str, Any]]  # logger, message (durations cut), request id


class Lines(logging.Handler):
    """The log lines of one request, with the request id bound when each was written."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[tuple[str, str, Any]] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith("httpx"):
            return  # the test's client, not the app
        message = re.sub(r" [0-9.]+ms$", "", record.getMessage())
        bound = structlog.contextvars.get_contextvars().get("request_id")
        self.lines.append((record.name, message, bound))


@dataclass
class Pair:
    pure: TestClient
    routed: TestClient
    staff: str  # a school admin's access token
    contract: str  # a contract of that school

    def both(self, method: str, path: str, **kwargs: Any) -> tuple[Seen, Seen]:
        """The answers of both apps, the pure route's first every other time."""
        request_id = f"route-{next(_ids)}"
        order = [self.pure, self.routed]
        if int(request_id.rpartition("-")[2]) % 2:
            order.reverse()
        found = {id(client): ask(client, request_id, method, path, **kwargs) for client in order}
        return found[id(self.pure)], found[id(self.routed)]

    def same(self, method: str, path: str, **kwargs: Any) -> Seen:
        pure, routed = self.both(method, path, **kwargs)
        assert pure == routed
        return pure


def ask(client: TestClient, request_id: str, method: str, path: str, **kwargs: Any) -> Seen:
    headers = {"X-Request-ID": request_id, **kwargs.pop("headers", {})}
    if callable(kwargs.get("content")):  # a stream: one of its own for each app
        kwargs["content"] = kwargs["content"]()
    lines = Lines()
    root = logging.getLogger()
    root.addHandler(lines)
    level = root.level
    root.setLevel(logging.INFO)
    try:
        answer = client.request(method, path, headers=headers, **kwargs)
    finally:
        root.setLevel(level)
        root.removeHandler(lines)
    kept = [(k.lower(), v) for k, v in answer.headers.multi_items() if k.lower() != "date"]
    return Seen(answer.status_code, kept, answer.content, lines.lines)


class Scopes:
    """Outermost: the scope of each request as the app left it (routing adds its keys)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.seen: list[Scope] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)
        self.seen.append(scope)


def without_route(app: FastAPI) -> FastAPI:
    """The app as it was before `GraphQLRoute`: queries routed by FastAPI."""
    assert app.middleware_stack is None  # not built yet: the list is still read
    app.user_middleware = [m for m in app.user_middleware if m.cls is not GraphQLRoute]  # type: ignore[comparison-overlap]
    return app


@pytest.fixture(scope="module")
def pair(stack: Stack) -> Iterator[Pair]:
    world = stack.school()
    pupil = world.pupil(deposit=70_000)
    for price in (9000, 4500):
        world.tap("canteen_pos", pupil.uid, items=[meal(price)])
    stack.project()
    staff = stack.staff(Role.SCHOOL_ADMIN, world.school_id).token
    assert staff is not None
    settings = Settings(
        database_url=stack.database_url,
        var_dir=stack.app.state.container.settings.var_dir,
        cors_origins=[ORIGIN],
    )
    container = Container(settings, stack.database_url, stack.ledger)
    pure = create_app(container, stack.services.settings)
    routed = without_route(create_app(container, stack.services.settings))
    for app in (pure, routed):
        app.add_middleware(Scopes)
    try:
        with TestClient(pure) as a, TestClient(routed) as b:
            yield Pair(a, b, staff, pupil.contract_number)
    finally:
        close_app(pure)
        close_app(routed)


def query(text: str, **variables: Any) -> bytes:
    return orjson.dumps({"query": text, "variables": variables})


JSON = {"Content-Type": "application/json"}


def test_answers_and_errors_of_queries_are_the_same(pair: Pair) -> None:
    bearer = {**JSON, "Authorization": f"Bearer {pair.staff}"}
    mine = query(BALANCE_AND_STATEMENT, c=pair.contract)
    answered = pair.same("POST", "/graphql", content=mine, headers=bearer)
    assert answered.status == 200
    data = orjson.loads(answered.body)["data"]
    assert data["account"]["contractNumber"] == pair.contract
    assert len(data["statement"]["edges"]) == 3  # the activation's top-up and two meals
    # one field: with two, which refusal comes first (and nulls the other) is a race
    forbidden = query("query($c: String!) { account(contractNumber: $c) { regular } }", c="T-0")
    refused = pair.same("POST", "/graphql", content=forbidden, headers=bearer)
    assert orjson.loads(refused.body)["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert any("forbidden" in message for _, message, _ in refused.logs)
    anonymous = pair.same("POST", "/graphql", content=forbidden, headers=JSON)
    assert orjson.loads(anonymous.body)["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    for token in ("nonsense", pair.staff[:-2] + "xx"):  # malformed, forged
        for authorization in (token, f"Bearer {token}"):
            headers = {**JSON, "Authorization": authorization}
            pair.same("POST", "/graphql", content=forbidden, headers=headers)
    # the request's id on every line of it: the answer's line and the errors' lines
    for _, _, bound in refused.logs:
        assert bound == refused.logs[-1][2]
    assert ("x-request-id", refused.logs[-1][2]) in refused.headers
    assert ("infoshkola.api.requests", "POST /graphql 200", refused.logs[-1][2]) in refused.logs


def test_documents_refused_by_the_rules_are_the_same(pair: Pair) -> None:
    deep = "{ viewer " + "{ contracts " * MAX_DEPTH + "{ contractNumber }" + " }" * (MAX_DEPTH + 1)
    aliases = "{ " + " ".join(f"a{n}: __typename" for n in range(MAX_ALIASES + 1)) + " }"
    tokens = "{ " + "__typename " * MAX_TOKENS + "}"
    costly = "{ " + " ".join(
        f"s{n}: statement(contractNumber: \"x\", first: 100) {{ edges {{ node {{ position }} }} }}"
        for n in range(MAX_COST // 100 + 1)
    ) + " }"  # fmt: skip
    documents = [
        "{ __typename }",
        "{ nope }",  # an unknown field (no suggestion in production)
        "{ __typename ",  # a syntax error
        "{ __schema { types { name } } }",  # no introspection in production
        'subscription { accountEvents(contractNumber: "x") { position } }',  # not over POST
        "query A { __typename } query B { __typename }",  # no operation name
        deep,
        aliases,
        tokens,
        costly,
        "{ ...F }",  # an unknown fragment
    ]
    for document in documents:
        pair.same("POST", "/graphql", content=query(document), headers=JSON)
    named = orjson.dumps({"query": documents[5], "operationName": "B"})
    pair.same("POST", "/graphql", content=named, headers=JSON)
    typename = {"query": "{ __typename }"}
    batch = orjson.dumps([typename, {"query": "{ nope }"}])
    assert pair.same("POST", "/graphql", content=batch, headers=JSON).status == 200
    too_many = orjson.dumps([typename] * (MAX_OPERATIONS + 1))
    pair.same("POST", "/graphql", content=too_many, headers=JSON)
    mutation = orjson.dumps({"query": "mutation { logout { userErrors { code } } }"})
    pair.same("POST", "/graphql", content=mutation, headers=JSON)


def test_bodies_refused_before_graphql_are_the_same(pair: Pair) -> None:
    deep = b'{"query": "{ __typename }", "variables": {"v": ' + b'{"a":' * 40 + b"1" + b"}" * 41
    many = orjson.dumps({"query": "{ __typename }", "variables": {"v": [0] * 10_001}})
    bodies = [b"", b"{", b"\xff\xfe", b"NaN", b"1", b"[1, 2]", b"[]", b"{}", b'{"query": 1}',
              b'{"query": "{ __typename }", "variables": []}', deep, many,
              b'{"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "00"}}}',
              b'{"query": "{ __typename }", "variables": {"v": "\\ud800"}}']  # fmt: skip
    for body in bodies:
        pure, routed = pair.both("POST", "/graphql", content=body, headers=JSON)
        assert pure == routed, body
        assert pure.status in (200, 400), body
    assert problem_code(pair.pure.post("/graphql", content=b"{", headers=JSON)) == "invalid_request"
    for headers in (
        {},  # no content type
        {"Content-Type": "text/plain"},
        {"Content-Type": "application/json; charset=latin-1"},
        {"Content-Type": "multipart/form-data; boundary=x"},  # uploads are off
        {**JSON, "Accept": "multipart/mixed"},
        {**JSON, "Accept": "text/html"},
    ):
        pair.same("POST", "/graphql", content=query("{ __typename }"), headers=headers)
    pair.same("POST", "/graphql?query=%7B__typename%7D", content=b"{}", headers=JSON)


def test_bodies_over_the_limit_are_the_same(pair: Pair) -> None:
    limit = ApiSettings().graphql_max_body_anonymous
    big = query("{ __typename }", pad="x" * limit)
    declared = pair.same("POST", "/graphql", content=big, headers=JSON)
    assert declared.status == 413

    def pieces() -> Iterator[bytes]:  # chunked: refused while the body streams in
        yield big[: limit // 2]
        yield big[limit // 2 :]

    pure, routed = pair.both("POST", "/graphql", content=pieces, headers=JSON)
    assert pure == routed
    assert pure.status == 413
    bearer = {**JSON, "Authorization": f"Bearer {pair.staff}"}
    assert pair.same("POST", "/graphql", content=big, headers=bearer).status == 200


def test_cors_and_security_headers_are_the_same(pair: Pair) -> None:
    body = query("{ __typename }")
    allowed = pair.same("POST", "/graphql", content=body, headers={**JSON, "Origin": ORIGIN})
    assert ("access-control-allow-origin", ORIGIN) in allowed.headers
    assert ("x-content-type-options", "nosniff") in allowed.headers
    foreign = {**JSON, "Origin": "https://elsewhere.example.org"}
    pair.same("POST", "/graphql", content=body, headers=foreign)
    preflight = {
        "Origin": ORIGIN,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type",
    }
    pair.same("OPTIONS", "/graphql", headers=preflight)


def test_what_the_route_does_not_take_is_the_same(pair: Pair) -> None:
    """Other methods and paths pass to FastAPI."""
    pair.same("GET", "/graphql?query=%7B__typename%7D")
    pair.same("PUT", "/graphql", content=query("{ __typename }"), headers=JSON)
    slash = pair.same(
        "POST", "/graphql/", content=query("{ __typename }"), headers=JSON, follow_redirects=False
    )
    assert slash.status == 307
    pair.same("POST", "/graphqlx", content=query("{ __typename }"), headers=JSON)


def test_an_unexpected_exception_is_the_same_500(
    pair: Pair, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(data: str | bytes) -> object:
        raise RuntimeError("a fault in the body's checks")

    monkeypatch.setattr(request_body, "decode", broken)
    failed = pair.same("POST", "/graphql", content=query("{ __typename }"), headers=JSON)
    assert failed.status == 500
    assert problem_code(pair.pure.post("/graphql", content=b"{}", headers=JSON)) == "internal_error"
    assert any(name == "infoshkola.api" for name, _, _ in failed.logs)


def scopes(client: TestClient) -> list[Scope]:
    spy = client.app.middleware_stack  # type: ignore[attr-defined]
    while not isinstance(spy, Scopes):
        spy = spy.app
    return spy.seen


def test_queries_skip_fastapi_routing_and_the_rest_does_not(pair: Pair) -> None:
    pair.same("POST", "/graphql", content=query("{ __typename }"), headers=JSON)
    pure, routed = scopes(pair.pure)[-1], scopes(pair.routed)[-1]
    assert "fastapi_inner_astack" not in pure  # FastAPI's request handler never ran
    assert "fastapi_inner_astack" in routed
    assert pure["route"].path == routed["route"].path == "/graphql"
    assert pure["endpoint"].__qualname__ == routed["endpoint"].__qualname__
    pair.same("GET", "/graphql?query=%7B__typename%7D")
    assert "fastapi_inner_astack" in scopes(pair.pure)[-1]


def test_the_request_metrics_name_the_route(pair: Pair) -> None:
    before = metrics.HTTP_REQUESTS.labels("POST", "/graphql", "200")._value.get()
    pair.pure.post("/graphql", content=query("{ __typename }"), headers=JSON)
    after = metrics.HTTP_REQUESTS.labels("POST", "/graphql", "200")._value.get()
    assert after == before + 1
