"""Pricing a purchase and splitting it between the wallets: pure functions, no state."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from domain.errors import InvalidAmountError, TapPayloadError, UnknownFieldError
from domain.fields import CODE, NAME, check_amount, check_count, text
from domain.money import MAX_ITEM_PRICE, MAX_LINES, MAX_PURCHASE, MAX_QUANTITY


@dataclass(frozen=True)
class Item:
    code: str
    name: str
    price: int
    quantity: int
    meal: bool

    @property
    def total(self) -> int:
        return self.price * self.quantity

    def as_dict(self) -> dict[str, Any]:
        """As `dataclasses.asdict` gives it (the same keys in the same order), built directly."""
        return {
            "code": self.code,
            "name": self.name,
            "price": self.price,
            "quantity": self.quantity,
            "meal": self.meal,
        }


ITEM_FIELDS = frozenset({"code", "name", "price", "quantity", "meal"})


def parse_items(raw: Sequence[Mapping[str, Any]]) -> tuple[Item, ...]:
    """Validate a terminal's item list; a typed error names the first bad field."""
    if not isinstance(raw, Sequence) or isinstance(raw, str) or not raw:
        raise TapPayloadError("a purchase needs at least one item")
    if len(raw) > MAX_LINES:
        raise TapPayloadError(f"a purchase has at most {MAX_LINES} lines")
    items = []
    for line in raw:
        if not isinstance(line, Mapping):
            raise TapPayloadError("every item is an object with a code, a name and a price")
        unknown = sorted(str(k) for k in line if k not in ITEM_FIELDS)
        if unknown:
            raise UnknownFieldError(f"an item has no field {', '.join(unknown)}")
        if not line.get("code") or not line.get("name"):
            raise TapPayloadError("every item needs a code and a name")
        code = text(line["code"], CODE, what="an item's code")
        name = text(line["name"], NAME, what=f"name of {code!r}")
        what = f"quantity of {code!r}"
        quantity = check_count(line.get("quantity", 1), what=what, least=1, most=MAX_QUANTITY)
        price = check_amount(line.get("price"), what=f"price of {code!r}", maximum=MAX_ITEM_PRICE)
        meal = line.get("meal", False)
        if not isinstance(meal, bool):
            raise TapPayloadError(f"meal of {code!r} is true or false")
        items.append(Item(code, name, price, quantity, meal))
    total = sum(i.total for i in items)
    if total > MAX_PURCHASE:
        raise InvalidAmountError(f"a purchase totals at most {MAX_PURCHASE} kopecks, not {total}")
    return tuple(items)


@dataclass(frozen=True)
class Split:
    """How a purchase is paid: meals from the subsidised wallet first, the rest regular."""

    meal_total: int
    other_total: int
    from_subsidised: int

    @property
    def total(self) -> int:
        return self.meal_total + self.other_total

    @property
    def from_regular(self) -> int:
        return self.total - self.from_subsidised

    @property
    def meal_from_regular(self) -> int:
        return self.meal_total - self.from_subsidised


def split_payment(items: Sequence[Item], subsidised: int, *, meals_count: bool) -> Split:
    """`meals_count` is true only at the canteen: elsewhere nothing is a subsidised meal."""
    meal_total = sum(i.total for i in items if i.meal) if meals_count else 0
    other_total = sum(i.total for i in items) - meal_total
    return Split(meal_total, other_total, min(max(subsidised, 0), meal_total))


def regular_covers(balance: int, split: Split, meal_overdraft: int) -> bool:
    """Non-meal items need money on the account; meals may go down to the overdraft floor.

    "No child left hungry": a regular wallet may end below zero only by the meal part of a
    canteen purchase, and never below the school's meal overdraft policy.
    """
    if split.other_total and balance - split.other_total < 0:
        return False
    floor = -meal_overdraft if split.meal_from_regular else 0
    return balance - split.from_regular >= floor
