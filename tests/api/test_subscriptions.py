"""accountEvents over graphql-transport-ws: live taps, passes and top-ups, for allowed viewers."""

import json
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect
from websockets.sync.connection import Connection
from websockets.typing import Subprotocol

from api.graphql.permissions import RULES
from domain.kinds import Channel, TerminalKind
from identity.service import Role
from tests.api.stack import Stack
from tests.api.test_authorization import Objects, clients
from tests.builders import meal

EVENTS = """subscription($c: String!, $after: Position) { accountEvents(contractNumber: $c,
  after: $after) { position kind at amount regularAfter terminalKind reason } }"""


@contextmanager
def socket(stack: Stack, token: str | None) -> Iterator[Connection]:
    url = stack.url.replace("http://", "ws://") + "/graphql"
    with connect(url, subprotocols=[Subprotocol("graphql-transport-ws")], open_timeout=10) as ws:
        payload = {"authorization": f"Bearer {token}"} if token else {}
        ws.send(json.dumps({"type": "connection_init", "payload": payload}))
        assert json.loads(ws.recv(timeout=10))["type"] == "connection_ack"
        yield ws


def receive(ws: Connection, timeout: float = 15) -> dict[str, Any]:
    while True:
        message: dict[str, Any] = json.loads(ws.recv(timeout=timeout))
        if message["type"] != "ping":
            return message
        ws.send(json.dumps({"type": "pong"}))


def subscribe(ws: Connection, contract: str, after: int | None = None) -> None:
    """Subscribe; with `after`, money movements recorded after that position come, however
    late the server's feed starts (nothing is lost to the race with the test's writes)."""
    variables = {"c": contract, "after": str(after) if after is not None else None}
    ws.send(json.dumps({
        "id": "1", "type": "subscribe", "payload": {"query": EVENTS, "variables": variables},
    }))  # fmt: skip


def test_a_parent_receives_taps_passes_and_top_ups_live(stack: Stack) -> None:
    world = stack.school()
    family = stack.family(world)
    stack.project()
    with socket(stack, family.client.token) as ws:
        subscribe(ws, family.contract, after=stack.ledger.recorder.max_notification_id())
        stack.ledger.top_up(family.pupil.account_id, 20_000, Channel.SBP, "sbp-live-1")
        world.tap(TerminalKind.CANTEEN_POS, family.pupil.uid, items=[meal()])
        stack.project()
        got = [receive(ws) for _ in range(2)]
        # The feed is running now (it sent data), so a pass from here on is news to it.
        world.tap(TerminalKind.TURNSTILE, family.pupil.uid, direction="in")
        stack.project()
        got.append(receive(ws))
        assert {m["type"] for m in got} == {"next"}
        events = [m["payload"]["data"]["accountEvents"] for m in got]
        assert [e["kind"] for e in events] == ["TOP_UP", "PURCHASE_APPROVED", "PASS_IN"]
        assert events[0]["amount"] == "20000"
        assert events[0]["regularAfter"] == "70000"
        assert events[1]["amount"] == "-9000"
        assert events[1]["terminalKind"] == "CANTEEN_POS"
        assert events[1]["regularAfter"] == "61000"
        world.tap(TerminalKind.VENDING, family.pupil.uid, items=[meal(price=900_000)])
        stack.project()
        declined = receive(ws)["payload"]["data"]["accountEvents"]
        assert declined["kind"] == "PURCHASE_DECLINED"
        assert declined["amount"] == "900000"


def test_logout_ends_the_live_feed(stack: Stack) -> None:
    family = stack.family(stack.school())
    stack.project()
    with socket(stack, family.client.token) as ws:
        subscribe(ws, family.contract, after=stack.ledger.recorder.max_notification_id())
        stack.ledger.top_up(family.pupil.account_id, 10_000, Channel.SBP, "sbp-before-logout")
        stack.project()
        assert receive(ws)["type"] == "next"  # the feed is running (not still being set up)
        family.client.data("mutation { logout(input: {}) { endedSessions } }")
        assert receive(ws) == {"id": "1", "type": "complete"}


def test_a_foreign_or_anonymous_viewer_gets_no_feed(stack: Stack) -> None:
    family = stack.family(stack.school())
    other = stack.family(stack.school())
    stack.project()
    with socket(stack, other.client.token) as ws:
        subscribe(ws, family.contract)
        assert refusal(ws) == "FORBIDDEN"
    with socket(stack, None) as ws:
        subscribe(ws, family.contract)
        assert refusal(ws) == "UNAUTHENTICATED"


def refusal(ws: Connection) -> str:
    """The error code of a refused subscription, and that no data came with it."""
    message = receive(ws)
    assert message["type"] == "next", message
    assert message["payload"]["data"] is None
    code = str(message["payload"]["errors"][0]["extensions"]["code"])
    assert receive(ws) == {"id": "1", "type": "complete"}
    return code


def test_the_legacy_graphql_ws_protocol_is_refused(stack: Stack) -> None:
    url = stack.url.replace("http://", "ws://") + "/graphql"
    with (
        connect(url, subprotocols=[Subprotocol("graphql-ws")], open_timeout=10) as ws,
        pytest.raises(ConnectionClosed) as closed,
    ):
        ws.recv(timeout=10)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4406


def test_the_live_feed_follows_the_role_matrix(stack: Stack) -> None:
    world = stack.school()
    pupil = world.pupil()
    stack.project()
    objects = Objects(world, pupil.contract_number, pupil.uid, "")
    roles = clients(stack, objects)
    allowed = {r for r in roles if r in RULES["Subscription.accountEvents"].roles}
    assert allowed == set(roles) - {Role.CANTEEN_OPERATOR}
    with ExitStack() as sockets:
        opened = {role: sockets.enter_context(socket(stack, c.token)) for role, c in roles.items()}
        head = stack.ledger.recorder.max_notification_id()
        for ws in opened.values():
            subscribe(ws, pupil.contract_number, after=head)
        assert refusal(opened[Role.CANTEEN_OPERATOR]) == "FORBIDDEN"
        stack.ledger.top_up(pupil.account_id, 1_000, Channel.SBP, f"sbp-{pupil.uid}")
        stack.project()
        for role in allowed:
            event = receive(opened[role])["payload"]["data"]["accountEvents"]
            assert (event["kind"], event["amount"]) == ("TOP_UP", "1000"), role
