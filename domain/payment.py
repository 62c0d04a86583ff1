"""Payment: the record of one external payment id, so a top-up is credited at most once."""

import hashlib
from typing import TYPE_CHECKING, Any
from uuid import UUID

from domain.kinds import Channel
from domain.recorded import Recorded, derived_id

if TYPE_CHECKING:
    from domain.account import Account


def payment_record_id(payment_id: str) -> UUID:
    return derived_id("payment", payment_id)


def payment_fingerprint(account_id: UUID, amount: int, channel: str) -> str:
    return hashlib.sha256(f"{account_id}|{amount}|{channel}".encode()).hexdigest()


class Payment(Recorded):
    TOPIC = "infoshkola.payment.Payment"

    class Received(Recorded.Created):
        TOPIC = "infoshkola.payment.Received"
        payment_id: str
        account_id: UUID
        fingerprint: str
        result: dict[str, Any]

        def apply(self, payment: "Payment") -> None:
            payment.fingerprint = self.fingerprint
            payment.result = self.result

    if TYPE_CHECKING:  # state assigned by the events' apply methods
        fingerprint: str
        result: dict[str, Any]

    @classmethod
    def receive(
        cls, payment_id: str, account_id: UUID, amount: int, channel: str, result: dict[str, Any]
    ) -> "Payment":
        return cls._create(
            cls.Received,
            id=payment_record_id(payment_id),
            payment_id=payment_id,
            account_id=account_id,
            fingerprint=payment_fingerprint(account_id, amount, channel),
            result=result,
        )

    def matches(self, account_id: UUID, amount: int, channel: str) -> bool:
        """Whether a payment of `amount` by `channel` to `account_id` is the one received."""
        return self.fingerprint == payment_fingerprint(account_id, amount, channel)


def credit_once(
    account: "Account",
    payment_id: str,
    amount: int,
    channel: Channel,
    commission: int,
    rate: str,
    terminal_id: UUID | None = None,
) -> Payment:
    """Top `account` up and record `payment_id` as received, with what the top-up came to as
    its result; saved together, the record makes the credit at-most-once."""
    account.top_up(amount, channel, commission, rate, payment_id, terminal_id)
    result = {
        "amount": amount,
        "commission": commission,
        "commission_rate": rate,
        "regular_after": account.regular,
    }
    return Payment.receive(payment_id, account.id, amount, channel, result)
