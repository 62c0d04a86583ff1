"""Monthly tariff fees: pure functions over a tariff history and a school-local month.

A month's fee is charged in arrears, once, for the period "YYYY-MM". Each school-local day of
the month costs the monthly fee of the tariff in effect at the end of that day divided by the
days in the month; the sum is rounded half up once. So a tariff change pro-rates the fee by
days, an account opened mid-month pays only its own days, and a paused month costs nothing.
"""

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from domain.errors import InvalidCommandError
from domain.fields import whole_within
from domain.kinds import Tariff

MONTHLY_FEES: dict[str, int] = {Tariff.ZERO: 0, Tariff.MOBILE: 9_500, Tariff.SMS_PLUS: 16_500}
HISTORY_KEPT = 48

TariffHistory = list[list[str]]  # [[UTC ISO timestamp, tariff], ...] oldest first


@dataclass(frozen=True)
class FeeQuote:
    period: str
    fee: int
    breakdown: list[dict[str, Any]]  # [{"tariff": "mobile", "days": 10, "monthly": 9500}, ...]


def check_period(period: str) -> str:
    """ "2026-11" is a period; anything else is refused."""
    try:
        parsed = datetime.strptime(period, "%Y-%m")  # noqa: DTZ007 - a month, no time
    except (TypeError, ValueError):
        raise InvalidCommandError(f"{period!r} is not a period YYYY-MM") from None
    if parsed.strftime("%Y-%m") != period:
        raise InvalidCommandError(f"{period!r} is not a period YYYY-MM")
    return period


def period_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def first_day(period: str) -> date:
    year, month = map(int, check_period(period).split("-"))
    return date(year, month, 1)


def next_period(period: str) -> str:
    start = first_day(period)
    return period_of(start + timedelta(days=calendar.monthrange(start.year, start.month)[1]))


def previous_period(period: str) -> str:
    return period_of(first_day(period) - timedelta(days=1))


def periods_between(first: str, last: str) -> list[str]:
    """Every period from `first` to `last`, both included (empty when first > last)."""
    found, current = [], check_period(first)
    while current <= check_period(last):
        found.append(current)
        current = next_period(current)
    return found


def history_after(history: TariffHistory, at: datetime, tariff: str) -> TariffHistory:
    """The tariff history with a change at `at`, keeping the newest entries only."""
    return [*history, [at.astimezone(UTC).isoformat(), tariff]][-HISTORY_KEPT:]


def tariff_at(history: TariffHistory, moment: datetime) -> str | None:
    """The tariff in effect at `moment`, None before the account was opened."""
    current = None
    for since, tariff in history:
        if datetime.fromisoformat(since) <= moment:
            current = tariff
        else:
            break
    return current


def quote_fee(history: TariffHistory, period: str, zone: ZoneInfo, paused: bool) -> FeeQuote:
    """The fee for `period` at the school's `zone`; zero for a paused month."""
    start = first_day(period)
    days_in_month = calendar.monthrange(start.year, start.month)[1]
    days: dict[str, int] = {}
    if not paused:
        for offset in range(days_in_month):
            end_of_day = datetime.combine(start + timedelta(days=offset + 1), time(), zone)
            tariff = tariff_at(history, end_of_day - timedelta(microseconds=1))
            if tariff is not None and MONTHLY_FEES.get(tariff, 0) > 0:
                days[tariff] = days.get(tariff, 0) + 1
    exact = sum((Decimal(MONTHLY_FEES[t]) * n / days_in_month for t, n in days.items()), Decimal(0))
    fee = int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    breakdown = [
        {"tariff": t, "days": n, "days_in_month": days_in_month, "monthly": MONTHLY_FEES[t]}
        for t, n in sorted(days.items())
    ]
    return FeeQuote(period, fee, breakdown)


def check_pause_months(months: list[int]) -> list[int]:
    if not all(whole_within(m, 1, 12) for m in months):
        raise InvalidCommandError(f"pause months are 1..12, got {months!r}")
    return sorted(set(months))
