"""Bodies are limited while they stream in: the 413 comes before the body has ended, before any
signature check, and the connection then serves the next request."""

from collections.abc import Iterator
from typing import Any

import orjson
import pytest

from adapters.postgres import eventsourcing_env
from adapters.terminal_auth import signed_headers
from domain.ledger import Ledger
from tests.api.stack import Stack, running_stack
from tests.api.wire import Wire
from tests.builders import meal
from tests.problems import problem, problem_code
from tests.terminals.rig import SignedTerminal, TerminalWorld, tap, terminal_world

KIB = 1024
LIMITS: dict[str, Any] = {
    "terminal_max_body": 16 * KIB,
    "graphql_max_body_anonymous": 4 * KIB,
    "graphql_max_body": 32 * KIB,
}


@pytest.fixture(scope="module")
def small(database_url: str) -> Iterator[Stack]:
    ledger = Ledger(eventsourcing_env(database_url))
    with running_stack(ledger, database_url, **LIMITS) as found:
        yield found
    ledger.close()


@pytest.fixture
def school(small: Stack) -> TerminalWorld:
    return terminal_world(small.ledger, small.app.state.terminal_desk, small.http)


@pytest.fixture
def wire(small: Stack) -> Iterator[Wire]:
    found = Wire(small.url)
    yield found
    found.close()


def signed(terminal: SignedTerminal, path: str, body: bytes) -> dict[str, str]:
    terminal.counter += 1
    found = signed_headers(
        terminal.secret, str(terminal.terminal_id), terminal.counter, "POST", path, body
    )
    return {**found, "Content-Type": "application/json"}


def valid_tap(school: TerminalWorld, wire: Wire) -> dict[str, object]:
    pupil = school.world.pupil(deposit=50_000)
    body = orjson.dumps(tap(pupil.uid, items=[meal(9000)]))
    canteen = school["canteen_pos"]
    answer = wire.request(
        "POST", "/terminal/v1/taps", body, signed(canteen, "/terminal/v1/taps", body)
    )
    assert answer.status == 200, answer.body
    found: dict[str, object] = orjson.loads(answer.body)
    return found


def test_a_chunked_terminal_body_is_refused_before_it_ends_and_the_connection_goes_on(
    school: TerminalWorld, wire: Wire
) -> None:
    path = "/terminal/v1/taps/batch"
    headers = signed(school["canteen_pos"], path, b"not what is sent")  # never checked
    wire.head("POST", path, {**headers, "Transfer-Encoding": "chunked"})
    for _ in range(17):  # 17 KiB of a body that has not ended
        wire.chunk(b" " * KIB)

    refused = wire.answer()

    assert (refused.status, refused.error_code()) == (413, "body_too_large")
    assert "16384 bytes" in problem(refused)["detail"]
    wire.chunk(b" " * KIB)
    wire.end_chunks()
    assert valid_tap(school, wire)["outcome"] == "approved"  # same connection


def test_a_declared_terminal_length_over_the_limit_is_refused_without_reading_it(
    school: TerminalWorld, wire: Wire, small: Stack
) -> None:
    path = "/terminal/v1/taps"
    headers = signed(school["canteen_pos"], path, b"")
    wire.head("POST", path, {**headers, "Content-Length": str(200 * KIB * KIB)})  # nothing sent

    refused = wire.answer()

    assert (refused.status, refused.error_code()) == (413, "body_too_large")
    assert small.http.get("/health").json() == {"status": "ok"}


def test_a_terminal_body_within_the_limit_is_served(school: TerminalWorld, wire: Wire) -> None:
    pupil = school.world.pupil(deposit=50_000)
    taps = {"taps": [tap(pupil.uid, items=[meal(100)]) for _ in range(40)]}
    body = orjson.dumps(taps)
    assert 8 * KIB < len(body) <= 16 * KIB
    path = "/terminal/v1/taps/batch"
    answer = wire.request("POST", path, body, signed(school["canteen_pos"], path, body))
    assert answer.status == 200, answer.body
    assert len(orjson.loads(answer.body)["results"]) == 40


def graphql_body(size: int) -> bytes:
    """A valid request of exactly `size` bytes (the query padded with spaces)."""
    empty = orjson.dumps({"query": "{ viewer { role } }"})
    pad = size - len(empty)
    return orjson.dumps({"query": "{ viewer { role } }" + " " * pad})


def test_an_anonymous_chunked_graphql_body_is_refused_before_it_ends(
    wire: Wire, small: Stack
) -> None:
    wire.head(
        "POST", "/graphql", {"Content-Type": "application/json", "Transfer-Encoding": "chunked"}
    )
    for _ in range(5):
        wire.chunk(b" " * KIB)

    refused = wire.answer()

    assert (refused.status, refused.error_code()) == (413, "body_too_large")
    wire.end_chunks()
    answer = wire.request("GET", "/health")
    assert (answer.status, orjson.loads(answer.body)) == (200, {"status": "ok"})


def test_a_signed_in_caller_may_send_more_than_an_anonymous_one(small: Stack) -> None:
    family = small.family(small.school())
    body = graphql_body(8 * KIB)
    json = {"Content-Type": "application/json"}
    assert small.http.post("/graphql", content=body, headers=json).status_code == 413
    forged = {**json, "Authorization": "Bearer not.a.token"}
    assert small.http.post("/graphql", content=body, headers=forged).status_code == 413
    bearer = {**json, "Authorization": f"Bearer {family.client.token}"}
    served = small.http.post("/graphql", content=body, headers=bearer)
    assert served.status_code == 200
    assert served.json()["data"]["viewer"]["role"] == "PARENT"
    too_much = small.http.post("/graphql", content=graphql_body(33 * KIB), headers=bearer)
    assert too_much.status_code == 413
    assert problem_code(too_much) == "body_too_large"
