"""Money in as a request a group commit can hold beside taps (`domain/group_commit.py`).

A `TopUpRequest` credits an account from a channel (the kiosk's cash, autopay, a bank); an
`ActivateRequest` is the kiosk's card activation with its first cash deposit; a
`SettleRequest` is the acquirer's verdict on a parent's card payment, crediting it on a
success. Each is idempotent by its payment id: the `Payment` record (`domain/payment.py`),
created in the transaction that credits, answers a repeated one with its first result. The
ledger decides either on the current state without saving (`TopUpCommands.decide_top_up`)
into a `PendingTopUp` (`domain/pending.py`), alone or in a group with taps on the same
accounts, in order.
"""

from dataclasses import dataclass
from uuid import UUID

from domain.payment import payment_record_id
from domain.pending import Pending
from domain.topup import card_payment_id


class ByPayment:
    """A money request is idempotent by its payment id: its `Payment` record's id."""

    payment_id: str

    @property
    def record_id(self) -> UUID:
        return payment_record_id(self.payment_id)


@dataclass(frozen=True)
class TopUpRequest(ByPayment):
    account_id: UUID
    amount: int
    channel: str
    payment_id: str
    terminal_id: UUID | None = None  # the kiosk that took the cash


@dataclass(frozen=True)
class ActivateRequest(ByPayment):
    """The kiosk's card activation: the offer accepted, a parent's phone, the first cash."""

    uid: str
    offer_version: str
    parent_phone_ref: str
    deposit: int
    payment_id: str
    terminal_id: UUID


@dataclass(frozen=True)
class SettleRequest(ByPayment):
    payment_id: str  # a parent's `CardPayment` (`domain/topup.py`)
    succeeded: bool
    charged: int
    reason: str = ""

    @property
    def card_payment_id(self) -> UUID:
        return card_payment_id(self.payment_id)


MoneyRequest = TopUpRequest | ActivateRequest | SettleRequest


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


@dataclass(frozen=True)
class Settled:
    payment_id: str
    status: str
    credited: bool
    position: int


MoneyResult = TopUpResult | Settled

PendingTopUp = Pending[MoneyResult]  # a decided top-up or verdict not yet saved
