"""Money is an integer number of kopecks; fractions appear only in commission rates."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from domain.errors import InvalidAmountError

Kopecks = int

RUBLE = 100
MAX_TOP_UP = 100_000 * RUBLE
MAX_ITEM_PRICE = 10_000 * RUBLE
MAX_QUANTITY = 100
MAX_LINES = 50  # item lines per tap
MAX_DAILY_LIMIT = 50_000 * RUBLE
MAX_PURCHASE = MAX_DAILY_LIMIT  # one tap never costs more than the highest daily limit
MAX_OVERDRAFT = 1_000 * RUBLE
DEFAULT_OFFLINE_CAP = 300 * RUBLE  # a card's offline spending per reader and day
MAX_OFFLINE_CAP = MAX_DAILY_LIMIT


def parse_rate(rate: str) -> Decimal:
    """A commission rate as a fraction between 0 and 1, e.g. "0.05" for 5 %."""
    try:
        value = Decimal(rate)
    except InvalidOperation:
        raise InvalidAmountError(f"commission rate {rate!r} is not a decimal number") from None
    if not value.is_finite() or not Decimal(0) <= value < Decimal(1):
        raise InvalidAmountError(f"commission rate {rate!r} must be within [0, 1)")
    return value


def commission(amount: Kopecks, rate: str) -> Kopecks:
    """The commission on `amount` at `rate`, rounded half up to a whole kopeck, once."""
    exact = Decimal(amount) * parse_rate(rate)
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def rubles(amount: Kopecks) -> str:
    """Format for people: 13912 -> "139,12 ₽", -5000 -> "−50,00 ₽"."""
    sign = "−" if amount < 0 else ""
    whole, kop = divmod(abs(amount), RUBLE)
    return f"{sign}{whole},{kop:02d} ₽"
