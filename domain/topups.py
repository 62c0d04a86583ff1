"""Commands of parent-started top-ups (rules in `domain.topup`), over the `Ledger`.

Starting records the `CardPayment` with its quote; the acquirer is asked by the caller (an
adapter) for a payment page. Settling is the webhook's: a success credits the account with
the quoted commission and records the `Payment` in the same transaction, so a repeated
webhook credits nothing more.
"""

from dataclasses import dataclass
from uuid import UUID

from domain.errors import PaymentConflictError
from domain.kinds import Channel
from domain.ledger import Ledger
from domain.payment import Payment, credit_once, payment_record_id
from domain.topup import (
    CardPayment,
    Quote,
    UnknownPaymentError,
    card_payment_id,
    new_payment_id,
    quote,
)


@dataclass(frozen=True)
class Settled:
    payment_id: str
    status: str
    credited: bool
    position: int


class TopUps:
    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger

    def quote(self, account_id: UUID, amount: int, channel: str) -> Quote:
        account = self.ledger.account(account_id)
        account.check_open()
        school = self.ledger.school(account.school_id)
        day = self.ledger.clock().astimezone(school.zone).date()
        return quote(amount, channel, school, self.ledger.commission_rates, day)

    def start(self, account_id: UUID, amount: int, channel: str) -> tuple[CardPayment, int]:
        q = self.quote(account_id, amount, channel)
        payment = CardPayment.start(new_payment_id(), account_id, q)
        return payment, self.ledger._position(self.ledger.save(payment))

    def payment(self, payment_id: str) -> CardPayment:
        found = self.ledger._find(card_payment_id(payment_id), CardPayment)
        if found is None:
            raise UnknownPaymentError(f"payment {payment_id} was not started here")
        return found

    def settle(self, payment_id: str, succeeded: bool, charged: int, reason: str = "") -> Settled:
        """The acquirer's verdict: once; a success credits the quoted amount."""

        def attempt() -> Settled:
            payment = self.payment(payment_id)
            if not payment.settle(succeeded, charged, reason):
                position = self.ledger.recorder.max_notification_id() or 0
                return Settled(payment_id, payment.status, False, position)
            if not succeeded:
                position = self.ledger._position(self.ledger.save(payment))
                return Settled(payment_id, payment.status, False, position)
            account = self.ledger.account(payment.account_id)
            channel = Channel(payment.channel)
            if self.ledger._find(payment_record_id(payment_id), Payment) is not None:
                raise PaymentConflictError(f"payment {payment_id} was already credited")
            record = credit_once(
                account, payment_id, payment.amount, channel, payment.commission, payment.rate
            )
            position = self.ledger._position(self.ledger.save(account, record, payment))
            return Settled(payment_id, payment.status, True, position)

        return self.ledger._retry(attempt)
