"""Pre-orders (предзаказ): a meal ordered ahead from the school's published menu, before the
school's cut-off, paid at order, served at the canteen's till, refunded if cancelled.

Money: placing a pre-order is a purchase made ahead. `PreOrderPlaced` debits the account at
once (the subsidised wallet first, as for any canteen meal, then the regular one; never into
the meal overdraft, and not counted against the daily limit of the day of ordering). Serving
it at the till (`PreOrderServed`) moves no money: the tap names the pre-order it consumed.
`PreOrderCancelled` credits back exactly the lines cancelled (the subsidised wallet first, up
to what it paid), once: the account's own state says which lines are still open, and a second
cancellation of the same lines finds nothing left to refund. A pre-order nobody collected is
not refunded (the kitchen cooked it).

This module holds the decisions (the rules of placing, cancelling and serving); the events
and the account's pre-orders they keep are in `domain/preorder_events.py`, the school's book
of a day in `domain/preorder_book.py`, the commands over the `Ledger` in
`domain/preorders.py`.
"""

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import UUID

from domain import school_settings
from domain.account import Account
from domain.errors import ConflictError, InsufficientFundsError, InvalidCommandError, NotFoundError
from domain.fields import CODE, REASON, check_count, text
from domain.kinds import Outcome, TerminalKind
from domain.preorder_events import (
    PLACED,
    PreOrderCancelled,
    PreOrderPlaced,
    PreOrderServed,
    open_on,
    preorders_of,
)
from domain.purchase import Item, split_payment
from domain.school import School
from domain.tap import TapContext, TapDecision

MAX_LINES = 10  # dishes per pre-order
MAX_PORTIONS = 5  # of one dish
HORIZON = timedelta(days=31)  # how far ahead a meal may be pre-ordered


class PreOrderClosedError(ConflictError):
    """The cut-off has passed (or the day is over): the kitchen is planning or cooking."""

    code = "preorder_cutoff_passed"


class PreOrderExistsError(ConflictError):
    """One pre-order per child and date: cancel it (before the cut-off) to order anew."""

    code = "preorder_exists"


class PreOrderStateError(ConflictError):
    """Served or cancelled already: nothing left to cancel."""

    code = "preorder_state"


class UnknownPreOrderError(NotFoundError):
    code = "unknown_preorder"


class NoMenuError(NotFoundError):
    code = "no_menu"


def cutoff_for(school: School, meal_date: date) -> datetime:
    """When pre-orders of `meal_date` close: the school's cut-off time (in effect on the day
    before) on the day before, school-local, as UTC."""
    eve = meal_date - timedelta(days=1)
    hours, minutes = school_settings.preorder_cutoff_on(school, eve).split(":")
    return datetime.combine(eve, time(int(hours), int(minutes)), school.zone).astimezone(UTC)


def priced(order: Sequence[Mapping[str, Any]], menu: Sequence[Mapping[str, Any]]) -> list[Item]:
    """The lines a parent asks for ({code, quantity}), priced from the published menu."""
    if not isinstance(order, Sequence) or not 0 < len(order) <= MAX_LINES:
        raise InvalidCommandError(f"a pre-order has 1 to {MAX_LINES} dishes")
    on_menu = {str(i["code"]): i for i in menu}
    lines: dict[str, Item] = {}
    for line in order:
        code = text(line.get("code"), CODE, what="a pre-ordered dish's code")
        quantity = check_count(
            line.get("quantity", 1), what=f"portions of {code!r}", least=1, most=MAX_PORTIONS
        )
        dish = on_menu.get(code)
        if dish is None:
            raise InvalidCommandError(f"{code!r} is not on that day's menu")
        if code in lines:
            raise InvalidCommandError(f"{code!r} appears twice")
        lines[code] = Item(code, str(dish["name"]), int(dish["price"]), quantity, meal=True)
    return list(lines.values())


def place(
    a: Account,
    preorder_id: str,
    school_id: UUID,
    meal_date: date,
    items: Sequence[Item],
    cutoff_at: datetime,
) -> None:
    """Pay for a pre-order now: the subsidy first, then money that is on the account."""
    a.check_open()
    if open_on(a, meal_date) is not None:
        raise PreOrderExistsError(f"{a.contract_number} already has a pre-order for {meal_date}")
    split = split_payment(items, a.subsidised, meals_count=True)
    if a.regular < split.from_regular:
        raise InsufficientFundsError(
            f"the pre-order costs {split.total} kopecks; the account has {a.regular} (and "
            f"{a.subsidised} for meals)"
        )
    a.trigger_event(
        PreOrderPlaced,
        preorder_id=preorder_id,
        school_id=school_id,
        meal_date=meal_date.isoformat(),
        items=[i.as_dict() for i in items],
        amount=split.total,
        from_regular=split.from_regular,
        from_subsidised=split.from_subsidised,
        cutoff_at=cutoff_at,
    )


def cancel(a: Account, preorder_id: str, codes: Sequence[str] | None, by: str, reason: str) -> int:
    """Refund the open lines of `codes` (None: every open line); the amount refunded, 0 when
    nothing of them is open any more (already cancelled or served: never refunded twice)."""
    order = preorders_of(a).get(preorder_id)
    if order is None:
        raise UnknownPreOrderError(f"no pre-order {preorder_id} on {a.contract_number}")
    lines = [line for code, line in order["lines"].items() if codes is None or code in codes]
    if order["status"] != PLACED or not lines:
        return 0
    amount = lines_total(lines)
    to_subsidised = min(amount, int(order["subsidised_left"]))
    a.trigger_event(
        PreOrderCancelled,
        preorder_id=preorder_id,
        meal_date=order["meal_date"],
        items=lines,
        by=by,
        reason=text(reason, REASON, what="why the pre-order is cancelled"),
        to_regular=amount - to_subsidised,
        to_subsidised=to_subsidised,
    )
    return amount


def lines_total(lines: Iterable[Mapping[str, Any]]) -> int:
    """What recorded item lines ({price, quantity, …}) cost together, in kopecks."""
    return sum(int(line["price"]) * int(line["quantity"]) for line in lines)


def cover(
    lines: Mapping[str, Mapping[str, Any]], items: Sequence[Item]
) -> tuple[list[dict[str, Any]], list[Item]]:
    """Split a tray into the pre-ordered lines it takes and the rest, charged as usual."""
    left = {code: int(line["quantity"]) for code, line in lines.items()}
    served: list[dict[str, Any]] = []
    rest: list[Item] = []
    for item in items:
        taken = min(item.quantity, left.get(item.code, 0))
        if taken:
            left[item.code] -= taken
            served.append({**lines[item.code], "quantity": taken})
        if item.quantity > taken:
            rest.append(replace(item, quantity=item.quantity - taken))
    return served, rest


def serve(
    a: Account, ctx: TapContext, charge: Callable[[TapContext], TapDecision], frozen: bool
) -> TapDecision | None:
    """Serve the child's pre-order of the tap's day from the tray at the canteen's till.

    None when there is nothing of it on the tray, or when the card may not pay at all (the
    usual decision then declines the tap). Pre-ordered lines are served only with the whole
    tray: when the rest is declined, the tap is declined and the pre-order stays open.
    `charge(ctx)` decides the rest of the tray as a purchase."""
    if ctx.kind != TerminalKind.CANTEEN_POS:
        return None
    found = open_on(a, ctx.local_date)
    if found is None:
        return None
    if a.closed or (not ctx.request.offline and (frozen or a._card_refusal(ctx, paying=True))):
        return None
    preorder_id, order = found
    served, rest = cover(order["lines"], ctx.request.items)
    if not served:
        return None
    everything = [i.as_dict() for i in ctx.request.items]
    decision = None
    if rest:
        decision = charge(replace(ctx, request=replace(ctx.request, items=tuple(rest))))
        if not decision.approved:
            return replace(decision, items=everything)
    a.trigger_event(
        PreOrderServed,
        preorder_id=preorder_id,
        meal_date=order["meal_date"],
        items=served,
        amount=lines_total(served),
        tap_id=ctx.request.tap_id,
        terminal_id=ctx.request.terminal_id,
        terminal_kind=ctx.kind,
        card_uid=ctx.request.card_uid,
        tapped_at=ctx.request.tapped_at,
        local_date=ctx.local_date.isoformat(),
    )
    if decision is None:
        offline = {"offline": True} if ctx.request.offline else {}
        decision = ctx.decision(Outcome.APPROVED, **offline, **a._figures(ctx))
    return replace(decision, items=everything, preorder_id=preorder_id)
