"""Kiosk flows: activation with the offer and a parent phone, cash deposits, duplicates."""

from uuid import uuid4

from domain.kinds import CardState
from tests.builders import new_uid
from tests.problems import problem_code
from tests.terminals.rig import TerminalWorld

ACTIVATIONS = "/terminal/v1/kiosk/activations"
DEPOSITS = "/terminal/v1/kiosk/deposits"
DUPLICATES = "/terminal/v1/kiosk/duplicates"


def activation(uid: str, deposit: int = 10_000, **fields: object) -> dict[str, object]:
    return {"card_uid": uid, "offer_version": "offer-2026", "consent_version": "pd-2026-01",
            "parent_phone": "+7 913 000-00-01",
            "deposit": deposit, "receipt_id": f"R-{uuid4().hex[:8]}", **fields}  # fmt: skip


def test_activation_accepts_the_offer_keeps_the_phone_aside_and_prints_a_receipt(
    school: TerminalWorld,
) -> None:
    pupil = school.world.pupil(activate=False)
    account = school.account(pupil.account_id)

    answer = school["kiosk"].post(ACTIVATIONS, activation(pupil.uid, deposit=15_000))

    assert answer.status_code == 200
    receipt = answer.json()["receipt"]
    assert receipt["operation"] == "activation"
    assert receipt["contract_number"] == pupil.contract_number
    assert (receipt["amount"], receipt["commission"]) == (15_000, 0)
    assert receipt["regular_after"] == 15_000
    after = school.account(pupil.account_id)
    assert after.cards[pupil.uid] == CardState.ACTIVE
    assert after.parent_phone_ref == account.parent_ref
    assert school.desk.people.get(account.parent_ref) == {"phone": "+79130000001"}
    stored = school.ledger.recorder.select_notifications(None, 1_000_000)
    assert any(pupil.contract_number.encode() in n.state for n in stored)  # payloads readable
    assert not any(b"9130000001" in n.state for n in stored)


def test_activation_below_the_minimum_deposit_records_nothing(school: TerminalWorld) -> None:
    pupil = school.world.pupil(activate=False)
    account = school.account(pupil.account_id)
    before = school.ledger.recorder.max_notification_id()

    answer = school["kiosk"].post(ACTIVATIONS, activation(pupil.uid, deposit=9_999))

    assert answer.status_code == 400
    assert problem_code(answer) == "invalid_amount"
    assert school.ledger.recorder.max_notification_id() == before
    assert school.desk.people.get(account.parent_ref) is None


def test_cash_deposit_is_credited_once_per_receipt(school: TerminalWorld) -> None:
    pupil = school.world.pupil(deposit=10_000)
    body = {"card_uid": pupil.uid, "amount": 25_000, "receipt_id": "R-000042"}

    first = school["kiosk"].post(DEPOSITS, body).json()
    again = school["kiosk"].post(DEPOSITS, body).json()

    assert first["receipt"]["regular_after"] == 35_000
    assert (again["replayed"], again["receipt"]) == (True, first["receipt"])
    assert school.account(pupil.account_id).regular == 35_000


def test_the_same_receipt_with_another_amount_is_a_conflict(school: TerminalWorld) -> None:
    pupil = school.world.pupil(deposit=10_000)
    body = {"card_uid": pupil.uid, "amount": 25_000, "receipt_id": "R-7"}
    school["kiosk"].post(DEPOSITS, body)

    clash = school["kiosk"].post(DEPOSITS, {**body, "amount": 26_000})

    assert (clash.status_code, problem_code(clash)) == (409, "payment_conflict")
    assert school.account(pupil.account_id).regular == 35_000


def test_duplicate_card_by_contract_number_replaces_the_blocked_card_for_a_fee(
    school: TerminalWorld,
) -> None:
    pupil = school.world.pupil(deposit=20_000)
    school.ledger.block_card(pupil.account_id, pupil.uid, "lost")
    new_card = new_uid()
    school.pin(pupil.account_id, "2468")
    body = {"contract_number": pupil.contract_number, "new_card_uid": new_card, "pin": "2468"}

    first = school["kiosk"].post(DUPLICATES, body)
    again = school["kiosk"].post(DUPLICATES, body)

    assert first.status_code == 200
    receipt = first.json()["receipt"]
    assert (receipt["blocked_card_uid"], receipt["new_card_uid"]) == (pupil.uid, new_card)
    assert (receipt["fee"], receipt["regular_after"], receipt["new_card_state"]) == (
        5_000, 15_000, "active",
    )  # fmt: skip
    assert again.json()["replayed"] is True
    assert school.account(pupil.account_id).regular == 15_000
    paid = school["canteen_pos"].tap(new_card, items=[{"code": "B", "name": "Булка",
                                                       "price": 100}])  # fmt: skip
    assert paid.json()["outcome"] == "approved"


def test_duplicate_of_a_card_that_is_not_blocked_is_refused(school: TerminalWorld) -> None:
    pupil = school.world.pupil(deposit=20_000)
    school.pin(pupil.account_id, "2468")
    body = {"card_uid": pupil.uid, "new_card_uid": new_uid(), "pin": "2468"}

    answer = school["kiosk"].post(DUPLICATES, body)

    assert (answer.status_code, problem_code(answer)) == (409, "card_state")
    assert school.account(pupil.account_id).regular == 20_000


def test_kiosk_operations_need_a_kiosk_of_the_cards_own_school(
    school: TerminalWorld, other_school: TerminalWorld
) -> None:
    pupil = school.world.pupil(deposit=10_000)
    body = {"card_uid": pupil.uid, "amount": 5_000, "receipt_id": "R-1"}

    at_canteen = school["canteen_pos"].post(DEPOSITS, body)
    at_foreign_kiosk = other_school["kiosk"].post(DEPOSITS, body)
    unknown_card = school["kiosk"].post(DEPOSITS, {**body, "card_uid": new_uid()})

    assert (at_canteen.status_code, problem_code(at_canteen)) == (403, "terminal_kind")
    assert problem_code(at_foreign_kiosk) == "foreign_school"
    assert at_foreign_kiosk.status_code == 403
    assert unknown_card.status_code == 404
    assert problem_code(unknown_card) == "unknown_card"
    assert school.account(pupil.account_id).regular == 10_000
