"""The ledger on a real PostgreSQL: persistence, idempotency, concurrency, snapshots."""

from datetime import datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest
from eventsourcing.application import Repository

from adapters.postgres import eventsourcing_env
from domain.account import Account
from domain.errors import (
    CardAlreadyIssuedError,
    ContractAlreadyExistsError,
    DomainError,
    InvalidAmountError,
    MalformedUidError,
    PaymentConflictError,
    TapConflictError,
    TapInFutureError,
    TapPayloadError,
    TooManyActiveCardsError,
    UnknownContractError,
    UnknownSchoolError,
    UnknownTerminalError,
)
from domain.ledger import Ledger
from domain.money import MAX_DAILY_LIMIT
from domain.tap import TapRequest
from tests.builders import SchoolWorld, at_once, covering_lunches, meal, new_school, new_uid, snack
from tests.clock import now


def reopened(database_url: str) -> Ledger:
    return Ledger(eventsourcing_env(database_url), snapshot_interval=10)


def test_account_state_round_trips_through_postgres(world: SchoolWorld, database_url: str) -> None:
    pupil = world.pupil(deposit=30_000)
    world.ledger.change_tariff(pupil.account_id, "mobile")
    world.tap("canteen_pos", pupil.uid, items=[meal(9_000), snack(1_000)])
    other = reopened(database_url)
    try:
        account = other.account(pupil.account_id)
        assert (account.regular, account.tariff, account.cards) == (
            20_000,
            "mobile",
            {pupil.uid: "active"},
        )
        assert other.account_id_for_contract(pupil.contract_number) == pupil.account_id
        assert other.card_account_id(pupil.uid) == pupil.account_id
    finally:
        other.close()


class TestIdempotency:
    def test_a_retried_tap_gets_its_original_decision_and_records_nothing(
        self, travelled: datetime, world: SchoolWorld
    ) -> None:
        pupil = world.pupil(deposit=10_000)
        at = now()  # an online tap is about now (it was 1 Sep 2025: too old)
        first = world.tap("canteen_pos", pupil.uid, items=[meal(9_000)], tap_id="t-1", at=at)
        version = world.ledger.account(pupil.account_id).version
        again = world.tap("canteen_pos", pupil.uid, items=[meal(9_000)], tap_id="t-1", at=at)
        assert again.replayed
        assert again.decision == first.decision
        assert world.ledger.account(pupil.account_id).version == version
        assert world.ledger.account(pupil.account_id).regular == 1_000

    def test_the_same_tap_id_with_another_payload_is_an_explicit_error(
        self, travelled: datetime, world: SchoolWorld
    ) -> None:
        pupil = world.pupil()
        at = now()  # an online tap is about now (it was 1 Sep 2025: too old)
        world.tap("canteen_pos", pupil.uid, items=[meal(9_000)], tap_id="t-2", at=at)
        with pytest.raises(TapConflictError):
            world.tap("canteen_pos", pupil.uid, items=[meal(9_500)], tap_id="t-2", at=at)

    def test_a_top_up_is_credited_once_per_external_payment_id(self, world: SchoolWorld) -> None:
        pupil = world.pupil(deposit=10_000)
        first = world.ledger.top_up(pupil.account_id, 50_000, "bank_card", "bank-42")
        again = world.ledger.top_up(pupil.account_id, 50_000, "bank_card", "bank-42")
        assert (first.commission, first.commission_rate, first.regular_after) == (
            2_500,
            "0.05",
            60_000,
        )
        assert again.replayed
        assert again.regular_after == first.regular_after
        assert world.ledger.account(pupil.account_id).regular == 60_000
        with pytest.raises(PaymentConflictError):
            world.ledger.top_up(pupil.account_id, 40_000, "bank_card", "bank-42")


class TestDeclinesAreRecordedFacts:
    def test_unknown_card_is_declined_and_the_decline_is_stored(
        self, travelled: datetime, world: SchoolWorld
    ) -> None:
        uid, at = new_uid(), now()
        result = world.tap("turnstile", uid, direction="in", tap_id="stranger-1", at=at)
        assert (result.decision.outcome, result.decision.reason) == ("declined", "unknown_card")
        again = world.tap("turnstile", uid, direction="in", tap_id="stranger-1", at=at)
        assert again.replayed
        assert again.decision == result.decision

    def test_revoked_terminal_declines_and_the_account_keeps_the_evidence(
        self, world: SchoolWorld
    ) -> None:
        pupil = world.pupil()
        world.ledger.revoke_terminal(world.terminals["vending"], "stolen")
        result = world.tap("vending", pupil.uid, items=[snack()])
        assert result.decision.reason == "terminal_revoked"
        last = list(world.ledger.events.get(pupil.account_id))[-1]
        assert isinstance(last, Account.PurchaseDeclined)
        assert last.reason == "terminal_revoked"

    def test_terminal_of_another_school_declines(self, ledger: Ledger, world: SchoolWorld) -> None:
        pupil = world.pupil()
        elsewhere = new_school(ledger, "Asia/Irkutsk")
        result = elsewhere.tap("canteen_pos", pupil.uid, items=[meal()])
        assert result.decision.reason == "foreign_school"


class TestBadInputRecordsNothing:
    @pytest.mark.parametrize(
        ("call", "error"),
        [
            (lambda w, p: w.ledger.top_up(p.account_id, 0, "bank_card", "x1"), InvalidAmountError),
            (lambda w, p: w.ledger.top_up(p.account_id, 10**13, "sbp", "x2"), InvalidAmountError),
            (lambda w, p: w.ledger.top_up(p.account_id, 99.5, "sbp", "x3"), InvalidAmountError),
            (lambda w, p: w.ledger.top_up(uuid4(), 100, "sbp", "x4"), UnknownContractError),
            (lambda w, p: w.ledger.issue_card(p.account_id, "NOT-A-UID"), MalformedUidError),
            (lambda w, p: w.ledger.issue_card(p.account_id, p.uid), CardAlreadyIssuedError),
            (
                lambda w, p: w.ledger.change_daily_limit(p.account_id, MAX_DAILY_LIMIT + 1),
                InvalidAmountError,
            ),
            (
                lambda w, p: w.ledger.open_account(
                    p.contract_number, w.school_id, "1А", "s:a", "s:b"
                ),
                ContractAlreadyExistsError,
            ),
            (
                lambda w, p: w.ledger.open_account("N-1", uuid4(), "1А", "s:a", "s:b"),
                UnknownSchoolError,
            ),
            (lambda w, p: w.tap("turnstile", p.uid, items=[snack()]), TapPayloadError),
            (lambda w, p: w.tap("kiosk", p.uid, items=[snack()]), TapPayloadError),
            (
                lambda w, p: w.tap(
                    "turnstile", p.uid, direction="in", at=now() + timedelta(days=1)
                ),
                TapInFutureError,
            ),
            (
                lambda w, p: w.ledger.handle_tap(
                    TapRequest.parse(uuid4(), "t", p.uid, now(), direction="in")
                ),
                UnknownTerminalError,
            ),
        ],
    )
    def test_each_is_a_typed_error_and_nothing_is_stored(
        self, travelled: datetime, world: SchoolWorld, call: object, error: type[DomainError]
    ) -> None:
        pupil = world.pupil()
        before = world.ledger.recorder.max_notification_id()
        with pytest.raises(error) as raised:
            call(world, pupil)  # type: ignore[operator]
        assert raised.value.code
        assert str(raised.value)
        assert world.ledger.recorder.max_notification_id() == before

    def test_a_third_live_card_is_refused(self, world: SchoolWorld) -> None:
        pupil = world.pupil()
        world.ledger.issue_card(pupil.account_id, new_uid())
        with pytest.raises(TooManyActiveCardsError):
            world.ledger.issue_card(pupil.account_id, new_uid())


def test_fifty_concurrent_taps_approve_exactly_what_the_balance_covers(
    ledger: Ledger, database_url: str
) -> None:
    covered = 7
    world, pupil = covering_lunches(ledger, covered)

    def tap(n: int) -> str:
        return world.tap(
            "canteen_pos", pupil.uid, items=[meal(9_000)], tap_id=f"rush-{n}"
        ).decision.outcome

    outcomes = at_once(50, tap)
    assert outcomes.count("approved") == covered
    assert outcomes.count("declined") == 50 - covered
    fresh = reopened(database_url)
    try:
        assert fresh.account(pupil.account_id).regular == 0
        events = list(fresh.events.get(pupil.account_id))
        assert sum(isinstance(e, Account.PurchaseApproved) for e in events) == covered
    finally:
        fresh.close()


def test_a_long_lived_account_loads_from_its_latest_snapshot_which_is_its_replayed_state(
    ledger: Ledger, world: SchoolWorld
) -> None:
    pupil = world.pupil(deposit=100_000)
    for n in range(25):
        world.ledger.top_up(pupil.account_id, 100 + n, "sbp", f"snap-{pupil.account_id}-{n}")
    assert ledger.snapshots is not None
    snapshots = list(ledger.snapshots.get(pupil.account_id, desc=True, limit=1))
    assert snapshots, "a snapshot every 10 events"
    latest = snapshots[0]
    assert latest.originator_version == 20
    replayed: Account = ledger.repository.get(pupil.account_id)
    assert replayed.version == 29
    assert replayed.regular == 100_000 + sum(100 + n for n in range(25))
    # taken from the account just saved, the snapshot is what replaying its events gives
    at_20: Account = Repository(event_store=ledger.events).get(pupil.account_id, version=20)
    snapshot: Any = latest
    assert without_pending(snapshot.mutate(None)) == without_pending(at_20)


def without_pending(account: Account) -> dict[str, Any]:
    return {k: v for k, v in vars(account).items() if k != "_pending_events"}
