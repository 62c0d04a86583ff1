"""Date-sensitive rules at every instant of the date sweep (tests/clock.py).

Each test runs with the clock travelled to a sweep instant, for a school in Novosibirsk (no
DST, UTC+7) and one in Berlin (DST), and states its expectation from the calendar alone.
"""

import calendar
from datetime import datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from domain.billing import Billing
from domain.casework import request_refund, unreturned_balances
from domain.fees import next_period, period_of
from domain.kinds import DeclineReason, Outcome
from domain.ledger import Ledger
from tests.builders import new_school, snack
from tests.clock import DST_ZONE, SWEEP_ZONE
from workers.feed import first_autopay_period

pytestmark = pytest.mark.sweep
ZONES = pytest.mark.parametrize("zone", [SWEEP_ZONE, DST_ZONE], ids=["Novosibirsk", "Berlin"])
MOBILE = 9_500  # kopecks a month


def next_local_midnight(now: datetime, zone: ZoneInfo) -> datetime:
    return datetime.combine(now.astimezone(zone).date() + timedelta(days=1), time(), zone)


@ZONES
def test_the_daily_limit_starts_again_at_the_schools_local_midnight(
    travelled: datetime, ledger: Ledger, zone: ZoneInfo
) -> None:
    world = new_school(ledger, time_zone=str(zone))
    pupil = world.pupil(deposit=100_000)  # the daily limit is 200 ₽
    assert (
        world.tap("vending", pupil.uid, items=[snack(15_000)]).decision.outcome == Outcome.APPROVED
    )
    over = world.tap("vending", pupil.uid, items=[snack(10_000)]).decision
    assert (over.outcome, over.reason) == (Outcome.DECLINED, DeclineReason.DAILY_LIMIT)

    with time_machine.travel(next_local_midnight(travelled, zone) + timedelta(minutes=1)):
        again = world.tap("vending", pupil.uid, items=[snack(10_000)]).decision
    assert again.outcome == Outcome.APPROVED


@ZONES
def test_a_tariff_taken_today_is_charged_from_today_to_the_end_of_the_local_month(
    travelled: datetime, ledger: Ledger, zone: ZoneInfo
) -> None:
    world = new_school(ledger, time_zone=str(zone))
    pupil = world.pupil()
    ledger.change_tariff(pupil.account_id, "mobile")
    today = travelled.astimezone(zone).date()
    days_in_month = calendar.monthrange(today.year, today.month)[1]
    expected = Decimal(MOBILE * (days_in_month - today.day + 1)) / days_in_month
    billing = Billing(ledger)

    this_month = billing.charge_tariff_fee(pupil.account_id, period_of(today))
    following = billing.charge_tariff_fee(pupil.account_id, next_period(period_of(today)))

    assert this_month.fee == int(expected.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    assert following.fee == MOBILE


@ZONES
def test_the_summer_pause_charges_nothing_for_the_paused_local_months(
    travelled: datetime, ledger: Ledger, zone: ZoneInfo
) -> None:
    world = new_school(ledger, time_zone=str(zone))
    billing = Billing(ledger)
    billing.set_fee_pause(world.school_id, [6, 7, 8])
    pupil = world.pupil()
    ledger.change_tariff(pupil.account_id, "mobile")
    today = travelled.astimezone(zone).date()
    period = next_period(period_of(today))
    while int(period[5:]) != 7:
        period = next_period(period)
    september = next_period(next_period(period))

    assert billing.charge_tariff_fee(pupil.account_id, period).fee == 0
    assert billing.charge_tariff_fee(pupil.account_id, september).fee == MOBILE
    current = billing.charge_tariff_fee(pupil.account_id, period_of(today)).fee
    assert (current == 0) == (today.month in (6, 7, 8))


@ZONES
@pytest.mark.parametrize("day", [1, 15, 28])
def test_a_monthly_autopayment_starts_in_the_local_month_while_its_day_is_ahead(
    travelled: datetime, zone: ZoneInfo, day: int
) -> None:
    today = travelled.astimezone(zone).date()
    expected = period_of(today) if today.day <= day else next_period(period_of(today))
    assert first_autopay_period(today, day) == expected


@ZONES
def test_a_refund_has_waited_whole_days_since_it_was_requested(
    travelled: datetime, ledger: Ledger, zone: ZoneInfo
) -> None:
    world = new_school(ledger, time_zone=str(zone))
    pupil = world.pupil(deposit=30_000)
    request_refund(ledger, pupil.account_id)  # to the kiosk deposit it came from

    with time_machine.travel(travelled + timedelta(days=3, hours=1)):
        waiting = unreturned_balances(ledger, ledger.clock(), world.school_id)
    assert [(u.account_id, u.waiting_days) for u in waiting] == [(pupil.account_id, 3)]
