"""Commands the workers run against the ledger: fees, autopayments, notification settings.

`Billing` wraps a `Ledger` (one method per command, each reloading and retrying on a
version conflict like the ledger's own). A month's fee is recorded together with an index
record whose id derives from (account, period), so a second charge for the same period
conflicts in the event store: fees are charged at most once per account and month.
"""

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from domain import school_settings
from domain.autopay import Autopayment
from domain.errors import InvalidCommandError, NotFoundError
from domain.fees import check_period, first_day, quote_fee
from domain.index import Index, index_id
from domain.kinds import Channel
from domain.ledger import Ledger
from domain.top_up_request import TopUpRequest, TopUpResult


class UnknownAutopaymentError(NotFoundError):
    code = "unknown_autopayment"


def fee_key(account_id: UUID, period: str) -> str:
    return f"fee/{account_id}/{period}"


@dataclass(frozen=True)
class FeeResult:
    account_id: UUID
    period: str
    fee: int
    charged: int
    debt: int
    replayed: bool = False


class Billing:
    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger

    # Settings parents and schools change

    def change_notification_preferences(self, account_id: UUID, service_only: bool) -> int:
        return self.ledger._on_account(
            account_id, lambda a: a.change_notification_preferences(service_only)
        )

    def change_contact(self, account_id: UUID, contact_ref: str) -> int:
        return self.ledger._on_account(account_id, lambda a: a.change_contact(contact_ref))

    def set_low_balance_threshold(self, account_id: UUID, threshold: int) -> int:
        return self.ledger._on_account(account_id, lambda a: a.set_low_balance_threshold(threshold))

    def set_fee_pause(self, school_id: UUID, months: list[int]) -> int:
        return self.ledger._on_school(school_id, lambda s: s.set_fee_pause(months))

    # Monthly fees

    def charge_tariff_fee(self, account_id: UUID, period: str) -> FeeResult:
        """Charge `period`'s fee once; a repeat returns what was charged the first time."""
        check_period(period)
        key = index_id(fee_key(account_id, period))

        def attempt() -> FeeResult:
            account = self.ledger.account(account_id)
            if self.ledger._find(key, Index) is not None:
                for e in self.ledger.repository.event_store.get(account_id, desc=True):
                    if isinstance(e, account.TariffFeeCharged) and e.period == period:
                        return FeeResult(
                            account_id, period, e.fee, e.amount, e.fee - e.amount, True
                        )
                return FeeResult(account_id, period, 0, 0, 0, replayed=True)
            school = self.ledger.school(account.school_id)
            paused = school_settings.fee_paused(school, first_day(period))
            quote = quote_fee(account.tariff_history, period, school.zone, paused)
            before = account.regular
            account.charge_tariff_fee(quote)
            self.ledger.save(account, Index.assign(fee_key(account_id, period), account_id))
            charged = before - account.regular
            return FeeResult(account_id, period, quote.fee, charged, quote.fee - charged)

        return self.ledger._retry(attempt)

    def collect_fee_debt(self, account_id: UUID) -> int:
        return self.ledger._on_account(account_id, lambda a: a.collect_fee_debt())

    # Autopayments

    def schedule_autopayment(
        self,
        account_id: UUID,
        kind: str,
        amount: int,
        *,
        below: int = 0,
        day: int = 1,
        card_id: str,
    ) -> UUID:
        self.ledger.account(account_id).check_open()
        schedule = Autopayment.schedule(account_id, kind, amount, below, day, card_id)
        self.ledger.save(schedule)
        return schedule.id

    def cancel_autopayment(self, schedule_id: UUID, reason: str) -> int:
        return self.ledger._on(lambda: self.autopayment(schedule_id), lambda s: s.cancel(reason))

    def request_autopayment(self, schedule_id: UUID, period: str) -> dict[str, Any] | None:
        """Decide (once per period) whether and how much to charge; None when not due."""

        def attempt() -> dict[str, Any] | None:
            schedule = self.autopayment(schedule_id)
            balance = self.ledger.account(schedule.account_id).regular
            request = schedule.request(period, balance)
            self.ledger.save(schedule)
            return request

        return self.ledger._retry(attempt)

    def settle_autopayment(
        self, schedule_id: UUID, period: str, succeeded: bool, reason: str = ""
    ) -> TopUpResult | None:
        """The provider's verdict: credit the account once, or record the failure once."""
        if succeeded:
            result = self.ledger.handle_top_up(self.autopay_credit(schedule_id, period))
            assert isinstance(result, TopUpResult)
            return result

        def attempt() -> None:
            current = self.autopayment(schedule_id)
            current.record_failure(period, reason or "платёж отклонён")
            self.ledger.save(current)

        self.ledger._retry(attempt)
        return None

    def autopay_credit(self, schedule_id: UUID, period: str) -> TopUpRequest:
        """The credit of a succeeded autopayment, once per its payment id (saved alone by
        `settle_autopayment`, or in a group commit with taps by the API's webhook)."""
        schedule = self.autopayment(schedule_id)
        request = schedule.requests.get(period)
        if request is None:
            raise InvalidCommandError(f"no autopayment was requested for {period}")
        return TopUpRequest(
            schedule.account_id, request["amount"], Channel.AUTOPAY, request["payment_id"]
        )

    def autopayment(self, schedule_id: UUID) -> Autopayment:
        error = UnknownAutopaymentError(f"autopayment {schedule_id} is unknown")
        return self.ledger._get(schedule_id, Autopayment, error)
