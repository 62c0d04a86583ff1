from datetime import datetime, timedelta
from uuid import UUID

import pytest

from domain import casework
from domain.errors import AccountClosedError, InsufficientFundsError, RefundError
from domain.ledger import Ledger
from domain.recorded import acting_as
from tests.builders import SchoolWorld, meal, new_school
from tests.clock import now


def test_a_parent_refund_goes_request_approve_paid_and_ends_at_zero(
    travelled: datetime, ledger: Ledger, world: SchoolWorld
) -> None:
    pupil = world.pupil(deposit=30_000)
    card_payment = f"card-pay-{pupil.contract_number}"  # payment ids are global: one a pupil
    ledger.top_up(pupil.account_id, 20_000, "bank_card", card_payment)
    with pytest.raises(RefundError):
        casework.approve_refund(ledger, pupil.account_id)
    with acting_as(f"parent:{pupil.contract_number}"):
        casework.request_refund(ledger, pupil.account_id)
    with pytest.raises(RefundError):
        casework.pay_refund(ledger, pupil.account_id, "payout-1")
    ledger.take_snapshot(pupil.account_id)  # refund state survives a snapshot round trip
    assert ledger.account(pupil.account_id).refund_status == "requested"
    with acting_as("school_admin:1"):
        casework.approve_refund(ledger, pupil.account_id)
    world.tap("canteen_pos", pupil.uid, items=[meal(9_000)])  # lunch before the payout
    casework.pay_refund(ledger, pupil.account_id, "bank-transfer-42")

    account = ledger.account(pupil.account_id)
    assert (account.regular, account.subsidised) == (0, 0)
    events = list(ledger.repository.event_store.get(pupil.account_id))
    requested, paid = events[-4], events[-1]
    assert type(requested).__name__ == "RefundRequested"
    assert requested.destination_ref == f"payment:{card_payment}"  # type: ignore[attr-defined]
    assert paid.payout_ref == "bank-transfer-42"  # type: ignore[attr-defined]
    assert paid.amount == 41_000  # type: ignore[attr-defined]
    with pytest.raises(InsufficientFundsError):
        casework.request_refund(ledger, pupil.account_id)


def test_a_school_exit_with_100_accounts_ends_with_every_one_refunded_or_listed(
    travelled: datetime, ledger: Ledger
) -> None:
    world = new_school(ledger)
    pupils = [world.pupil(deposit=10_000 + 100 * i, activate=i % 10 != 0) for i in range(100)]
    for p in pupils[1:6]:  # five owe money after an overdraft lunch: they cannot be paid out
        for _ in range(2):
            world.tap("canteen_pos", p.uid, items=[meal(9_900)])
    with acting_as("operator:contracts"):
        ended = casework.terminate_contract(ledger, world.school_id, "договор расторгнут")
    assert len(ended.refunds_opened) + len(ended.closed_at_zero) == 100
    assert len(ended.closed_at_zero) == 10  # never activated: nothing was ever paid in
    again = casework.terminate_contract(ledger, world.school_id, "повтор")
    assert again.refunds_opened == []
    assert again.closed_at_zero == []

    paid: list[UUID] = []
    for p in pupils:
        account = ledger.account(p.account_id)
        if account.closed or account.regular < 0 or len(paid) >= 60:
            continue
        with acting_as("system:payouts"):
            casework.pay_refund(ledger, p.account_id, f"payout-{p.contract_number}", close=True)
        paid.append(p.account_id)

    later = now() + timedelta(days=45)
    listed = {u.account_id: u for u in casework.unreturned_balances(ledger, later, world.school_id)}
    for p in pupils:
        account = ledger.account(p.account_id)
        if account.closed:
            assert (account.regular, account.subsidised) == (0, 0)
        else:
            assert p.account_id in listed
            assert listed[p.account_id].waiting_days >= 44
    assert len(paid) == 60
    assert len(listed) == 30  # 100 − 10 closed at zero − 60 paid: 25 waiting, 5 in debt
    assert sum(1 for u in listed.values() if u.regular < 0) == 5
    events = list(ledger.repository.event_store.get(pupils[7].account_id))
    assert [type(e).__name__ for e in events[-4:]] == [
        "RefundRequested", "RefundApproved", "RefundPaid", "AccountClosed",
    ]  # fmt: skip
    assert events[-4].fee_free  # type: ignore[attr-defined]
    with pytest.raises(AccountClosedError):
        ledger.top_up(pupils[7].account_id, 1_000, "sbp", "after-close")
