"""Top-ups and card payments' verdicts in a group commit beside taps (domain/group_commit.py):
decided in order on one state, credited once per payment id, a bad one failing only itself."""

from datetime import datetime
from uuid import uuid4

import pytest
from eventsourcing.persistence import IntegrityError

from domain.account import Account
from domain.autopay import MONTHLY
from domain.billing import Billing
from domain.errors import InvalidAmountError, InvalidCommandError, PaymentConflictError
from domain.group_commit import TapResult
from domain.kinds import Channel
from domain.ledger import Ledger
from domain.money import MAX_TOP_UP
from domain.top_up_request import (
    ActivateRequest,
    Settled,
    SettleRequest,
    TopUpRequest,
    TopUpResult,
)
from domain.topups import TopUps
from tests.builders import Pupil, SchoolWorld, covering_lunches, lunch, paid


def cash(world: SchoolWorld, pupil: Pupil, amount: int, name: str) -> TopUpRequest:
    kiosk = world.terminals["kiosk"]
    return TopUpRequest(
        pupil.account_id, amount, Channel.KIOSK_CASH.value, paid(pupil, name), kiosk
    )


def credits(ledger: Ledger, pupil: Pupil, payment_id: str) -> list[Account.ToppedUp]:
    events = ledger.repository.event_store.get(pupil.account_id)
    return [e for e in events if isinstance(e, Account.ToppedUp) and e.payment_id == payment_id]


def test_a_tap_after_a_top_up_of_its_account_in_one_group_sees_the_credit(
    travelled: datetime, ledger: Ledger
) -> None:
    world, pupil = covering_lunches(ledger, 2)  # no meal overdraft: two lunches are all there is

    results = ledger.group_commit.handle(
        [
            lunch(world, pupil.uid, "a"),
            lunch(world, pupil.uid, "b"),
            lunch(world, pupil.uid, "c"),  # nothing left
            cash(world, pupil, 9_000, "kiosk-cash-1"),
            lunch(world, pupil.uid, "d"),  # on the cash just credited
        ]
    )

    taps = [r for r in results if isinstance(r, TapResult)]
    assert [t.decision.outcome for t in taps] == ["approved", "approved", "declined", "approved"]
    top_up = results[3]
    assert isinstance(top_up, TopUpResult)
    assert (top_up.amount, top_up.regular_after, top_up.replayed) == (9_000, 9_000, False)
    assert len({r.position for r in taps} | {top_up.position}) == 1, "one save for the group"
    assert ledger.account(pupil.account_id).regular == 0


def test_a_payment_id_is_credited_once_within_a_group_and_across_groups(
    travelled: datetime, world: SchoolWorld
) -> None:
    ledger = world.ledger
    pupil = world.pupil(deposit=10_000)
    deposit = cash(world, pupil, 25_000, "kiosk-cash-2")

    first, again = ledger.group_commit.handle([deposit, deposit])
    [later] = ledger.group_commit.handle([deposit])

    assert isinstance(first, TopUpResult)
    assert not first.replayed
    assert isinstance(again, TopUpResult)
    assert again.replayed
    assert isinstance(later, TopUpResult)
    assert later.replayed
    assert first.regular_after == again.regular_after == later.regular_after == 35_000
    assert len(credits(ledger, pupil, paid(pupil, "kiosk-cash-2"))) == 1
    assert ledger.account(pupil.account_id).regular == 35_000
    assert ledger.top_up(pupil.account_id, 25_000, "kiosk_cash", paid(pupil, "kiosk-cash-2"),
                         world.terminals["kiosk"]).replayed  # fmt: skip


def test_a_bad_top_up_fails_only_itself(travelled: datetime, world: SchoolWorld) -> None:
    ledger = world.ledger
    pupil = world.pupil(deposit=20_000)
    [earlier] = ledger.group_commit.handle([cash(world, pupil, 5_000, "kiosk-cash-3")])
    assert isinstance(earlier, TopUpResult)
    not_kiosk = TopUpRequest(
        pupil.account_id,
        1_000,
        "kiosk_cash",
        paid(pupil, "kiosk-cash-5"),
        world.terminals["canteen_pos"],
    )

    results = ledger.group_commit.handle(
        [
            cash(world, pupil, 6_000, "kiosk-cash-3"),  # the same payment id, another amount
            cash(world, pupil, MAX_TOP_UP + 1, "kiosk-cash-4"),
            lunch(world, pupil.uid, "d"),
            not_kiosk,
            cash(world, pupil, 3_000, "kiosk-cash-6"),
        ]
    )

    assert isinstance(results[0], PaymentConflictError)
    assert isinstance(results[1], InvalidAmountError)
    assert isinstance(results[3], InvalidCommandError)
    tap, good = results[2], results[4]
    assert isinstance(tap, TapResult)
    assert tap.decision.outcome == "approved"
    assert isinstance(good, TopUpResult)
    assert good.regular_after == 20_000 + 5_000 - 9_000 + 3_000
    assert ledger.account(pupil.account_id).regular == 19_000
    assert credits(ledger, pupil, paid(pupil, "kiosk-cash-3"))[0].amount == 5_000


def test_a_card_payments_verdict_in_a_group_credits_once(
    travelled: datetime, world: SchoolWorld
) -> None:
    ledger = world.ledger
    pupil = world.pupil(deposit=10_000)
    payment, _ = TopUps(ledger).start(pupil.account_id, 20_000, "bank_card")
    verdict = SettleRequest(payment.payment_id, True, payment.total)

    results = ledger.group_commit.handle(
        [verdict, lunch(world, pupil.uid, "e"), verdict, SettleRequest("topup:unknown", True, 1)]
    )

    settled, tap, repeated, unknown = results
    assert isinstance(settled, Settled)
    assert settled.credited
    assert isinstance(repeated, Settled)
    assert not repeated.credited
    assert isinstance(tap, TapResult)
    assert tap.decision.regular_after == 30_000 - 9_000
    assert isinstance(unknown, Exception)
    assert [e.amount for e in credits(ledger, pupil, payment.payment_id)] == [20_000]
    assert TopUps(ledger).payment(payment.payment_id).status == "succeeded"
    assert not TopUps(ledger).settle(payment.payment_id, True, payment.total).credited


def test_after_a_conflict_only_the_affected_top_up_is_decided_again(
    travelled: datetime, world: SchoolWorld
) -> None:
    ledger = world.ledger
    ann, bob = world.pupil(deposit=10_000), world.pupil(deposit=10_000)
    commit = ledger.group_commit
    batch = commit.decide(
        [cash(world, ann, 1_000, "kiosk-cash-7"), cash(world, bob, 2_000, "kiosk-cash-8")],
        ["kiosk", "kiosk"],
    )
    ledger.top_up(
        ann.account_id, 500, "autopay", paid(ann, "autopay-meanwhile")
    )  # another writer first

    with pytest.raises(IntegrityError):
        commit.save(batch)
    ann_result, bob_result = commit.after_conflict(batch)

    assert isinstance(ann_result, TopUpResult)
    assert ann_result.regular_after == 11_500
    assert isinstance(bob_result, TopUpResult)
    assert bob_result.regular_after == 12_000
    assert ledger.account(ann.account_id).regular == 11_500
    assert ledger.account(bob.account_id).regular == 12_000
    assert len(credits(ledger, ann, paid(ann, "kiosk-cash-7"))) == 1


def test_an_autopayments_credit_in_a_group_is_the_one_its_settlement_finds(
    travelled: datetime, world: SchoolWorld
) -> None:
    ledger = world.ledger
    pupil = world.pupil(deposit=10_000)
    billing = Billing(ledger)
    schedule = billing.schedule_autopayment(
        pupil.account_id, MONTHLY, 40_000, day=1, card_id=str(uuid4())
    )
    assert billing.request_autopayment(schedule, "2027-01") is not None

    credit, tap = ledger.group_commit.handle(
        [billing.autopay_credit(schedule, "2027-01"), lunch(world, pupil.uid, "f")]
    )

    assert isinstance(credit, TopUpResult)
    assert credit.regular_after == 50_000
    assert isinstance(tap, TapResult)
    assert tap.decision.regular_after == 41_000
    again = billing.settle_autopayment(schedule, "2027-01", succeeded=True)
    assert again is not None
    assert again.replayed
    assert ledger.account(pupil.account_id).regular == 41_000


def test_a_card_activated_in_a_group_pays_for_the_tap_after_it(
    travelled: datetime, world: SchoolWorld
) -> None:
    ledger = world.ledger
    pupil = world.pupil(activate=False)
    kiosk = world.terminals["kiosk"]
    activation = ActivateRequest(
        pupil.uid, "offer-2026", "subject:p", 15_000, paid(pupil, "act-1"), kiosk
    )

    before, activated, after, again = ledger.group_commit.handle(
        [lunch(world, pupil.uid, "g-0"), activation, lunch(world, pupil.uid, "g-1"), activation]
    )

    assert isinstance(before, TapResult)
    assert before.decision.outcome == "declined"
    assert isinstance(activated, TopUpResult)
    assert activated.regular_after == 15_000
    assert isinstance(after, TapResult)
    assert after.decision.outcome == "approved"
    assert isinstance(again, TopUpResult)
    assert again.replayed
    assert ledger.account(pupil.account_id).regular == 6_000
