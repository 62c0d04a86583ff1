"""A GraphQL request body over HTTP is one shape, with variables of bounded depth and size:
anything else is a typed 400, never a 500 (a `RecursionError` before)."""

import json

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect
from websockets.typing import Subprotocol

from api.graphql.request_body import MAX_VARIABLES_DEPTH, MAX_VARIABLES_VALUES
from tests.api.stack import Stack
from tests.problems import problem, problem_code

JSON = {"Content-Type": "application/json"}
TYPENAME = {"data": {"__typename": "Query"}}


def nest(depth: int) -> bytes:
    """`depth` objects one in another, written by hand (Python's json would recurse)."""
    return b'{"a":' * depth + b"1" + b"}" * depth


def deep_variables(depth: int) -> bytes:
    """A request whose variables are `depth + 1` levels deep (the variables object counts)."""
    return b'{"query": "{ __typename }", "variables": {"v": ' + nest(depth) + b"}}"


def error_code(response: httpx.Response) -> tuple[int, str]:
    return response.status_code, str(problem_code(response))


def test_variables_nested_ten_thousand_deep_are_a_400_with_a_code(stack: Stack) -> None:
    deep = stack.http.post("/graphql", content=deep_variables(10_000), headers=JSON)
    assert error_code(deep) == (400, "variables_too_deep")
    over = stack.http.post("/graphql", content=deep_variables(MAX_VARIABLES_DEPTH), headers=JSON)
    assert error_code(over) == (400, "variables_too_deep")
    within = deep_variables(MAX_VARIABLES_DEPTH - 1)
    assert stack.http.post("/graphql", content=within, headers=JSON).json() == TYPENAME
    batch = b'[{"query": "{ __typename }"}, ' + deep_variables(40) + b"]"
    assert error_code(stack.http.post("/graphql", content=batch, headers=JSON)) == (
        400,
        "variables_too_deep",
    )


def test_variables_with_too_many_values_are_a_400_with_a_code(stack: Stack) -> None:
    many = {"query": "{ __typename }", "variables": {"v": [0] * MAX_VARIABLES_VALUES}}
    refused = stack.http.post("/graphql", json=many)
    assert error_code(refused) == (400, "variables_too_large")
    fewer = {"query": "{ __typename }", "variables": {"v": [0] * (MAX_VARIABLES_VALUES - 2)}}
    assert stack.http.post("/graphql", json=fewer).json() == TYPENAME


def test_a_body_that_is_no_graphql_request_is_a_400_with_a_code(stack: Stack) -> None:
    for body in (b"1", b"[1, 2]", b'[{"query": 1}]', b'{"query": "{ a }", "operationName": []}'):
        answer = stack.http.post("/graphql", content=body, headers=JSON)
        assert error_code(answer) == (400, "invalid_request"), body


def test_a_body_that_is_no_json_is_a_400_with_a_code_in_json(stack: Stack) -> None:
    lone_surrogate = b'{"query": "{ __typename }", "variables": {"v": "\\ud800"}}'
    for body in (b"", b"{", b"\xff\xfe", b"NaN", lone_surrogate):
        answer = stack.http.post("/graphql", content=body, headers=JSON)
        assert error_code(answer) == (400, "invalid_request"), body
        assert problem(answer)["detail"] == "the body is not JSON"


def test_a_websocket_message_nested_too_deep_closes_the_socket_as_invalid_json(
    stack: Stack,
) -> None:
    url = stack.url.replace("http://", "ws://") + "/graphql"
    with connect(url, subprotocols=[Subprotocol("graphql-transport-ws")], open_timeout=10) as ws:
        ws.send(json.dumps({"type": "connection_init", "payload": {}}))
        assert json.loads(ws.recv(timeout=10))["type"] == "connection_ack"
        deep = b'{"type": "subscribe", "id": "1", "payload": ' + nest(10_000) + b"}"
        ws.send(deep.decode())  # a text frame, as the protocol wants
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=10)
    assert closed.value.rcvd is not None
    assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (
        4400,
        "WebSocket message must be valid JSON",
    )
    assert stack.http.get("/health").json() == {"status": "ok"}


def test_a_subscription_over_plain_http_is_refused_with_a_code(stack: Stack) -> None:
    family = stack.family(stack.school())
    query = "subscription($c: String!) { accountEvents(contractNumber: $c) { kind } }"
    body = family.client.gql(query, c=family.contract)
    assert body.get("data") is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["BAD_REQUEST"]
    assert "WebSocket" in body["errors"][0]["message"]
