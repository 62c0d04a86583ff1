"""Given an account's history, a command records the expected events or raises a domain error."""

from datetime import UTC, date, datetime
from uuid import uuid4

import pytest

from domain.account import ACTIVATION_MIN_DEPOSIT, DUPLICATE_CARD_FEE, Account
from domain.errors import (
    CardStateError,
    InsufficientFundsError,
    InvalidAmountError,
    InvalidCommandError,
    SubsidyError,
    TooManyActiveCardsError,
    UnknownCardError,
)
from domain.kinds import Channel, DeclineReason
from domain.tap import TapContext, TapRequest
from tests.builders import meal, snack

UID = "04A1B2C3D4E5F6"
DAY = date(2025, 9, 1)


def account_with(regular: int = 0, *, daily_limit: int = 20_000) -> Account:
    account = Account.open("C-1", uuid4(), "5А", "subject:p", "subject:m")
    account.issue_card(UID)
    account.activate_card(UID, "offer-1", "subject:phone", ACTIVATION_MIN_DEPOSIT)
    if regular:
        account.top_up(regular, Channel.KIOSK_CASH, 0, "0", f"pay-{uuid4()}")
    account.change_daily_limit(daily_limit)
    account.collect_events()
    return account


def ctx(kind: str, items: list[dict[str, object]] | None = None, uid: str = UID) -> TapContext:
    request = TapRequest.parse(
        uuid4(), str(uuid4()), uid, datetime(2025, 9, 1, 5, tzinfo=UTC), items=items,
        direction="in" if kind == "turnstile" else None,
    )  # fmt: skip
    return TapContext(request, kind, DAY)


def recorded(account: Account) -> list[str]:
    return [type(e).__name__ for e in account.collect_events()]


class TestPurchase:
    def test_canteen_meal_is_paid_from_the_subsidised_wallet_first(self) -> None:
        account = account_with(10_000)
        account.grant_subsidy("многодетная семья", 5_000)
        account.credit_subsidy(5_000, "2025-09-01")
        account.collect_events()
        decision = account.take_purchase(ctx("canteen_pos", [meal(9_000), snack(1_000)]), 0)
        assert (decision.outcome, decision.from_subsidised, decision.from_regular) == (
            "approved", 5_000, 5_000,
        )  # fmt: skip
        assert (account.subsidised, account.regular) == (0, 5_000)
        assert recorded(account) == ["PurchaseApproved"]

    def test_meal_may_overdraw_down_to_the_school_policy(self) -> None:
        account = account_with(5_000)
        decision = account.take_purchase(ctx("canteen_pos", [meal(9_000)]), 5_000)
        assert decision.approved
        assert account.regular == -4_000

    def test_meal_beyond_the_overdraft_policy_is_declined_and_recorded(self) -> None:
        account = account_with(5_000)
        decision = account.take_purchase(ctx("canteen_pos", [meal(9_000)]), 3_000)
        assert decision.reason == DeclineReason.INSUFFICIENT_FUNDS
        assert account.regular == 5_000
        assert recorded(account) == ["PurchaseDeclined"]

    def test_snack_never_overdraws_even_at_the_canteen(self) -> None:
        account = account_with(4_000)
        decision = account.take_purchase(ctx("canteen_pos", [snack(4_500)]), 15_000)
        assert decision.reason == DeclineReason.INSUFFICIENT_FUNDS

    def test_snack_with_a_meal_needs_money_for_the_snack_part(self) -> None:
        account = account_with(1_000)
        decision = account.take_purchase(ctx("canteen_pos", [meal(5_000), snack(2_000)]), 15_000)
        assert decision.reason == DeclineReason.INSUFFICIENT_FUNDS

    @pytest.mark.parametrize("kind", ["vending", "wardrobe", "locker"])
    def test_other_paying_terminals_never_overdraw_and_ignore_the_meal_flag(
        self, kind: str
    ) -> None:
        account = account_with(5_000)
        decision = account.take_purchase(ctx(kind, [meal(9_000)]), 15_000)
        assert decision.reason == DeclineReason.INSUFFICIENT_FUNDS

    def test_daily_limit_counts_the_regular_spend_of_the_local_day(self) -> None:
        account = account_with(100_000, daily_limit=10_000)
        assert account.take_purchase(ctx("canteen_pos", [meal(9_000)]), 0).approved
        decision = account.take_purchase(ctx("vending", [snack(2_000)]), 0)
        assert decision.reason == DeclineReason.DAILY_LIMIT
        assert decision.spent_today == 9_000

    @pytest.mark.parametrize("kind", ["canteen_pos", "vending", "wardrobe", "locker", "turnstile"])
    def test_blocked_card_is_declined_at_every_terminal_kind(self, kind: str) -> None:
        account = account_with(50_000)
        account.block_card(UID, "lost")
        tap = ctx(kind, None if kind == "turnstile" else [snack(100)])
        decision = account.take_pass(tap) if kind == "turnstile" else account.take_purchase(tap, 0)
        assert decision.reason == DeclineReason.CARD_BLOCKED
        assert account.regular == 50_000

    def test_card_not_yet_activated_cannot_pay_but_opens_the_turnstile(self) -> None:
        account = Account.open("C-2", uuid4(), "1А", "subject:p", "subject:m")
        account.issue_card(UID)
        assert account.take_purchase(ctx("vending", [snack()]), 0).reason == "card_not_activated"
        assert account.take_pass(ctx("turnstile")).approved


class TestCards:
    def test_a_third_live_card_is_refused(self) -> None:
        account = account_with()
        account.issue_card("04000000000002")
        with pytest.raises(TooManyActiveCardsError):
            account.issue_card("04000000000003")

    def test_activation_needs_a_first_deposit_of_one_hundred_rubles(self) -> None:
        account = Account.open("C-3", uuid4(), "1А", "subject:p", "subject:m")
        account.issue_card(UID)
        with pytest.raises(InvalidAmountError):
            account.activate_card(UID, "offer-1", "subject:phone", ACTIVATION_MIN_DEPOSIT - 1)
        assert recorded(account) == ["Opened", "CardIssued"]

    def test_duplicate_replaces_a_blocked_card_for_a_fee(self) -> None:
        account = account_with(10_000)
        account.block_card(UID, "lost")
        account.order_duplicate(UID, "04000000000009")
        assert account.cards == {UID: "blocked", "04000000000009": "active"}
        assert account.regular == 10_000 - DUPLICATE_CARD_FEE

    def test_duplicate_of_a_card_that_is_not_blocked_is_refused(self) -> None:
        with pytest.raises(CardStateError):
            account_with(10_000).order_duplicate(UID, "04000000000009")

    def test_duplicate_without_money_for_the_fee_is_refused(self) -> None:
        account = account_with(DUPLICATE_CARD_FEE - 1)
        account.block_card(UID, "lost")
        with pytest.raises(InsufficientFundsError):
            account.order_duplicate(UID, "04000000000009")

    def test_unknown_card_on_the_account_is_an_error(self) -> None:
        with pytest.raises(UnknownCardError):
            account_with().block_card("04000000000009", "lost")


class TestSettings:
    @pytest.mark.parametrize("amount", [0, -1, 1.5, "100", True, 10**12])
    def test_top_up_amount_must_be_positive_whole_and_sane(self, amount: object) -> None:
        account = account_with()
        with pytest.raises(InvalidAmountError):
            account.top_up(amount, Channel.BANK_CARD, 0, "0.05", "p")  # type: ignore[arg-type]
        assert recorded(account) == []

    def test_tariff_and_limit_changes_record_the_previous_value(self) -> None:
        account = account_with()
        account.change_tariff("mobile")
        account.change_daily_limit(30_000)
        events = account.collect_events()
        assert [(type(e).__name__, e.previous) for e in events] == [  # type: ignore[attr-defined]
            ("TariffChanged", "zero"), ("DailyLimitChanged", 20_000),
        ]  # fmt: skip

    def test_unknown_tariff_is_refused(self) -> None:
        with pytest.raises(InvalidCommandError):
            account_with().change_tariff("platinum")

    def test_subsidy_is_credited_only_while_granted(self) -> None:
        account = account_with()
        with pytest.raises(SubsidyError):
            account.credit_subsidy(5_000, "2025-09-01")
        account.grant_subsidy("льгота", 5_000)
        account.credit_subsidy(5_000, "2025-09-01")
        account.revoke_subsidy("истёк срок")
        with pytest.raises(SubsidyError):
            account.credit_subsidy(5_000, "2025-09-02")
        assert account.subsidised == 5_000
