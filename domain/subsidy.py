"""The subsidised wallet's daily allowance: credited on school days, once per pupil and day.

A `SubsidyDay` record, its id derived from (account, school-local date), is saved in the same
transaction as the credit: a second credit of the same day conflicts in the event store, so
however often the scheduler or a worker retries, a pupil is credited once per day. Closed days
(weekends, holidays: the school's calendar in effect that day) credit nothing.
"""

from datetime import date
from typing import TYPE_CHECKING
from uuid import UUID

from domain import school_settings
from domain.enrolment import contract_ended
from domain.recorded import AssignsFields, Recorded, derived_id

if TYPE_CHECKING:
    from domain.ledger import Ledger

CREDITED, ALREADY, NO_SUBSIDY, LEFT, CLOSED_DAY = (
    "credited", "already", "no_subsidy", "left", "closed_day",
)  # fmt: skip


def subsidy_day_id(account_id: UUID, day: date) -> UUID:
    return derived_id("subsidy-day", account_id, day.isoformat())


class SubsidyDay(Recorded):
    TOPIC = "infoshkola.subsidy.SubsidyDay"

    class Credited(AssignsFields, Recorded.Created):
        TOPIC = "infoshkola.subsidy.Credited"
        account_id: UUID
        day: str
        amount: int

    if TYPE_CHECKING:  # state assigned by the events' apply methods
        account_id: UUID
        day: str
        amount: int

    @classmethod
    def record(cls, account_id: UUID, day: date, amount: int) -> "SubsidyDay":
        return cls._create(
            cls.Credited,
            id=subsidy_day_id(account_id, day),
            account_id=account_id,
            day=day.isoformat(),
            amount=amount,
        )


def credit_daily_allowance(ledger: "Ledger", account_id: UUID, day: date) -> str:
    """Credit the account's daily allowance for `day` (a school-local date), at most once."""

    def attempt() -> str:
        if ledger._find(subsidy_day_id(account_id, day), SubsidyDay) is not None:
            return ALREADY
        account = ledger.account(account_id)
        if account.subsidy is None:
            return NO_SUBSIDY
        if account.closed or contract_ended(account):
            return LEFT
        school = ledger.school(account.school_id)
        if not school_settings.calendar_on(school, day).is_open(day):
            return CLOSED_DAY
        amount = int(account.subsidy["daily_allowance"])
        account.credit_subsidy(amount, day.isoformat())
        ledger.save(account, SubsidyDay.record(account_id, day, amount))
        return CREDITED

    return ledger._retry(attempt)
