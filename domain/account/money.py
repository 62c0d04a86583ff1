"""Money in: top-ups of the regular wallet, the subsidy and its credits."""

from uuid import UUID

from domain.account.state import AccountState, CreditsRegular
from domain.errors import SubsidyError
from domain.fields import IDENT, REASON, check_amount, text
from domain.kinds import Channel
from domain.money import MAX_DAILY_LIMIT, MAX_TOP_UP


class Money(AccountState):
    class ToppedUp(CreditsRegular):
        TOPIC = "infoshkola.account.ToppedUp"
        channel: str
        commission: int
        commission_rate: str
        payment_id: str
        terminal_id: UUID | None

    class SubsidyGranted(AccountState.Event):
        TOPIC = "infoshkola.account.SubsidyGranted"
        basis: str
        daily_allowance: int

        def apply(self, a: AccountState) -> None:
            a.subsidy = {"basis": self.basis, "daily_allowance": self.daily_allowance}

    class SubsidyRevoked(AccountState.Event):
        TOPIC = "infoshkola.account.SubsidyRevoked"
        reason: str

        def apply(self, a: AccountState) -> None:
            a.subsidy = None

    class SubsidyCredited(AccountState.Event):
        TOPIC = "infoshkola.account.SubsidyCredited"
        amount: int
        period: str

        def apply(self, a: AccountState) -> None:
            a.subsidised += self.amount

    def top_up(
        self,
        amount: int,
        channel: Channel,
        commission: int,
        commission_rate: str,
        payment_id: str,
        terminal_id: UUID | None = None,
    ) -> None:
        self.check_open()
        check_amount(amount, what="top-up", maximum=MAX_TOP_UP)
        payment_id = text(payment_id, IDENT, what="a payment id")
        self.trigger_event(
            self.ToppedUp,
            amount=amount,
            channel=channel.value,
            commission=commission,
            commission_rate=commission_rate,
            payment_id=payment_id,
            terminal_id=terminal_id,
        )

    def grant_subsidy(self, basis: str, daily_allowance: int) -> None:
        self.check_open()
        basis = text(basis, REASON, what="a subsidy's legal basis")
        check_amount(daily_allowance, what="daily allowance", maximum=MAX_DAILY_LIMIT)
        self.trigger_event(self.SubsidyGranted, basis=basis, daily_allowance=daily_allowance)

    def revoke_subsidy(self, reason: str) -> None:
        if self.subsidy is None:
            raise SubsidyError("this account has no subsidy to revoke")
        reason = text(reason, REASON, what="why the subsidy ends")
        self.trigger_event(self.SubsidyRevoked, reason=reason)

    def credit_subsidy(self, amount: int, period: str) -> None:
        self.check_open()
        if self.subsidy is None:
            raise SubsidyError("only an account with a subsidy can be credited")
        check_amount(amount, what="subsidy credit", maximum=MAX_TOP_UP)
        period = text(period, IDENT, what="a subsidy credit's period")
        self.trigger_event(self.SubsidyCredited, amount=amount, period=period)
