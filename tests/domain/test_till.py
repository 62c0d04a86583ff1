"""At the till: the operator's choice of the paying wallet, recorded on the purchase; free
wardrobe and locker uses with a hanger or locker number, which move no money."""

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import pytest

from domain.account import Account
from domain.errors import InvalidCommandError, TapConflictError, TapPayloadError
from domain.tap import TapRequest
from projections.movements import MOVEMENTS
from tests.builders import SchoolWorld, meal, snack

AT = datetime(2026, 11, 23, 4, 30, tzinfo=UTC)  # 11:30 in Novosibirsk, a Monday


def subsidised_pupil(world: SchoolWorld, subsidy: int = 5_000) -> tuple[Account, str]:
    pupil = world.pupil(deposit=30_000)
    world.ledger.grant_subsidy(pupil.account_id, "многодетная семья", subsidy)
    world.ledger.credit_subsidy(pupil.account_id, subsidy, "2026-11-23")
    return world.ledger.account(pupil.account_id), pupil.uid


def events_of(world: SchoolWorld, account: Account) -> list[Any]:
    return list(world.ledger.events.get(account.id))


class TestPayingWallet:
    def test_without_a_choice_meals_come_from_the_subsidy_first(self, world: SchoolWorld) -> None:
        account, uid = subsidised_pupil(world)
        decision = world.tap_then("canteen_pos", uid, at=AT, items=[meal(9_000)]).decision
        assert (decision.from_subsidised, decision.from_regular) == (5_000, 4_000)
        assert decision.paying_wallet is None
        bought = events_of(world, account)[-1]
        assert isinstance(bought, Account.PurchaseApproved)
        assert bought.paying_wallet is None

    def test_a_purchase_stored_before_the_override_reads_back_without_one(
        self, world: SchoolWorld
    ) -> None:
        account, uid = subsidised_pupil(world)
        world.tap_then("canteen_pos", uid, at=AT, items=[meal(9_000)], paying_wallet="regular")
        mapper = world.ledger.mapper
        stored = mapper.to_stored_event(events_of(world, account)[-1])
        state = mapper.transcoder.decode(stored.state)
        del state["paying_wallet"]  # as every purchase recorded before this field was
        old = replace(stored, state=mapper.transcoder.encode(state))
        bought = mapper.to_domain_event(old)
        assert isinstance(bought, Account.PurchaseApproved)
        assert (bought.paying_wallet, bought.from_regular) == (None, 9_000)
        assert "кассир" not in MOVEMENTS[type(bought)](bought).reason

    def test_the_operator_makes_own_money_pay_and_it_is_on_the_purchase(
        self, world: SchoolWorld
    ) -> None:
        account, uid = subsidised_pupil(world)
        result = world.tap_then(
            "canteen_pos", uid, at=AT, items=[meal(9_000)], paying_wallet="regular"
        )
        decision = result.decision
        assert (decision.from_subsidised, decision.from_regular) == (0, 9_000)
        assert decision.paying_wallet == "regular"
        after = world.ledger.account(account.id)
        assert (after.subsidised, after.regular) == (5_000, 30_000 - 9_000)
        bought = events_of(world, account)[-1]
        assert isinstance(bought, Account.PurchaseApproved)
        assert bought.paying_wallet == "regular"
        assert "кассир выбрал оплату с основного счёта" in MOVEMENTS[type(bought)](bought).reason

    def test_subsidy_only_declines_when_it_does_not_cover_the_meal(
        self, world: SchoolWorld
    ) -> None:
        account, uid = subsidised_pupil(world, 5_000)
        decision = world.tap_then(
            "canteen_pos", uid, at=AT, items=[meal(9_000)], paying_wallet="subsidised"
        ).decision
        assert (decision.outcome, decision.reason) == ("declined", "insufficient_funds")
        declined = events_of(world, account)[-1]
        assert isinstance(declined, Account.PurchaseDeclined)
        assert declined.paying_wallet == "subsidised"
        covered = world.tap_then(
            "canteen_pos", uid, at=AT, items=[meal(4_000), snack(1_000)],
            paying_wallet="subsidised",
        ).decision  # fmt: skip
        assert (covered.from_subsidised, covered.from_regular) == (4_000, 1_000)

    def test_a_retry_with_another_wallet_is_a_conflict(self, world: SchoolWorld) -> None:
        _, uid = subsidised_pupil(world)
        world.tap_then("canteen_pos", uid, at=AT, items=[meal()], tap_id="t-1")
        with pytest.raises(TapConflictError):
            world.tap_then(
                "canteen_pos", uid, at=AT, items=[meal()], tap_id="t-1", paying_wallet="regular"
            )

    @pytest.mark.parametrize(
        ("kind", "offline"), [("vending", False), ("wardrobe", False), ("canteen_pos", True)]
    )
    def test_only_the_canteen_till_online_chooses(
        self, world: SchoolWorld, kind: str, offline: bool
    ) -> None:
        pupil = world.pupil()
        with pytest.raises(TapPayloadError):
            world.tap_then(
                kind, pupil.uid, at=AT, items=[snack()], paying_wallet="regular", offline=offline
            )

    def test_an_unknown_wallet_is_refused_when_parsed(self) -> None:
        with pytest.raises(InvalidCommandError):
            TapRequest.parse(uuid4(), "t", "04A1B2C3D4E5F6", AT, items=[meal()],
                             paying_wallet="grandma")  # fmt: skip


class TestStorage:
    @pytest.mark.parametrize("kind", ["wardrobe", "locker"])
    def test_a_free_use_records_the_number_and_moves_no_money(
        self, world: SchoolWorld, kind: str
    ) -> None:
        pupil = world.pupil(deposit=30_000)
        decision = world.tap_then(kind, pupil.uid, at=AT, slot=" B-12 ").decision
        assert (decision.outcome, decision.amount, decision.slot) == ("approved", 0, "B-12")
        used = list(world.ledger.events.get(pupil.account_id))[-1]
        assert isinstance(used, Account.StorageUsed)
        assert (used.slot, used.terminal_kind) == ("B-12", kind)
        assert world.ledger.account(pupil.account_id).regular == 30_000
        moved = MOVEMENTS[Account.StorageUsed](used)
        assert (moved.kind, moved.amount, moved.declined) == ("storage", 0, False)
        assert "B-12" in moved.reason

    def test_a_blocked_card_is_refused_and_the_refusal_recorded(self, world: SchoolWorld) -> None:
        pupil = world.pupil()
        world.ledger.block_card(pupil.account_id, pupil.uid, "lost")
        decision = world.tap_then("wardrobe", pupil.uid, at=AT, slot="17").decision
        assert decision.reason == "card_blocked"
        denied = list(world.ledger.events.get(pupil.account_id))[-1]
        assert isinstance(denied, Account.StorageDenied)
        assert MOVEMENTS[Account.StorageDenied](denied).declined

    @pytest.mark.parametrize("slot", ["", "  ", "a" * 17, "12 34", "-1", "№5", "1\x00"])
    def test_a_bad_number_is_refused(self, slot: str) -> None:
        with pytest.raises(InvalidCommandError):
            TapRequest.parse(uuid4(), "t", "04A1B2C3D4E5F6", AT, slot=slot)

    def test_a_number_only_at_the_wardrobe_or_a_locker_and_without_items(
        self, world: SchoolWorld
    ) -> None:
        pupil = world.pupil()
        with pytest.raises(TapPayloadError):
            world.tap_then("canteen_pos", pupil.uid, at=AT, items=[meal()], slot="3")
        with pytest.raises(TapPayloadError):
            world.tap_then("locker", pupil.uid, at=AT, items=[snack()], slot="3")
        paid = world.tap_then("locker", pupil.uid, at=AT, items=[snack(1_000)]).decision
        assert paid.amount == 1_000  # a paid locker sale still works as before
