"""Closed vocabularies of the domain. Events store their `.value` strings."""

from enum import StrEnum


class TerminalKind(StrEnum):
    CANTEEN_POS = "canteen_pos"
    TURNSTILE = "turnstile"
    KIOSK = "kiosk"
    VENDING = "vending"
    WARDROBE = "wardrobe"
    LOCKER = "locker"


PAYING_KINDS = frozenset(
    {TerminalKind.CANTEEN_POS, TerminalKind.VENDING, TerminalKind.WARDROBE, TerminalKind.LOCKER}
)


class Channel(StrEnum):
    KIOSK_CASH = "kiosk_cash"
    BANK_CARD = "bank_card"
    AUTOPAY = "autopay"
    SBP = "sbp"


class Tariff(StrEnum):
    ZERO = "zero"
    MOBILE = "mobile"
    SMS_PLUS = "sms_plus"


class Wallet(StrEnum):
    REGULAR = "regular"
    SUBSIDISED = "subsidised"


class AutopayKind(StrEnum):
    """What an autopayment rule does (its events store the value, `Scheduled.kind`)."""

    MONTHLY = "monthly"
    THRESHOLD = "threshold"


class AutopayState(StrEnum):
    """Whether an autopayment rule runs (from its events; never stored)."""

    ACTIVE = "active"
    PAUSED = "paused"
    CANCELLED = "cancelled"


class DisputeStatus(StrEnum):
    """Where a parent's dispute of a charge stands."""

    OPEN = "open"
    REVERSED = "reversed"
    REJECTED = "rejected"


class RefundDestination(StrEnum):
    """Where a refund of the regular wallet is paid."""

    ORIGINAL_METHOD = "original_method"
    BANK_DETAILS = "bank_details"


class CardState(StrEnum):
    ISSUED = "issued"
    ACTIVE = "active"
    BLOCKED = "blocked"


class Direction(StrEnum):
    IN = "in"
    OUT = "out"


class Outcome(StrEnum):
    APPROVED = "approved"
    DECLINED = "declined"


class DeclineReason(StrEnum):
    UNKNOWN_CARD = "unknown_card"
    CARD_BLOCKED = "card_blocked"
    CARD_NOT_ACTIVATED = "card_not_activated"
    INSUFFICIENT_FUNDS = "insufficient_funds"
    DAILY_LIMIT = "daily_limit"
    TERMINAL_REVOKED = "terminal_revoked"
    FOREIGN_SCHOOL = "foreign_school"
    ACCOUNT_CLOSED = "account_closed"
    OFFLINE_CAP = "offline_cap"  # an offline tap over the school's offline cap
    BANNED_ITEM = "banned_item"  # the parent banned an item on the tray
    ALLERGEN = "allergen"  # an item contains an allergen the parent flagged
    CATEGORY_LIMIT = "category_limit"  # over the parent's daily limit for this kind of terminal
    CARD_FROZEN = "card_frozen"  # the parent froze the cards for a while
