"""The pre-order events an account records, and the account's pre-orders they keep.

`PreOrderPlaced` debits the account (paid at order), `PreOrderCancelled` credits back the
lines cancelled, `PreOrderServed` (a tap at the canteen's till) moves no money. Applying them
keeps, on the account, every pre-order of the last `KEPT` days with its lines still open:
what a cancellation may still refund and the till may still serve. The decisions that record
them are in `domain/preorder.py`.
"""

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any
from uuid import UUID

from domain.account import Account
from domain.account.state import AccountState, ReturnsToWallets
from domain.account.taps import TapEvent
from domain.recorded import register_events

KEPT = timedelta(days=62)  # pre-orders an account remembers, back from its newest meal date


class PreOrderStatus(StrEnum):
    """Where a pre-order stands: placed until every line is served, or cancelled."""

    PLACED = "placed"
    SERVED = "served"
    CANCELLED = "cancelled"


# Plain strings, as the account keeps them (and its snapshots store them).
PLACED = PreOrderStatus.PLACED.value
SERVED = PreOrderStatus.SERVED.value
CANCELLED = PreOrderStatus.CANCELLED.value
BY_PARENT, BY_SCHOOL = "parent", "school"


class PreOrderPlaced(Account.Event):
    TOPIC = "infoshkola.account.PreOrderPlaced"
    preorder_id: str
    school_id: UUID
    meal_date: str  # school-local ISO date of the meal
    items: list[dict[str, Any]]  # code, name, price, quantity, meal: from the menu
    amount: int
    from_regular: int
    from_subsidised: int
    cutoff_at: datetime  # until when the parent may still cancel it (UTC)

    def apply(self, a: Account) -> None:
        a.regular -= self.from_regular
        a.subsidised -= self.from_subsidised
        kept = (date.fromisoformat(self.meal_date) - KEPT).isoformat()
        orders = {k: v for k, v in preorders_of(a).items() if v["meal_date"] >= kept}
        orders[self.preorder_id] = {
            "meal_date": self.meal_date,
            "items": self.items,
            "amount": self.amount,
            "refunded": 0,
            "reason": None,
            "lines": {i["code"]: dict(i) for i in self.items},
            "subsidised_left": self.from_subsidised,  # what a refund returns there first
            "cutoff_at": self.cutoff_at.isoformat(),
            "status": PLACED,
        }
        a.preorders = orders  # type: ignore[attr-defined]


class PreOrderCancelled(ReturnsToWallets, Account.Event):
    """Lines of a pre-order cancelled (by the parent before the cut-off, or by the school),
    and their price credited back."""

    TOPIC = "infoshkola.account.PreOrderCancelled"
    preorder_id: str
    meal_date: str
    items: list[dict[str, Any]]  # the lines cancelled
    by: str  # "parent" or "school"
    reason: str

    def apply(self, a: AccountState) -> None:
        super().apply(a)
        orders = after_lines(a, self.preorder_id, self.items, CANCELLED, self.to_subsidised)
        order = orders.get(self.preorder_id)
        if order is not None:
            refunded = order["refunded"] + self.to_regular + self.to_subsidised
            orders[self.preorder_id] = {**order, "refunded": refunded, "reason": self.reason}
        a.preorders = orders  # type: ignore[attr-defined]


class PreOrderServed(TapEvent, Account.Event):
    """The canteen's till served pre-ordered lines: no money moves (paid at order)."""

    TOPIC = "infoshkola.account.PreOrderServed"
    preorder_id: str
    meal_date: str
    items: list[dict[str, Any]]  # the lines served
    amount: int  # what they cost when ordered (paid then)
    terminal_kind: str

    def apply(self, a: AccountState) -> None:
        a.preorders = after_lines(a, self.preorder_id, self.items, SERVED, 0)  # type: ignore[attr-defined]


register_events(PreOrderPlaced, PreOrderCancelled, PreOrderServed)


def preorders_of(a: AccountState) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = a.__dict__.get("preorders", {})
    return found


def after_lines(
    a: AccountState,
    preorder_id: str,
    items: Sequence[Mapping[str, Any]],
    done: str,
    subsidised: int,
) -> dict[str, dict[str, Any]]:
    """The account's pre-orders with `items` taken off the open lines of one of them."""
    orders = dict(preorders_of(a))
    order = orders.get(preorder_id)
    if order is None:
        return orders
    lines = {code: dict(line) for code, line in order["lines"].items()}
    for item in items:
        line = lines.get(item["code"])
        if line is not None:
            line["quantity"] -= item["quantity"]
            if line["quantity"] <= 0:
                del lines[item["code"]]
    status = order["status"] if lines else done
    left = order["subsidised_left"] - subsidised
    orders[preorder_id] = {**order, "lines": lines, "status": status, "subsidised_left": left}
    return orders


def open_on(a: Account, day: date) -> tuple[str, dict[str, Any]] | None:
    """The child's pre-order for `day` with lines still to serve, if any."""
    for preorder_id, order in preorders_of(a).items():
        if order["meal_date"] == day.isoformat() and order["status"] == PLACED:
            return preorder_id, order
    return None
