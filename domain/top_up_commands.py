"""Money in at the ledger: a top-up from any channel and the kiosk's card activation with its
first cash deposit, credited with the school's commission and recorded once per payment id
(a repeated payment gets its first result back).
"""

from collections.abc import Mapping
from dataclasses import replace
from uuid import UUID

from domain.account import Account
from domain.commands import Commands
from domain.errors import InvalidCommandError, PaymentConflictError
from domain.fields import IDENT, check_amount, one_of, text
from domain.kinds import Channel, TerminalKind
from domain.money import MAX_TOP_UP
from domain.money import commission as commission_on
from domain.payment import Payment, credit_once, payment_record_id
from domain.pending import Pending
from domain.tap import normalise_uid
from domain.top_up_request import (
    ActivateRequest,
    MoneyRequest,
    MoneyResult,
    PendingTopUp,
    Settled,
    SettleRequest,
    TopUpRequest,
    TopUpResult,
)
from domain.topup import (
    CardPayment,
    TopUpStatus,
    UnknownPaymentError,
    card_payment_id,
    rate_for,
)

DEFAULT_COMMISSION_RATES: Mapping[str, str] = {
    Channel.KIOSK_CASH: "0",
    Channel.BANK_CARD: "0.05",
    Channel.AUTOPAY: "0.05",
    Channel.SBP: "0",
}


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
        result = self.handle_top_up(
            ActivateRequest(uid, offer_version, parent_phone_ref, deposit, payment_id, terminal_id)
        )
        assert isinstance(result, TopUpResult)
        return result

    def top_up(
        self,
        account_id: UUID,
        amount: int,
        channel: str,
        payment_id: str,
        terminal_id: UUID | None = None,
    ) -> TopUpResult:
        result = self.handle_top_up(
            TopUpRequest(account_id, amount, channel, payment_id, terminal_id)
        )
        assert isinstance(result, TopUpResult)
        return result

    def handle_top_up(self, request: MoneyRequest) -> MoneyResult:
        """Decide a top-up or a verdict and save it alone, again after a version conflict
        (`domain/group_commit.py` saves many with taps)."""
        return self._retry(lambda: self._saved(self.decide_top_up(request)))

    def _saved(self, pending: PendingTopUp) -> MoneyResult:
        if pending.replayed or not pending.aggregates:
            position = self._head()
        else:
            position = self._position(self.save(*pending.aggregates))
        return replace(pending.answer, position=position)

    def decide_top_up(self, request: MoneyRequest) -> PendingTopUp:
        """Decide on the current state without saving: the credit and its `Payment` record,
        or the first result of a repeated payment id (`PaymentConflictError` when its
        details differ)."""
        if isinstance(request, SettleRequest):
            return self._decide_settle(request)
        if isinstance(request, ActivateRequest):
            return self._decide_activation(request)
        paid_by = one_of(Channel, request.channel, what="a payment channel")
        check_amount(request.amount, what="top-up", maximum=MAX_TOP_UP)
        text(request.payment_id, IDENT, what="a payment id")
        if paid_by == Channel.KIOSK_CASH:
            if request.terminal_id is None:
                raise InvalidCommandError("a cash deposit names the kiosk that took it")
            self._check_terminal_kind(request.terminal_id, TerminalKind.KIOSK)
        account = self.account(request.account_id)
        replay = self._replayed_payment(request.payment_id, account.id, request.amount, paid_by)
        if replay is not None:
            return Pending(replay, (), replayed=True)
        return self._decide_credit(
            account, request.amount, paid_by, request.payment_id, request.terminal_id
        )

    def _decide_activation(self, request: ActivateRequest) -> PendingTopUp:
        uid = normalise_uid(request.uid)
        deposit, payment_id, terminal_id = request.deposit, request.payment_id, request.terminal_id
        check_amount(deposit, what="first deposit", maximum=MAX_TOP_UP)
        text(payment_id, IDENT, what="a payment id")
        self._check_terminal_kind(terminal_id, TerminalKind.KIOSK)
        account = self.account(self.card_account_id(uid))
        replay = self._replayed_payment(payment_id, account.id, deposit, Channel.KIOSK_CASH)
        if replay is not None:
            return Pending(replay, (), replayed=True)
        account.activate_card(uid, request.offer_version, request.parent_phone_ref, deposit)
        return self._decide_credit(account, deposit, Channel.KIOSK_CASH, payment_id, terminal_id)

    def card_payment(self, payment_id: str) -> CardPayment:
        """A parent's card payment (`domain/topup.py`) by its payment id, once started."""
        error = UnknownPaymentError(f"payment {payment_id} was not started here")
        return self._get(card_payment_id(payment_id), CardPayment, error)

    def _decide_settle(self, request: SettleRequest) -> PendingTopUp:
        """The acquirer's verdict: once; a success credits the quoted amount and commission."""
        payment = self.card_payment(request.payment_id)
        credits = request.succeeded and payment.status == TopUpStatus.STARTED
        if credits and self._find(request.record_id, Payment) is not None:  # before any change:
            # in a group the card payment is shared with the requests after this one
            raise PaymentConflictError(f"payment {request.payment_id} was already credited")
        if not payment.settle(request.succeeded, request.charged, request.reason):
            return Pending(Settled(request.payment_id, payment.status, False, 0), ())
        settled = Settled(request.payment_id, payment.status, request.succeeded, 0)
        if not request.succeeded:
            return Pending(settled, (payment,))
        account = self.account(payment.account_id)
        channel = Channel(payment.channel)
        record = credit_once(
            account, request.payment_id, payment.amount, channel, payment.commission, payment.rate
        )
        return Pending(settled, (account, record, payment))

    def _decide_credit(
        self,
        account: Account,
        amount: int,
        channel: Channel,
        payment_id: str,
        terminal_id: UUID | None,
    ) -> PendingTopUp:
        school = self.school(account.school_id)
        rate = rate_for(school, channel, self.commission_rates, school.local_date(self.clock()))
        fee = commission_on(amount, rate)
        payment = credit_once(account, payment_id, amount, channel, fee, rate, terminal_id)
        result = TopUpResult(account.id, payment_id, position=0, **payment.result)
        return Pending(result, (account, payment))

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
            position=self._head(),
            replayed=True,
            **payment.result,
        )
