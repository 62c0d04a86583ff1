"""Fees and autopayments decided in the domain: pro-rating, summer pause, debts, once per period."""

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from domain.account import Account
from domain.autopay import MONTHLY, THRESHOLD
from domain.billing import Billing
from domain.errors import InvalidAmountError, InvalidCommandError
from domain.fees import history_after, periods_between, quote_fee
from domain.kinds import Channel
from domain.ledger import Ledger
from tests.builders import SchoolWorld
from tests.clock import today

NSK = ZoneInfo("Asia/Novosibirsk")
CARD = "6f1d2c3b-4a5e-4f60-9a1b-2c3d4e5f6a44"  # a saved card's id (the domain keeps only the id)


def test_a_tariff_change_mid_month_pro_rates_the_fee_by_school_local_days() -> None:
    opened = history_after([], datetime(2026, 10, 1, tzinfo=UTC), "zero")
    # 11 November 00:30 in Novosibirsk is still 10 November in UTC: the local day counts.
    history = history_after(opened, datetime(2026, 11, 10, 17, 30, tzinfo=UTC), "mobile")
    history = history_after(history, datetime(2026, 11, 20, 12, 0, tzinfo=UTC), "sms_plus")

    quote = quote_fee(history, "2026-11", NSK, paused=False)

    # 9 days of mobile (11..19), 11 days of sms_plus (20..30) out of 30.
    assert [(b["tariff"], b["days"]) for b in quote.breakdown] == [("mobile", 9), ("sms_plus", 11)]
    assert quote.fee == round(9500 * 9 / 30 + 16500 * 11 / 30)


def test_a_paused_month_and_the_zero_tariff_cost_nothing() -> None:
    history = history_after([], datetime(2026, 1, 1, tzinfo=UTC), "sms_plus")
    assert quote_fee(history, "2026-07", NSK, paused=True).fee == 0
    zero = history_after([], datetime(2026, 1, 1, tzinfo=UTC), "zero")
    assert quote_fee(zero, "2026-07", NSK, paused=False).fee == 0
    assert quote_fee(history, "2026-07", NSK, paused=False).fee == 16500


def test_periods_between_walks_months_across_a_year_end() -> None:
    assert periods_between("2026-11", "2027-02") == ["2026-11", "2026-12", "2027-01", "2027-02"]
    assert periods_between("2027-03", "2027-02") == []


def test_a_fee_is_charged_once_per_account_and_period(
    travelled: datetime, ledger: Ledger, world: SchoolWorld
) -> None:
    pupil = world.pupil(deposit=50_000)
    billing = Billing(ledger)
    ledger.change_tariff(pupil.account_id, "mobile")
    period = today(NSK).strftime("%Y-%m")  # this month: the fee from today to its end

    first = billing.charge_tariff_fee(pupil.account_id, period)
    again = billing.charge_tariff_fee(pupil.account_id, period)

    assert first.charged == first.fee > 0
    assert not first.replayed
    assert again.replayed
    assert again.charged == first.charged
    assert ledger.account(pupil.account_id).regular == 50_000 - first.fee


def test_a_fee_never_takes_the_wallet_below_zero_it_records_a_debt(
    travelled: datetime, ledger: Ledger, world: SchoolWorld
) -> None:
    pupil = world.pupil(deposit=10_000)
    world.tap("canteen_pos", pupil.uid, items=[{"code": "L", "name": "Обед", "price": 9_900,
                                               "quantity": 1, "meal": True}])  # fmt: skip
    billing = Billing(ledger)
    ledger.change_tariff(pupil.account_id, "sms_plus")
    period = today(NSK).strftime("%Y-%m")  # from today: a day of sms_plus is 5,32 ₽ at least

    result = billing.charge_tariff_fee(pupil.account_id, period)

    account = ledger.account(pupil.account_id)
    assert result.fee > 100  # more than the wallet holds, whichever day of the month it is
    assert result.charged == 100
    assert result.debt == result.fee - 100
    assert account.regular == 0
    assert account.fee_debt == result.debt
    ledger.top_up(pupil.account_id, 100_000, Channel.BANK_CARD, f"debt-{pupil.contract_number}")
    billing.collect_fee_debt(pupil.account_id)
    assert ledger.account(pupil.account_id).fee_debt == 0


def test_summer_pause_is_a_school_setting(ledger: Ledger, world: SchoolWorld) -> None:
    pupil = world.pupil()
    billing = Billing(ledger)
    ledger.change_tariff(pupil.account_id, "mobile")
    billing.set_fee_pause(world.school_id, [6, 7, 8])
    with pytest.raises(InvalidCommandError):
        billing.set_fee_pause(world.school_id, [13])
    assert ledger.school(world.school_id).fee_pause_months == [6, 7, 8]
    assert billing.charge_tariff_fee(pupil.account_id, "2027-07").fee == 0
    assert billing.charge_tariff_fee(pupil.account_id, "2027-09").fee == 9_500


def test_preferences_contact_and_threshold_are_recorded_as_references(
    ledger: Ledger, world: SchoolWorld
) -> None:
    pupil = world.pupil()
    billing = Billing(ledger)
    billing.change_notification_preferences(pupil.account_id, True)
    billing.change_contact(pupil.account_id, "subject:new-contact")
    billing.set_low_balance_threshold(pupil.account_id, 20_000)
    with pytest.raises(InvalidCommandError):
        billing.change_contact(pupil.account_id, "mama@example.org")
    with pytest.raises(InvalidAmountError):
        billing.set_low_balance_threshold(pupil.account_id, -1)
    account = ledger.account(pupil.account_id)
    assert (account.service_only, account.contact_ref, account.low_balance_threshold) == (
        True, "subject:new-contact", 20_000)  # fmt: skip
    assert isinstance(account, Account)


def test_an_autopayment_is_requested_once_per_period_and_credited_once(
    travelled: datetime, ledger: Ledger, world: SchoolWorld
) -> None:
    month, day = today(NSK).strftime("%Y-%m"), today(NSK)
    first_day, second_day = day.isoformat(), (day + timedelta(days=1)).isoformat()
    pupil = world.pupil(deposit=10_000)
    billing = Billing(ledger)
    monthly = billing.schedule_autopayment(pupil.account_id, MONTHLY, 30_000, day=5,
                                           card_id=CARD)  # fmt: skip
    threshold = billing.schedule_autopayment(pupil.account_id, THRESHOLD, 50_000, below=25_000,
                                             card_id=CARD)  # fmt: skip

    first = billing.request_autopayment(monthly, month)
    assert first is not None
    assert first == billing.request_autopayment(monthly, month)
    billing.settle_autopayment(monthly, month, succeeded=True)
    billing.settle_autopayment(monthly, month, succeeded=True)
    assert ledger.account(pupil.account_id).regular == 40_000

    assert billing.request_autopayment(threshold, first_day) is None  # 400 ₽ is not below 250 ₽
    world.tap("canteen_pos", pupil.uid, items=[{"code": "L", "name": "Обед", "price": 20_000,
                                               "quantity": 1, "meal": True}])  # fmt: skip
    request = billing.request_autopayment(threshold, second_day)
    assert request is not None
    assert request["amount"] == 50_000 - 20_000
    billing.settle_autopayment(threshold, second_day, succeeded=False, reason="card expired")
    billing.settle_autopayment(threshold, second_day, succeeded=False, reason="card expired")
    failures = [e for e in ledger.repository.event_store.get(threshold)
                if e.__class__.__name__ == "PaymentFailed"]  # fmt: skip
    assert len(failures) == 1


def test_an_account_snapshot_from_before_fees_reads_with_defaults(
    ledger: Ledger, world: SchoolWorld
) -> None:
    import json
    from dataclasses import replace

    pupil = world.pupil()
    ledger.change_tariff(pupil.account_id, "mobile")
    stored = ledger.mapper.to_stored_event(Account.Snapshot.take(ledger.account(pupil.account_id)))
    old = json.loads(stored.state)
    old.pop("class_version")
    for field in ("service_only", "contact_ref", "low_balance_threshold", "fee_debt",
                  "tariff_history"):  # fmt: skip
        old["state"].pop(field)
    snapshot: Any = ledger.mapper.to_domain_event(replace(stored, state=json.dumps(old).encode()))

    account = snapshot.mutate(None)
    assert isinstance(account, Account)
    assert (account.service_only, account.contact_ref, account.fee_debt) == (False, None, 0)
    assert [tariff for _, tariff in account.tariff_history] == ["mobile"]
