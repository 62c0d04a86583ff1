"""One validated shape per event field: what may enter the immutable log from outside.

Whatever a command accepts becomes an event that every projection, worker and audit must
apply for ever, so the domain refuses, at the command, anything they could choke on:
- text is NFC-normalised, stripped, printable (no control characters, no NUL, no unpaired
  surrogates, no format, private-use or unassigned characters; spaces of any width are fine)
  and of a bounded length per kind of field;
- amounts are whole positive kopecks below a maximum, counts whole numbers in a range;
- times carry a real UTC offset (at most ±14:00), are converted to UTC here, and lie inside a
  window around the ledger's clock; dates lie within `DATE_HORIZON` of today.
The limits of each kind are in `docs/terminals.md` ("Field rules").
"""

import math
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any, TypeGuard, TypeVar

from domain.errors import (
    InvalidAmountError,
    InvalidCommandError,
    InvalidTextError,
    InvalidTimeError,
)


@dataclass(frozen=True)
class Shape:
    """A kind of text field: how long it may be, whether it may be empty or span lines.

    An `exact` field is a key (a payment id): it is refused, never altered, when it is not
    already in normal form, since a normalised key would be another key."""

    max_length: int
    may_be_empty: bool = False
    multiline: bool = False
    exact: bool = False


CODE = Shape(64)  # an item or dish code, a tap id, an offer version
NAME = Shape(200)  # an item, dish, allergen, school, city or terminal name
IDENT = Shape(128, exact=True)  # an external id: payment, payout, card token, period
REF = Shape(128)  # a personal-data reference ("subject:…"), never the data
REASON = Shape(500)  # why a card was blocked, a subsidy's basis, a refund's reason …
CLAIM = Shape(2000, multiline=True)  # what a parent says is wrong, why a school disagrees
NOTE = Shape(2000, may_be_empty=True, multiline=True)  # a comment, a note
_LINE_BREAKS = frozenset("\n")
# Control, format (bidi overrides, zero-width), surrogate, private-use, unassigned, line and
# paragraph separators: nothing a parent's screen or a PostgreSQL text column should get.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def _refused(c: str) -> bool:
    return unicodedata.category(c) in _REFUSED_CATEGORIES


def text(value: object, shape: Shape, *, what: str) -> str:
    """`value` as it may enter an event, or an `InvalidTextError` naming the field."""
    if not isinstance(value, str):
        raise InvalidTextError(f"{what} must be text, got {type(value).__name__}")
    if any(0xD800 <= ord(c) <= 0xDFFF for c in value):
        raise InvalidTextError(f"{what} holds an unpaired surrogate (not valid Unicode)")
    cleaned = unicodedata.normalize("NFC", value).strip()
    allowed = _LINE_BREAKS if shape.multiline else frozenset()
    bad = next((c for c in cleaned if _refused(c) and c not in allowed), None)
    if bad is not None:
        raise InvalidTextError(f"{what} holds a control or unprintable character U+{ord(bad):04X}")
    if shape.exact and cleaned != value:
        raise InvalidTextError(f"{what} has surrounding spaces or is not in Unicode NFC form")
    if not cleaned and not shape.may_be_empty:
        raise InvalidTextError(f"{what} must not be empty")
    if len(cleaned) > shape.max_length:
        raise InvalidTextError(f"{what} is at most {shape.max_length} characters")
    return cleaned


def contact(value: object, *, what: str) -> str:
    """A personal-data reference ("subject:…") where messages go, never the address itself."""
    ref = text(value, REF, what=what)
    if not ref.startswith("subject:"):
        raise InvalidCommandError("a contact is a personal-data reference 'subject:…'")
    return ref


def scrub(value: object, shape: Shape) -> str:
    """Text from a party we cannot refuse (a bank's message): made safe instead of refused."""
    raw = value if isinstance(value, str) else str(value)
    raw = raw.encode("utf-8", "replace").decode("utf-8")  # unpaired surrogates become "?"
    cleaned = "".join(" " if _refused(c) else c for c in unicodedata.normalize("NFC", raw))
    return " ".join(cleaned.split())[: shape.max_length]


Word = TypeVar("Word", bound=StrEnum)


def one_of(vocabulary: type[Word], value: str, *, what: str) -> Word:
    """`value` as a word of a closed vocabulary (`domain/kinds.py`), or an
    `InvalidCommandError` saying it is not `what` ("a tariff")."""
    try:
        return vocabulary(value)
    except ValueError:
        raise InvalidCommandError(f"{value!r} is not {what}") from None


# Amounts and counts


# A hanger number at the wardrobe or a locker's number: short, letters, digits and a dash.
SLOT_PATTERN = re.compile(r"[0-9A-Za-zА-Яа-яЁё][0-9A-Za-zА-Яа-яЁё\-]{0,15}")


def slot_number(value: object, *, what: str = "slot") -> str:
    """A hanger or locker number ("17", "B-12"): 1 to 16 letters, digits or dashes."""
    if not isinstance(value, str):
        raise InvalidCommandError(f"{what} is a hanger or locker number as text, got {value!r}")
    number = value.strip()
    if not SLOT_PATTERN.fullmatch(number):
        raise InvalidCommandError(f"{what} is 1 to 16 letters, digits or dashes, got {value!r}")
    return number


def check_amount(amount: object, *, what: str, maximum: int) -> int:
    """Return `amount` if it is a positive whole number of kopecks no larger than `maximum`."""
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise InvalidAmountError(f"{what} must be a whole number of kopecks, got {amount!r}")
    if amount <= 0:
        raise InvalidAmountError(f"{what} must be positive, got {amount}")
    if amount > maximum:
        raise InvalidAmountError(f"{what} of {amount} kopecks exceeds the maximum of {maximum}")
    return amount


def check_limit(value: object, *, what: str, maximum: int) -> int:
    """A daily limit or an alert threshold: whole kopecks within [0, `maximum`]."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidAmountError(f"{what} must be whole kopecks, got {value!r}")
    if not 0 <= value <= maximum:
        raise InvalidAmountError(f"{what} must be within [0, {maximum}]")
    return value


def whole_within(value: object, least: int, most: int) -> TypeGuard[int]:
    """Whether `value` is a whole number (never a bool) within [`least`, `most`]."""
    return isinstance(value, int) and not isinstance(value, bool) and least <= value <= most


def check_count(count: object, *, what: str, least: int, most: int) -> int:
    if not whole_within(count, least, most):
        raise InvalidAmountError(f"{what} must be a whole number within [{least}, {most}]")
    return count


def check_measure(value: object, *, what: str, most: float) -> float:
    """A finite non-negative number (nutrition per portion): never NaN or infinity."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidAmountError(f"{what} must be a number")
    if not math.isfinite(value) or not 0 <= value <= most:
        raise InvalidAmountError(f"{what} must be within [0, {most}]")
    return value


# Times and dates

MAX_UTC_OFFSET = timedelta(hours=14)  # Kiritimati; -12:00 is the other end of the real world
DATE_HORIZON = timedelta(days=5 * 366)  # menus and holidays: within five years of today


def utc_instant(value: Any, *, what: str) -> datetime:
    """An instant with a real UTC offset (a datetime or ISO-8601 text), converted to UTC.

    Not a time, or no offset: a malformed command. An offset no clock on Earth shows, or a
    time that leaves the calendar once in UTC: `InvalidTimeError`."""
    if isinstance(value, str) and len(value) <= 64:
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise InvalidCommandError(f"{what} {value!r} is not an ISO-8601 time") from None
    if not isinstance(value, datetime):
        raise InvalidCommandError(f"{what} is an ISO-8601 time with a UTC offset")
    offset = value.utcoffset()
    if offset is None:
        raise InvalidCommandError(f"{what} must carry a UTC offset")
    if abs(offset) > MAX_UTC_OFFSET:
        raise InvalidTimeError(f"{what} has the UTC offset {offset}, beyond ±14:00")
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise InvalidTimeError(f"{what} is out of range") from None


def within(moment: datetime, now: datetime, *, ahead: timedelta, behind: timedelta) -> int:
    """0 inside [now - behind, now + ahead]; 1 when later, -1 when earlier."""
    if moment - now > ahead:
        return 1
    if now - moment > behind:
        return -1
    return 0


def check_date(day: object, today: date, *, what: str) -> date:
    """A calendar date (or ISO text) no further than `DATE_HORIZON` from `today`."""
    if isinstance(day, str):
        try:
            day = date.fromisoformat(day)
        except ValueError:
            raise InvalidTimeError(f"{what} {day!r} is not an ISO date (YYYY-MM-DD)") from None
    if isinstance(day, datetime) or not isinstance(day, date):
        raise InvalidTimeError(f"{what} is a date (YYYY-MM-DD)")
    if abs(day - today) > DATE_HORIZON:
        raise InvalidTimeError(f"{what} {day.isoformat()} is too far from today ({today})")
    return day
