"""GraphQL enums for the domain's closed vocabularies (values are the domain's strings)."""

from enum import Enum
from typing import TypeVar

import strawberry

from domain.kinds import AutopayKind as AutopayKindValue
from domain.kinds import AutopayState as AutopayStateValue
from domain.kinds import CardState as CardStateValue
from domain.kinds import Channel as ChannelValue
from domain.kinds import DeclineReason as DeclineReasonValue
from domain.kinds import DisputeStatus as DisputeStatusValue
from domain.kinds import RefundDestination as RefundDestinationValue
from domain.kinds import Tariff as TariffValue
from domain.kinds import TerminalKind as TerminalKindValue
from domain.kinds import Wallet
from domain.notifications import NotificationChannel as NotificationChannelValue
from domain.preferences import NotificationKind as NotificationKindValue
from domain.preorder_events import PreOrderStatus as PreOrderStatusValue
from domain.topup import TopUpStatus as TopUpStatusValue
from identity.service import Access as AccessValue
from identity.service import Role as RoleValue
from projections.report_tables import ReportKind as ReportKindValue

E = TypeVar("E", bound=Enum)

# The domain's own enums, registered with their GraphQL names and descriptions (strawberry
# marks the class; the domain stays free of GraphQL).
DOMAIN_ENUMS: dict[type[Enum], tuple[str, str, dict[str, str]]] = {
    RoleValue: (
        "Role",
        "What a login is, which decides what it may see and do.",
        {
            "PARENT": "The parent holding a contract (a contract number login).",
            "REPRESENTATIVE": "A person a parent gave read access to (a phone login).",
            "CANTEEN_OPERATOR": "Canteen staff: menus and the till.",
            "SCHOOL_ADMIN": "The school's administrator: pupils, terminals, settings, casework.",
            "SUPPORT": "The operator's support: refunds, access, commissions, across schools.",
            "AUDITOR": "Reads histories and reports, never writes.",
        },
    ),
    AccessValue: (
        "Access",
        "What a login may do with one contract.",
        {
            "MANAGE": "The parent: read and change.",
            "READ": "A representative: read only.",
        },
    ),
    CardStateValue: (
        "CardState",
        "Where a card stands.",
        {
            "ISSUED": "Handed over, not yet used at a terminal.",
            "ACTIVE": "In use.",
            "BLOCKED": "Refused by every terminal (lost, or blocked by support).",
        },
    ),
    ChannelValue: (
        "Channel",
        "How money reached an account.",
        {
            "KIOSK_CASH": "Cash at the school's kiosk.",
            "BANK_CARD": "A bank card through the acquirer.",
            "AUTOPAY": "An autopayment rule's charge to a saved card.",
            "SBP": "The Faster Payments System (SBP).",
        },
    ),
    DeclineReasonValue: (
        "DeclineReason",
        "Why a terminal declined a tap.",
        {
            "UNKNOWN_CARD": "No account has this card.",
            "CARD_BLOCKED": "The card is blocked.",
            "CARD_NOT_ACTIVATED": "The card is not yet activated.",
            "INSUFFICIENT_FUNDS": "The balance (with any meal overdraft) does not cover it.",
            "DAILY_LIMIT": "Over the parent's daily limit.",
            "TERMINAL_REVOKED": "The terminal was revoked.",
            "FOREIGN_SCHOOL": "The card belongs to another school.",
            "ACCOUNT_CLOSED": "The account is closed.",
            "OFFLINE_CAP": "An offline tap over the school's offline cap.",
            "BANNED_ITEM": "The parent banned an item on the tray.",
            "ALLERGEN": "An item contains an allergen the parent flagged.",
            "CATEGORY_LIMIT": "Over the parent's daily limit for this kind of terminal.",
            "CARD_FROZEN": "The parent froze the cards for a while.",
        },
    ),
    TariffValue: (
        "Tariff",
        "The parent's tariff: which notifications, which monthly fee.",
        {
            "ZERO": "No monthly fee; notifications in the app only.",
            "MOBILE": "Push notifications of every purchase and pass.",
            "SMS_PLUS": "SMS of every purchase and pass.",
        },
    ),
    TerminalKindValue: (
        "TerminalKind",
        "What a terminal is for.",
        {
            "CANTEEN_POS": "The canteen's till.",
            "TURNSTILE": "The entrance turnstile (passes in and out).",
            "KIOSK": "The self-service kiosk (balance, cash top-ups).",
            "VENDING": "A vending machine.",
            "WARDROBE": "The wardrobe.",
            "LOCKER": "A locker.",
        },
    ),
    Wallet: (
        "PayingWallet",
        "The wallet that pays.",
        {
            "REGULAR": "The parent's own money.",
            "SUBSIDISED": "The meal subsidy.",
        },
    ),
    NotificationKindValue: (
        "NotificationKind",
        "A kind of message a parent may switch off per channel.",
        {
            "PURCHASES": "Purchases and declines.",
            "PASSES": "Turnstile passes.",
            "TOP_UPS": "Money in.",
            "LOW_BALANCE": "The low-balance alert.",
            "FEES": "Tariff fees and fee debts.",
            "CASEWORK": "Disputes and refunds.",
        },
    ),
    NotificationChannelValue: (
        "NotificationChannel",
        "How a message reaches the parent.",
        {
            "EMAIL": "E-mail, on every tariff.",
            "PUSH": "Push to the app (MOBILE, SMS_PLUS).",
            "SMS": "SMS (SMS_PLUS).",
        },
    ),
    AutopayKindValue: (
        "AutopayKind",
        "What an autopayment rule does.",
        {
            "MONTHLY": "A fixed top-up on a day of the month.",
            "THRESHOLD": "Top up to `amount` when the balance falls below `below`.",
        },
    ),
    AutopayStateValue: (
        "AutopayState",
        "Whether a rule runs.",
        {
            "ACTIVE": "Runs.",
            "PAUSED": "Set up, not running until resumed.",
            "CANCELLED": "Ended; may be set up again.",
        },
    ),
    TopUpStatusValue: (
        "TopUpStatus",
        "Where a started top-up stands.",
        {
            "STARTED": "Waiting for the parent to pay.",
            "SUCCEEDED": "Paid and credited.",
            "FAILED": "Refused by the bank; nothing moved.",
        },
    ),
    DisputeStatusValue: (
        "DisputeStatus",
        "Where a dispute stands.",
        {
            "OPEN": "The school has not decided yet.",
            "REVERSED": "The charge was given back.",
            "REJECTED": "The charge stands; see why.",
        },
    ),
    PreOrderStatusValue: (
        "PreOrderStatus",
        "Where a pre-order stands.",
        {
            "PLACED": "Paid; some dishes still to serve.",
            "SERVED": "Every dish was served at the till.",
            "CANCELLED": "Every dish not served was cancelled and refunded.",
        },
    ),
    RefundDestinationValue: (
        "RefundDestination",
        "Where a refund is paid.",
        {
            "ORIGINAL_METHOD": "Back to the card or account the money came from.",
            "BANK_DETAILS": "To the bank details the parent gives.",
        },
    ),
    ReportKindValue: (
        "ReportKind",
        "Which school report.",
        {
            "TERMINALS": "Per terminal kind: turnover net of reversals, meals, declines, pupils.",
            "TOPUPS": "Per channel, with commission; refunds paid as a line.",
            "SUBSIDIES": "The subsidy wallet, for the budget.",
            "FLOAT": "Money held on the school's accounts.",
            "UNRETURNED": "Balances not returned after pupils left.",
        },
    ),
}


def register(enum: type[Enum], name: str, description: str, values: dict[str, str]) -> None:
    strawberry.enum(enum, name=name, description=description)
    for value in enum.__strawberry_definition__.values:  # type: ignore[attr-defined]
        value.description = values.get(value.name)


for _domain_enum, (_name, _description, _values) in DOMAIN_ENUMS.items():
    register(_domain_enum, _name, _description, _values)

Role = RoleValue
Access = AccessValue
CardState = CardStateValue
Channel = ChannelValue
DeclineReason = DeclineReasonValue
Tariff = TariffValue
TerminalKind = TerminalKindValue
PayingWallet = Wallet
NotificationKind = NotificationKindValue
NotificationChannel = NotificationChannelValue
AutopayKind = AutopayKindValue
AutopayState = AutopayStateValue
TopUpStatus = TopUpStatusValue
DisputeStatus = DisputeStatusValue
PreOrderStatus = PreOrderStatusValue
RefundDestination = RefundDestinationValue
ReportKind = ReportKindValue


@strawberry.enum(description="What kind of money movement a statement line is.")
class MovementKind(Enum):
    TOP_UP = strawberry.enum_value("top_up", description="Money in, by any channel.")
    PURCHASE = strawberry.enum_value("purchase", description="A purchase at a terminal.")
    OFFLINE_PURCHASE = strawberry.enum_value(
        "offline_purchase", description="A purchase a terminal made offline, sent later."
    )
    PURCHASE_DECLINED = strawberry.enum_value(
        "purchase_declined", description="A refused purchase; no money moved."
    )
    CARD_FEE = strawberry.enum_value("card_fee", description="The fee for a duplicate card.")
    SUBSIDY_CREDIT = strawberry.enum_value(
        "subsidy_credit", description="The day's subsidy credited to the subsidised wallet."
    )
    TARIFF_FEE = strawberry.enum_value("tariff_fee", description="The tariff's monthly fee.")
    FEE_DEBT = strawberry.enum_value(
        "fee_debt", description="A fee the balance could not cover, owed."
    )
    CHARGE_REVERSAL = strawberry.enum_value(
        "charge_reversal", description="A disputed charge given back."
    )
    REFUND = strawberry.enum_value("refund", description="The balance paid out.")
    PREORDER = strawberry.enum_value("preorder", description="A meal paid ahead (pre-order).")
    PREORDER_REFUND = strawberry.enum_value(
        "preorder_refund", description="A pre-order's money returned (cancelled)."
    )
    PREORDER_SERVED = strawberry.enum_value(
        "preorder_served", description="A pre-ordered meal served at the till; no money moves."
    )
    TRANSFER_OUT = strawberry.enum_value(
        "transfer_out", description="Money moved to a sibling under the same login."
    )
    TRANSFER_IN = strawberry.enum_value(
        "transfer_in", description="Money moved in from a sibling under the same login."
    )
    STORAGE = strawberry.enum_value(
        "storage", description="A free wardrobe or locker use (a hanger or locker number)."
    )
    OTHER = strawberry.enum_value("other", description="A kind newer than this schema.")


@strawberry.enum(description="What happened, in the live feed of an account.")
class AccountEventKind(Enum):
    TOP_UP = strawberry.enum_value("top_up", description="Money in.")
    PURCHASE_APPROVED = strawberry.enum_value(
        "purchase_approved", description="A purchase went through."
    )
    PURCHASE_DECLINED = strawberry.enum_value(
        "purchase_declined", description="A purchase was refused."
    )
    OFFLINE_PURCHASE = strawberry.enum_value(
        "offline_purchase", description="An offline purchase arrived."
    )
    PASS_IN = strawberry.enum_value("pass_in", description="In through the turnstile.")
    PASS_OUT = strawberry.enum_value("pass_out", description="Out through the turnstile.")
    PASS_DENIED = strawberry.enum_value("pass_denied", description="The turnstile refused.")
    OTHER_MOVEMENT = strawberry.enum_value(
        "other_movement", description="Any other money movement (fees, subsidies, refunds)."
    )


def enum_or_none(enum: type[E], value: str | None) -> E | None:
    """The member of `enum` a column or a field names; None when it is empty."""
    return enum(value) if value else None


def convert(enum: type[E], value: str, default: E | None = None) -> E:
    try:
        return enum(value)
    except ValueError:
        if default is None:
            raise
        return default
