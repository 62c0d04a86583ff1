"""Top-ups a parent starts: the commission quoted first, the card payment, credited once.

A school may charge its own commission per channel (a setting with an effective date,
`domain/school_settings.py`), else the operator's default applies. A parent asks for a quote
(amount, commission, total the card is charged), then starts a `CardPayment`: its id derives
from the payment id, so it is started once; the acquirer's webhook settles it, and a success
credits the account with the commission quoted at the start (the `Payment` record makes the
credit at-most-once).
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid4

from domain import school_settings
from domain.errors import ConflictError, InvalidCommandError, NotFoundError
from domain.fields import IDENT, REASON, check_amount, one_of, scrub, text
from domain.kinds import Channel
from domain.money import MAX_TOP_UP
from domain.money import commission as commission_on
from domain.recorded import AssignsFields, Recorded, derived_id
from domain.school import School

PARENT_CHANNELS = (Channel.BANK_CARD, Channel.SBP)  # what a parent can pay from the cabinet
MAX_RATE = "0.2"


class PaymentStateError(ConflictError):
    code = "payment_state"


class UnknownPaymentError(NotFoundError):
    code = "unknown_payment"


def rate_for(school: School, channel: str, defaults: Mapping[str, str], day: date) -> str:
    """The school's rate for the channel in force on `day` (domain/school_settings.py), else
    the operator's default."""
    return school_settings.commission_rate_on(school, channel, day, defaults[channel])


@dataclass(frozen=True)
class Quote:
    channel: str
    amount: int  # what reaches the account
    commission: int  # what the bank keeps, paid on top
    rate: str

    @property
    def total(self) -> int:
        """What the parent's card is charged."""
        return self.amount + self.commission


def quote(
    amount: int, channel: str, school: School, defaults: Mapping[str, str], day: date
) -> Quote:
    paid_by = one_of(Channel, channel, what="a payment channel")
    if paid_by not in PARENT_CHANNELS:
        raise InvalidCommandError(f"a parent tops up by {', '.join(PARENT_CHANNELS)}")
    check_amount(amount, what="top-up", maximum=MAX_TOP_UP)
    rate = rate_for(school, paid_by.value, defaults, day)
    return Quote(paid_by.value, amount, commission_on(amount, rate), rate)


def new_payment_id() -> str:
    return f"topup:{uuid4()}"


def card_payment_id(payment_id: str) -> UUID:
    return derived_id("card-payment", payment_id)


class TopUpStatus(StrEnum):
    """Where a started top-up stands (the payment's state, never stored in its events)."""

    STARTED = "started"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class CardPayment(Recorded):
    """A top-up the parent started by card or SBP, until the acquirer's verdict."""

    TOPIC = "infoshkola.topup.CardPayment"

    class Started(AssignsFields, Recorded.Created):
        TOPIC = "infoshkola.topup.Started"
        payment_id: str
        account_id: UUID
        channel: str
        amount: int
        commission: int
        rate: str

        def apply(self, p: "CardPayment") -> None:
            super().apply(p)
            p.status, p.reason = TopUpStatus.STARTED, ""

    class Succeeded(Recorded.Event):
        TOPIC = "infoshkola.topup.Succeeded"

        def apply(self, p: "CardPayment") -> None:
            p.status = TopUpStatus.SUCCEEDED

    class Failed(Recorded.Event):
        TOPIC = "infoshkola.topup.Failed"
        reason: str

        def apply(self, p: "CardPayment") -> None:
            p.status, p.reason = TopUpStatus.FAILED, self.reason

    if TYPE_CHECKING:
        payment_id: str
        account_id: UUID
        channel: str
        amount: int
        commission: int
        rate: str
        status: TopUpStatus
        reason: str

    @classmethod
    def start(cls, payment_id: str, account_id: UUID, q: Quote) -> "CardPayment":
        payment_id = text(payment_id, IDENT, what="a payment id")
        return cls._create(
            cls.Started,
            id=card_payment_id(payment_id),
            payment_id=payment_id,
            account_id=account_id,
            channel=q.channel,
            amount=q.amount,
            commission=q.commission,
            rate=q.rate,
        )

    @property
    def total(self) -> int:
        return self.amount + self.commission

    def settle(self, succeeded: bool, charged: int, reason: str = "") -> bool:
        """Record the verdict once; True when it is new. A success must charge the total."""
        if self.status != TopUpStatus.STARTED:
            if (self.status == TopUpStatus.SUCCEEDED) != succeeded:
                raise PaymentStateError(f"payment {self.payment_id} is already {self.status}")
            return False
        if succeeded:
            if charged != self.total:
                raise PaymentStateError(
                    f"payment {self.payment_id} charged {charged}, not the quoted {self.total}"
                )
            self.trigger_event(self.Succeeded)
        else:
            self.trigger_event(self.Failed, reason=scrub(reason or "платёж отклонён", REASON))
        return True

    def result(self) -> dict[str, Any]:
        return {"status": self.status, "amount": self.amount, "commission": self.commission}
