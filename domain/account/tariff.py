"""The tariff, the daily limit, and the monthly fee the tariff costs (rules in domain/fees.py)."""

from typing import Any

from domain.account.state import AccountState, DebitsRegular
from domain.errors import InvalidAmountError
from domain.fees import FeeQuote, history_after
from domain.fields import check_limit, one_of
from domain.kinds import Tariff
from domain.money import MAX_DAILY_LIMIT


class TariffAndFees(AccountState):
    class TariffChanged(AccountState.Event):
        TOPIC = "infoshkola.account.TariffChanged"
        tariff: str
        previous: str

        def apply(self, a: AccountState) -> None:
            a.tariff = self.tariff
            a.tariff_history = history_after(a.tariff_history, self.timestamp, self.tariff)

    class DailyLimitChanged(AccountState.Event):
        TOPIC = "infoshkola.account.DailyLimitChanged"
        limit: int
        previous: int

        def apply(self, a: AccountState) -> None:
            a.daily_limit = self.limit

    class TariffFeeCharged(DebitsRegular):
        """The month's fee: `amount` of it taken from the wallet, the rest a debt."""

        TOPIC = "infoshkola.account.TariffFeeCharged"
        period: str
        fee: int
        breakdown: list[dict[str, Any]]

    class FeeDebtRecorded(AccountState.Event):
        TOPIC = "infoshkola.account.FeeDebtRecorded"
        period: str
        amount: int

        def apply(self, a: AccountState) -> None:
            a.fee_debt += self.amount

    class FeeDebtCollected(DebitsRegular):
        TOPIC = "infoshkola.account.FeeDebtCollected"

        def apply(self, a: AccountState) -> None:
            super().apply(a)
            a.fee_debt -= self.amount

    def change_tariff(self, tariff: str) -> None:
        new = one_of(Tariff, tariff, what="a tariff").value
        if new != self.tariff:
            self.trigger_event(self.TariffChanged, tariff=new, previous=self.tariff)

    def change_daily_limit(self, limit: int) -> None:
        limit = check_limit(limit, what="daily limit", maximum=MAX_DAILY_LIMIT)
        if limit != self.daily_limit:
            self.trigger_event(self.DailyLimitChanged, limit=limit, previous=self.daily_limit)

    def charge_tariff_fee(self, quote: FeeQuote) -> None:
        """Take a month's fee from the regular wallet; what it cannot cover becomes a debt."""
        if quote.fee < 0:
            raise InvalidAmountError("a fee is never negative")
        if quote.fee == 0:
            return
        amount = min(quote.fee, max(self.regular, 0))
        self.trigger_event(
            self.TariffFeeCharged,
            period=quote.period,
            fee=quote.fee,
            amount=amount,
            breakdown=quote.breakdown,
        )
        if quote.fee > amount:
            self.trigger_event(self.FeeDebtRecorded, period=quote.period, amount=quote.fee - amount)

    def collect_fee_debt(self) -> None:
        """Take what the wallet can of an outstanding fee debt, never below zero."""
        amount = min(self.fee_debt, max(self.regular, 0))
        if amount > 0:
            self.trigger_event(self.FeeDebtCollected, amount=amount)
