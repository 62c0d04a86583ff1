"""Payment: the record of one external payment id, so a top-up is credited at most once."""

import hashlib
from typing import TYPE_CHECKING, Any
from uuid import UUID

from domain.recorded import Recorded, derived_id


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
        cls, payment_id: str, account_id: UUID, fingerprint: str, result: dict[str, Any]
    ) -> "Payment":
        return cls._create(
            cls.Received,
            id=payment_record_id(payment_id),
            payment_id=payment_id,
            account_id=account_id,
            fingerprint=fingerprint,
            result=result,
        )
