"""The kiosk PIN before the balance or a duplicate card, with a lockout after wrong tries;
cash deposits by contract number, without a card on the reader."""

from typing import Any

import pytest

from identity.kiosk_pins import ATTEMPTS
from tests.builders import new_uid
from tests.problems import problem_code
from tests.terminals.rig import TerminalWorld

BALANCES = "/terminal/v1/kiosk/balances"
DEPOSITS = "/terminal/v1/kiosk/deposits"
DUPLICATES = "/terminal/v1/kiosk/duplicates"


def refusal(school: TerminalWorld, path: str, body: dict[str, Any]) -> tuple[int, str]:
    answer = school["kiosk"].post(path, body)
    return answer.status_code, problem_code(answer)


def test_the_balance_after_the_right_pin_by_card_or_by_contract(school: TerminalWorld) -> None:
    pupil = school.world.pupil(deposit=25_000)
    school.pin(pupil.account_id, "0421")

    by_card = school["kiosk"].post(BALANCES, {"card_uid": pupil.uid, "pin": "0421"})
    by_number = school["kiosk"].post(
        BALANCES, {"contract_number": pupil.contract_number, "pin": "0421"}
    )

    assert by_card.status_code == 200, by_card.text
    receipt = by_card.json()["receipt"]
    assert (receipt["operation"], receipt["contract_number"]) == ("balance", pupil.contract_number)
    assert (receipt["regular"], receipt["subsidised"], receipt["spent_today"]) == (25_000, 0, 0)
    assert by_number.json()["receipt"] == receipt


def test_a_wrong_pin_records_nothing_and_five_lock_the_kiosk_out(school: TerminalWorld) -> None:
    pupil = school.world.pupil(deposit=20_000)
    school.ledger.block_card(pupil.account_id, pupil.uid, "lost")
    school.pin(pupil.account_id, "0421")
    before = school.ledger.recorder.max_notification_id()
    order = {"contract_number": pupil.contract_number, "new_card_uid": new_uid()}

    for _ in range(ATTEMPTS):
        assert refusal(school, DUPLICATES, {**order, "pin": "9999"}) == (403, "wrong_pin")
    # locked: even the right PIN is refused now, for the balance too
    assert refusal(school, DUPLICATES, {**order, "pin": "0421"}) == (429, "pin_locked")
    balance = {"card_uid": pupil.uid, "pin": "0421"}
    assert refusal(school, BALANCES, balance) == (429, "pin_locked")
    assert school.ledger.recorder.max_notification_id() == before
    assert school.account(pupil.account_id).regular == 20_000

    school.pin(pupil.account_id, "1357")  # the parent sets a new one: the lock is lifted
    ordered = school["kiosk"].post(DUPLICATES, {**order, "pin": "1357"})
    assert ordered.status_code == 200, ordered.text
    assert school.account(pupil.account_id).regular == 15_000


def test_a_right_pin_forgets_the_wrong_tries(school: TerminalWorld) -> None:
    pupil = school.world.pupil()
    school.pin(pupil.account_id, "0421")
    wrong, right = {"card_uid": pupil.uid, "pin": "1111"}, {"card_uid": pupil.uid, "pin": "0421"}
    for _ in range(ATTEMPTS - 1):
        assert refusal(school, BALANCES, wrong)[1] == "wrong_pin"
    assert school["kiosk"].post(BALANCES, right).status_code == 200
    for _ in range(ATTEMPTS - 1):
        assert refusal(school, BALANCES, wrong)[1] == "wrong_pin"
    assert school["kiosk"].post(BALANCES, right).status_code == 200


@pytest.mark.parametrize(
    ("body", "expected"),
    [({"pin": "12a4"}, (400, "invalid_pin")), ({"pin": "12345"}, (400, "invalid_pin")),
     ({}, (400, "invalid_command")), ({"pin": 1234}, (400, "invalid_pin"))],
)  # fmt: skip
def test_a_malformed_pin_is_a_bad_request(
    school: TerminalWorld, body: dict[str, Any], expected: tuple[int, str]
) -> None:
    pupil = school.world.pupil()
    school.pin(pupil.account_id, "0421")
    assert refusal(school, BALANCES, {"card_uid": pupil.uid, **body}) == expected


def test_no_pin_yet_is_its_own_refusal(school: TerminalWorld) -> None:
    pupil = school.world.pupil()
    assert refusal(school, BALANCES, {"card_uid": pupil.uid, "pin": "0000"}) == (
        403, "pin_not_set",
    )  # fmt: skip


def test_a_deposit_by_contract_number_credits_that_contract_once(school: TerminalWorld) -> None:
    pupil = school.world.pupil(deposit=10_000)
    body = {"contract_number": f" {pupil.contract_number} ", "amount": 30_000,
            "receipt_id": "R-100"}  # fmt: skip

    first = school["kiosk"].post(DEPOSITS, body)
    again = school["kiosk"].post(DEPOSITS, body)

    assert first.status_code == 200, first.text
    receipt = first.json()["receipt"]
    assert (receipt["contract_number"], receipt["amount"], receipt["regular_after"]) == (
        pupil.contract_number, 30_000, 40_000,
    )  # fmt: skip
    assert again.json()["replayed"] is True
    assert school.account(pupil.account_id).regular == 40_000


@pytest.mark.parametrize(
    ("fields", "expected"),
    [({}, (400, "invalid_command")),
     ({"card_uid": "04A1B2C3D4E5F6", "contract_number": "X"}, (400, "invalid_command")),
     ({"contract_number": "NO-SUCH-CONTRACT"}, (404, "unknown_contract"))],
)  # fmt: skip
def test_a_deposit_names_exactly_one_known_contract(
    school: TerminalWorld, fields: dict[str, Any], expected: tuple[int, str]
) -> None:
    body = {"amount": 5_000, "receipt_id": "R-200", **fields}
    assert refusal(school, DEPOSITS, body) == expected


def test_another_schools_contract_is_refused(
    school: TerminalWorld, other_school: TerminalWorld
) -> None:
    pupil = other_school.world.pupil(deposit=10_000)
    body = {"contract_number": pupil.contract_number, "amount": 5_000, "receipt_id": "R-300"}
    assert refusal(school, DEPOSITS, body) == (403, "foreign_school")
    assert other_school.account(pupil.account_id).regular == 10_000
