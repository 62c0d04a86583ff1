"""Hostile and broken requests get a typed 4xx (never a 500) and never cost the client its
keep-alive connection; even an unexpected 500 leaves the connection to the next request."""

from collections.abc import Callable

import httpx
import psycopg
import pytest

from tests.api.stack import Stack
from tests.api.test_request_bodies import deep_variables, error_code
from tests.api.wire import local_port
from tests.builders import meal
from tests.terminals.rig import TerminalWorld, terminal_world

JSON = {"Content-Type": "application/json"}


@pytest.fixture(scope="module")
def school(stack: Stack) -> TerminalWorld:
    return terminal_world(stack.ledger, stack.app.state.terminal_desk, stack.http)


def test_bad_requests_leave_the_keep_alive_connection_to_the_next_one(
    stack: Stack, school: TerminalWorld
) -> None:
    pupil = school.world.pupil(deposit=50_000)
    canteen = school["canteen_pos"]

    def graphql(body: bytes) -> Callable[[], httpx.Response]:
        return lambda: stack.http.post("/graphql", content=body, headers=JSON)

    bad: list[tuple[str, Callable[[], httpx.Response]]] = [
        ("deep variables", graphql(deep_variables(10_000))),
        ("not JSON", graphql(b"{")),
        ("a batch of numbers", graphql(b"[1, 2]")),
        ("a number", graphql(b"1")),
        ("a batch with a numeric query", graphql(b'[{"query": 1}]')),
        ("a list as operation name", graphql(b'{"query": "{ __typename }", "operationName": []}')),
        ("query over GET", lambda: stack.http.get("/graphql", params={"query": "{ __typename }"})),
        ("too large", graphql(b" " * (65 * 1024))),
        ("unsigned tap", lambda: stack.http.post("/terminal/v1/taps", json={"tap_id": "x"})),
        ("tap not JSON", lambda: canteen.send("POST", "/terminal/v1/taps", b"{")),
        ("tap of no card", lambda: canteen.tap("")),
        ("replayed counter", lambda: canteen.tap(pupil.uid, counter=1)),
        ("no such path", lambda: stack.http.get("/terminal/v1/nothing")),
    ]  # fmt: skip
    first = stack.http.get("/health")
    port = local_port(first)
    for name, request in bad:
        answer = request()
        assert 400 <= answer.status_code < 500, (name, answer.status_code, answer.text)
        assert local_port(answer) == port, name
        good = canteen.tap(pupil.uid, items=[meal(100)])
        assert good.status_code == 200, (name, good.text)
        assert local_port(good) == port, f"the connection was dropped after: {name}"


def test_an_unexpected_500_leaves_the_connection_too(stack: Stack, school: TerminalWorld) -> None:
    pupil = school.world.pupil(deposit=50_000)
    canteen = school["canteen_pos"]
    port = local_port(canteen.tap(pupil.uid, items=[meal(100)]))
    with psycopg.connect(stack.database_url, autocommit=True) as conn:
        conn.execute("ALTER TABLE terminal_credentials RENAME TO terminal_credentials_away")
        try:
            failed = canteen.tap(pupil.uid, items=[meal(100)])
        finally:
            conn.execute("ALTER TABLE terminal_credentials_away RENAME TO terminal_credentials")
    assert error_code(failed) == (500, "internal_error")
    assert "terminal_credentials" not in failed.text
    again = canteen.tap(pupil.uid, items=[meal(100)])
    assert again.status_code == 200
    assert local_port(failed) == local_port(again) == port
