"""Identity's SMS leave through the workers' outbox: a request writes its row in the
transaction of the credential and sends nothing itself; the workers (real processes, started
here only when the test says) deliver it, retry a failing gateway, and empty the secret from
the row once it is sent. A repeated grant sends a fresh password."""

from collections.abc import Iterator
from typing import Any
from uuid import uuid4

import pytest

from identity.activations import ActivationLogins
from tests.api.stack import Stack, new_phone, stack_of_its_own
from tests.builders import Pupil, new_uid

REQUEST_RESET = """mutation($u: String!) { requestPasswordReset(input: {username: $u}) {
  userErrors { code } } }"""
RESET = """mutation($u: String!, $code: String!, $new: String!) {
  resetPassword(input: {username: $u, code: $code, newPassword: $new}) { userErrors { code } } }"""
VIEWER = "{ viewer { role } }"


@pytest.fixture
def stack() -> Iterator[Stack]:
    """A stack of its own (a fresh database): no worker runs until `stack.deliver()`."""
    with stack_of_its_own(snapshot_interval=10) as found:
        yield found


def outbox(stack: Stack) -> list[tuple[Any, ...]]:
    return stack.workers.query(
        "SELECT kind, status, address, pickup, body = '' FROM wk_outbox ORDER BY created_at"
    )


def count(stack: Stack, table: str) -> int:
    return int(stack.workers.query(f"SELECT count(*) FROM {table}")[0][0])  # noqa: S608


def parent(stack: Stack) -> tuple[Pupil, str]:
    pupil = stack.school().pupil()
    phone = new_phone()
    stack.identity.grant_parent(pupil.contract_number, pupil.account_id, phone)
    return pupil, phone


def test_a_reset_request_only_writes_the_outbox_for_a_known_login_and_nothing_for_another(
    stack: Stack,
) -> None:
    pupil, phone = parent(stack)
    assert outbox(stack) == [("login_password", "pending", phone, True, False)]

    unknown = stack.client().data(REQUEST_RESET, u="NO-SUCH-CONTRACT")
    assert unknown["requestPasswordReset"] == {"userErrors": []}
    assert outbox(stack) == [("login_password", "pending", phone, True, False)]
    assert count(stack, "identity_reset_codes") == 0

    known = stack.client().data(REQUEST_RESET, u=pupil.contract_number)
    assert known["requestPasswordReset"] == {"userErrors": []}
    assert outbox(stack) == [
        ("login_password", "pending", phone, True, False),
        ("reset_code", "pending", phone, True, False),
    ]
    assert count(stack, "identity_reset_codes") == 1
    # Neither request reached the SMS gateway nor even Redis: no worker has run yet.
    assert stack.sms.requests == []
    assert list(stack.workers.redis.scan_iter(f"{stack.workers.namespace}:*")) == []

    stack.deliver()
    code = stack.code_sent_to(phone)
    reset = stack.client().data(RESET, u=pupil.contract_number, code=code, new="fresh-pass-77")
    assert reset["resetPassword"] == {"userErrors": []}
    assert "accessToken" in stack.client().login(pupil.contract_number, "fresh-pass-77")
    assert [r.status for r in stack.sms.requests] == [201, 201]
    # Sent: the texts (the password, the code) and the phone are gone from the outbox.
    assert outbox(stack) == [
        ("login_password", "sent", None, False, True),
        ("reset_code", "sent", None, False, True),
    ]


def test_a_failing_gateway_is_retried_and_the_password_arrives_exactly_once(
    stack: Stack,
) -> None:
    stack.sms.fail_next(3)
    pupil, phone = parent(stack)

    password = stack.password_sent_to(phone)

    answers = [r for r in stack.sms.requests if r.body["to"] == phone]
    assert [r.status for r in answers] == [503, 503, 503, 201]
    assert len({r.key for r in answers}) == 1  # one message, sent again
    assert stack.sms.to(phone) == [f"Инфошкола: вход {pupil.contract_number}, пароль {password}"]
    assert "accessToken" in stack.client().login(pupil.contract_number, password)
    assert stack.workers.query("SELECT status, attempts, body, address FROM wk_outbox") == [
        ("sent", 4, "", None)
    ]


def test_granting_a_contract_again_sends_a_fresh_password_that_works(stack: Stack) -> None:
    pupil, phone = parent(stack)
    first = stack.password_sent_to(phone)
    session = stack.client()
    assert "accessToken" in session.login(pupil.contract_number, first)

    stack.identity.grant_parent(pupil.contract_number, pupil.account_id, phone)  # the operator
    second = stack.password_sent_to(phone)

    assert second != first
    assert not any("добавлен" in text for text in stack.sms_to(phone))
    assert session.error_code(VIEWER) == "UNAUTHENTICATED"
    assert stack.client().login(pupil.contract_number, first)["code"] == "invalid_credentials"
    assert "accessToken" in stack.client().login(pupil.contract_number, second)


def test_the_same_parent_activating_again_gets_a_fresh_password_once(stack: Stack) -> None:
    world = stack.school()
    pupil = world.pupil(activate=False)
    spare = new_uid()
    stack.ledger.issue_card(pupil.account_id, spare)  # a second card, before the activation
    ref, phone = f"subject:{uuid4()}", new_phone()
    stack.services.people.put(ref, phone=phone)
    logins = ActivationLogins(
        stack.ledger, stack.services.people, stack.identity, stack.database_url
    )
    kiosk = world.terminals["kiosk"]

    stack.ledger.activate_card(pupil.uid, "offer-2026", ref, 10_000, f"R-{uuid4()}", kiosk)
    assert logins.step() == 1
    first = stack.password_sent_to(phone)
    stack.ledger.activate_card(spare, "offer-2026", ref, 10_000, f"R-{uuid4()}", kiosk)
    assert logins.step() == 1
    second = stack.password_sent_to(phone)

    assert second != first
    assert stack.client().login(pupil.contract_number, first)["code"] == "invalid_credentials"
    assert "accessToken" in stack.client().login(pupil.contract_number, second)
    assert len([t for t in stack.sms_to(phone) if "ПИН" in t]) == 1  # the PIN goes once

    # A crash after the grant but before the pending row was removed: the replayed
    # activation changes and sends nothing.
    queued = count(stack, "wk_outbox")
    stack.workers.query(
        "INSERT INTO identity_pending_activations (account_id, notification_id)"
        " SELECT %s, position FROM identity_feeds WHERE name = 'card_activations'"
        " RETURNING account_id",
        pupil.account_id,
    )
    assert logins.step() == 1
    assert count(stack, "wk_outbox") == queued
    assert "accessToken" in stack.client().login(pupil.contract_number, second)
