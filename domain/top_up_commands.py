"""Money in at the ledger: a top-up from any channel and the kiosk's card activation with its
first cash deposit, credited with the school's commission and recorded once per payment id
(a repeated payment gets its first result back).
"""

from collections.abc import Mapping
from dataclasses import dataclass
from uuid import UUID

from domain import school_settings
from domain.account import Account
from domain.commands import Commands
from domain.errors import InvalidCommandError, PaymentConflictError
from domain.fields import IDENT, check_amount, one_of, text
from domain.kinds import Channel, TerminalKind
from domain.money import MAX_TOP_UP
from domain.money import commission as commission_on
from domain.payment import Payment, credit_once, payment_record_id
from domain.tap import normalise_uid

DEFAULT_COMMISSION_RATES: Mapping[str, str] = {
    Channel.KIOSK_CASH: "0",
    Channel.BANK_CARD: "0.05",
    Channel.AUTOPAY: "0.05",
    Channel.SBP: "0",
}


@dataclass(frozen=True)
class TopUpResult:
    account_id: UUID
    payment_id: str
    amount: int
    commission: int
    commission_rate: str
    regular_after: int
    position: int
    replayed: bool = False


class TopUpCommands(Commands):
    commission_rates: Mapping[str, str]

    def activate_card(
        self,
        uid: str,
        offer_version: str,
        parent_phone_ref: str,
        deposit: int,
        payment_id: str,
        terminal_id: UUID,
    ) -> TopUpResult:
        """The kiosk flow: accept the offer, give a phone, pay at least 100 ₽ in cash."""
        uid = normalise_uid(uid)
        check_amount(deposit, what="first deposit", maximum=MAX_TOP_UP)
        text(payment_id, IDENT, what="a payment id")
        self._check_terminal_kind(terminal_id, TerminalKind.KIOSK)

        def attempt() -> TopUpResult:
            account = self.account(self.card_account_id(uid))
            replay = self._replayed_payment(payment_id, account.id, deposit, Channel.KIOSK_CASH)
            if replay is not None:
                return replay
            account.activate_card(uid, offer_version, parent_phone_ref, deposit)
            return self._credit(account, deposit, Channel.KIOSK_CASH, payment_id, terminal_id)

        return self._retry(attempt)

    def top_up(
        self,
        account_id: UUID,
        amount: int,
        channel: str,
        payment_id: str,
        terminal_id: UUID | None = None,
    ) -> TopUpResult:
        paid_by = one_of(Channel, channel, what="a payment channel")
        check_amount(amount, what="top-up", maximum=MAX_TOP_UP)
        text(payment_id, IDENT, what="a payment id")
        if paid_by == Channel.KIOSK_CASH:
            if terminal_id is None:
                raise InvalidCommandError("a cash deposit names the kiosk that took it")
            self._check_terminal_kind(terminal_id, TerminalKind.KIOSK)

        def attempt() -> TopUpResult:
            account = self.account(account_id)
            replay = self._replayed_payment(payment_id, account.id, amount, paid_by)
            if replay is not None:
                return replay
            return self._credit(account, amount, paid_by, payment_id, terminal_id)

        return self._retry(attempt)

    def _credit(
        self,
        account: Account,
        amount: int,
        channel: Channel,
        payment_id: str,
        terminal_id: UUID | None,
    ) -> TopUpResult:
        school = self.school(account.school_id)
        day = self.clock().astimezone(school.zone).date()
        rate = school_settings.commission_rate_on(
            school, channel, day, self.commission_rates[channel]
        )
        fee = commission_on(amount, rate)
        payment = credit_once(account, payment_id, amount, channel, fee, rate, terminal_id)
        position = self._position(self.save(account, payment))
        return TopUpResult(account.id, payment_id, position=position, **payment.result)

    def _replayed_payment(
        self, payment_id: str, account_id: UUID, amount: int, channel: Channel
    ) -> TopUpResult | None:
        payment = self._find(payment_record_id(payment_id), Payment)
        if payment is None:
            return None
        if not payment.matches(account_id, amount, channel):
            raise PaymentConflictError(
                f"payment {payment_id} was already received with different details"
            )
        return TopUpResult(
            account_id,
            payment_id,
            position=self.recorder.max_notification_id() or 0,
            replayed=True,
            **payment.result,
        )
