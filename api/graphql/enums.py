"""GraphQL enums for the domain's closed vocabularies (values are the domain's strings)."""

from enum import Enum
from typing import TypeVar

import strawberry

from domain.kinds import CardState as CardStateValue
from domain.kinds import Channel as ChannelValue
from domain.kinds import DeclineReason as DeclineReasonValue
from domain.kinds import Tariff as TariffValue
from domain.kinds import TerminalKind as TerminalKindValue
from identity.service import Access as AccessValue
from identity.service import Role as RoleValue

E = TypeVar("E", bound=Enum)

# The domain's own enums, registered with their GraphQL names (strawberry marks the class).
for _domain_enum, _name in (
    (RoleValue, "Role"),
    (AccessValue, "Access"),
    (CardStateValue, "CardState"),
    (ChannelValue, "Channel"),
    (DeclineReasonValue, "DeclineReason"),
    (TariffValue, "Tariff"),
    (TerminalKindValue, "TerminalKind"),
):
    strawberry.enum(_domain_enum, name=_name)

Role = RoleValue
Access = AccessValue
CardState = CardStateValue
Channel = ChannelValue
DeclineReason = DeclineReasonValue
Tariff = TariffValue
TerminalKind = TerminalKindValue


@strawberry.enum
class MovementKind(Enum):
    TOP_UP = "top_up"
    PURCHASE = "purchase"
    OFFLINE_PURCHASE = "offline_purchase"
    PURCHASE_DECLINED = "purchase_declined"
    CARD_FEE = "card_fee"
    SUBSIDY_CREDIT = "subsidy_credit"
    TARIFF_FEE = "tariff_fee"
    FEE_DEBT = "fee_debt"
    CHARGE_REVERSAL = "charge_reversal"
    REFUND = "refund"
    PREORDER = "preorder"  # a meal paid ahead (issue 12, point 5)
    PREORDER_REFUND = "preorder_refund"
    PREORDER_SERVED = "preorder_served"  # served at the till; no money moves
    TRANSFER_OUT = "transfer_out"  # to a sibling under the same login
    TRANSFER_IN = "transfer_in"
    STORAGE = strawberry.enum_value(
        "storage", description="a free wardrobe or locker use (a hanger or locker number)"
    )
    OTHER = "other"  # a movement kind newer than this schema


@strawberry.enum
class AccountEventKind(Enum):
    TOP_UP = "top_up"
    PURCHASE_APPROVED = "purchase_approved"
    PURCHASE_DECLINED = "purchase_declined"
    OFFLINE_PURCHASE = "offline_purchase"
    PASS_IN = "pass_in"  # noqa: S105 - a turnstile pass, not a password
    PASS_OUT = "pass_out"  # noqa: S105
    PASS_DENIED = "pass_denied"  # noqa: S105
    OTHER_MOVEMENT = "other_movement"


@strawberry.enum
class ProblemCode(Enum):
    INVALID_AMOUNT = "invalid_amount"
    INVALID_COMMAND = "invalid_command"
    INVALID_TEXT = "invalid_text"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    CARD_STATE = "card_state"
    CARD_ALREADY_ISSUED = "card_already_issued"
    TOO_MANY_ACTIVE_CARDS = "too_many_active_cards"
    INSUFFICIENT_FUNDS = "insufficient_funds"
    ACCOUNT_CLOSED = "account_closed"
    SUBSIDY = "subsidy"
    CONCURRENCY = "concurrency"
    INVALID_CREDENTIALS = "invalid_credentials"
    THROTTLED = "throttled"
    WEAK_PASSWORD = "weak_password"  # noqa: S105 - an error code
    INVALID_RESET_CODE = "invalid_reset_code"
    DISPUTE_STATE = "dispute_state"
    REFUND_STATE = "refund_state"
    NOT_AVAILABLE = "not_available"
    PRIVACY_STATE = "privacy_state"
    CONSENT = "consent"
    OTHER = "other"


def convert(enum: type[E], value: str, default: E | None = None) -> E:
    try:
        return enum(value)
    except ValueError:
        if default is None:
            raise
        return default
