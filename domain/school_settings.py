"""A school's settings as events: each change says what, from which school-local date on, and
(as every event) who made it and when.

`SettingScheduled` is a `School` event: the school keeps a timeline per setting, and the
decisions ask for the value in effect on their own school-local day (`on`). Before the first
scheduled change of a setting, what the school was registered with (the overdraft) or set
directly (calendar, fee pause, offline cap) applies, else the operator's default.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import UUID

from domain.dispute import Calendar
from domain.errors import InvalidCommandError
from domain.fees import check_pause_months
from domain.fields import check_date, contact, one_of, whole_within
from domain.kinds import Channel
from domain.money import MAX_TOP_UP, parse_rate
from domain.recorded import register_events
from domain.school import School, check_calendar_days, check_offline_cap, check_overdraft

if TYPE_CHECKING:
    from domain.ledger import Ledger

OVERDRAFT, CALENDAR, FEE_PAUSE = "meal_overdraft", "calendar", "fee_pause"
OFFLINE_CAP, LOW_BALANCE = "offline_cap", "low_balance_default"
CASEWORK_CONTACT = "casework_contact"  # a personal-data ref whose e-mail hears of new disputes
COMMISSION = "commission"  # "commission:<channel>"
PREORDER_CUTOFF = "preorder_cutoff"  # "HH:MM" school-local, on the day before the meal
DEFAULT_PREORDER_CUTOFF = "16:00"
_HH_MM = re.compile(r"([01]\d|2[0-3]):[0-5]\d")
MAX_RATE = Decimal("0.2")
TIMELINE_KEPT = 100  # changes kept per setting (older ones are in the log)


class SettingScheduled(School.Event):
    """`setting` takes `value` from `effective_from` (a school-local ISO date) on."""

    TOPIC = "infoshkola.school_settings.SettingScheduled"
    setting: str
    value: Any
    effective_from: str

    def apply(self, school: School) -> None:
        timeline = dict(getattr(school, "timeline", {}))
        entries = [e for e in timeline.get(self.setting, []) if e[0] != self.effective_from]
        entries.append([self.effective_from, self.value])
        timeline[self.setting] = sorted(entries, key=lambda e: str(e[0]))[-TIMELINE_KEPT:]
        school.timeline = timeline  # type: ignore[attr-defined]


register_events(SettingScheduled)


def commission_setting(channel: str) -> str:
    return f"{COMMISSION}:{one_of(Channel, channel, what='a payment channel').value}"


def check_value(setting: str, value: Any, today: date) -> Any:
    """The value as it is recorded, or InvalidCommandError."""
    if setting == OVERDRAFT:
        return check_overdraft(value)
    if setting == OFFLINE_CAP:
        return check_offline_cap(value)
    if setting == LOW_BALANCE:
        if not whole_within(value, 0, MAX_TOP_UP):
            raise InvalidCommandError(f"a low-balance threshold is 0 to {MAX_TOP_UP} kopecks")
        return value
    if setting == FEE_PAUSE:
        if not isinstance(value, list | tuple) or len(value) > 12:
            raise InvalidCommandError("the fee pause is a list of months 1..12")
        return check_pause_months(list(value))
    if setting == CALENDAR:
        return check_calendar(value, today)
    if setting == CASEWORK_CONTACT:
        return contact(value, what="the casework contact")
    if setting == PREORDER_CUTOFF:
        if not isinstance(value, str) or not _HH_MM.fullmatch(value):
            raise InvalidCommandError("a pre-order cut-off is a time HH:MM, 00:00 to 23:59")
        return value
    if setting.startswith(f"{COMMISSION}:"):
        commission_setting(setting.partition(":")[2])
        if not isinstance(value, str):
            raise InvalidCommandError("a commission rate is a decimal string such as '0.05'")
        rate = parse_rate(value)
        if rate > MAX_RATE:
            raise InvalidCommandError(f"a commission rate is at most {MAX_RATE}")
        return str(rate)
    raise InvalidCommandError(f"{setting!r} is not a school setting")


def check_calendar(value: Any, today: date) -> dict[str, list[Any]]:
    if not isinstance(value, dict) or set(value) != {"weekend_days", "holidays"}:
        raise InvalidCommandError("a calendar has weekend_days and holidays")
    days, dates = check_calendar_days(value["weekend_days"], value["holidays"], today)
    return {"weekend_days": days, "holidays": dates}


def schedule(school: School, setting: str, value: Any, effective_from: object, today: date) -> None:
    """Record a change from `effective_from` on: today or later (what was decided stands)."""
    day = check_date(effective_from, today, what="the date a setting takes effect")
    if day < today:
        raise InvalidCommandError("a setting takes effect today or later, never in the past")
    recorded = check_value(setting, value, today)
    school.trigger_event(
        SettingScheduled, setting=setting, value=recorded, effective_from=day.isoformat()
    )


def on(school: School, setting: str, day: date) -> Any:
    """The value of `setting` in effect on `day`, None before its first scheduled change."""
    found = None
    for since, value in getattr(school, "timeline", {}).get(setting, []):
        if since <= day.isoformat():
            found = value
        else:
            break
    return found


def overdraft_on(school: School, day: date) -> int:
    found = on(school, OVERDRAFT, day)
    return school.meal_overdraft if found is None else int(found)


def offline_cap_on(school: School, day: date, default: int) -> int:
    found = on(school, OFFLINE_CAP, day)
    if found is not None:
        return int(found)
    return default if school.offline_cap is None else school.offline_cap


def calendar_on(school: School, day: date) -> Calendar:
    found = on(school, CALENDAR, day)
    if found is None:
        return school.calendar
    return Calendar(tuple(found["weekend_days"]), frozenset(found["holidays"]))


def fee_pause_on(school: School, day: date) -> list[int]:
    """The months (1..12) without a tariff fee, as in effect on `day`."""
    found = on(school, FEE_PAUSE, day)
    return school.fee_pause_months if found is None else list(found)


def fee_paused(school: School, month_start: date) -> bool:
    return month_start.month in fee_pause_on(school, month_start)


def commission_rate_on(school: School, channel: str, day: date, default: str) -> str:
    found = on(school, commission_setting(channel), day)
    return default if found is None else str(found)


def low_balance_default_on(school: School, day: date) -> int:
    found = on(school, LOW_BALANCE, day)
    return 0 if found is None else int(found)


def preorder_cutoff_on(school: School, day: date) -> str:
    """The school-local time ("HH:MM"), on the day before a meal, when its pre-orders close."""
    found = on(school, PREORDER_CUTOFF, day)
    return DEFAULT_PREORDER_CUTOFF if found is None else str(found)


@dataclass(frozen=True)
class Current:
    meal_overdraft: int
    offline_cap: int
    low_balance_default: int
    fee_pause_months: list[int]
    weekend_days: list[int]
    holidays: list[str]
    commission_rates: dict[str, str]


def current(school: School, day: date, offline_default: int, rates: dict[str, str]) -> Current:
    calendar = calendar_on(school, day)
    return Current(
        meal_overdraft=overdraft_on(school, day),
        offline_cap=offline_cap_on(school, day, offline_default),
        low_balance_default=low_balance_default_on(school, day),
        fee_pause_months=list(fee_pause_on(school, day)),
        weekend_days=list(calendar.weekend_days),
        holidays=sorted(calendar.holidays),
        commission_rates={c: commission_rate_on(school, c, day, r) for c, r in rates.items()},
    )


def schedule_setting(
    ledger: "Ledger", school_id: UUID, setting: str, value: Any, effective_from: object
) -> int:
    """Record a change of `setting` on the school, effective from a school-local date
    (None: today)."""

    def command(school: School) -> None:
        today = school.local_date(ledger.clock())
        schedule(school, setting, value, today if effective_from is None else effective_from,
                 today)  # fmt: skip

    return ledger._on_school(school_id, command)


@dataclass(frozen=True)
class Change:
    setting: str
    value: Any
    effective_from: str
    actor: str
    at: datetime


def history(ledger: "Ledger", school_id: UUID) -> list[Change]:
    """Every scheduled change of the school's settings, oldest first, with who and when."""
    ledger.school(school_id)
    return [
        Change(e.setting, e.value, e.effective_from, e.actor, e.timestamp)
        for e in ledger.events.get(school_id)
        if isinstance(e, SettingScheduled)
    ]
