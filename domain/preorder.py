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

The `PreOrderBook` of a school and a date lists every pre-order booked for it and the
school's cancellations. Placing a pre-order saves the account and the book together, so a
pre-order and a cancellation of its day (or dish) cannot pass each other: whichever saves
second conflicts and is decided again.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.utils import register_topic

from domain import school_settings
from domain.account import Account
from domain.account.state import AccountState
from domain.account.taps import TapEvent
from domain.errors import ConflictError, InsufficientFundsError, InvalidCommandError, NotFoundError
from domain.fields import CODE, REASON, check_count, text
from domain.kinds import Outcome, TerminalKind
from domain.purchase import Item, split_payment
from domain.recorded import Recorded, derived_id
from domain.school import School
from domain.tap import TapContext, TapDecision

MAX_LINES = 10  # dishes per pre-order
MAX_PORTIONS = 5  # of one dish
HORIZON = timedelta(days=31)  # how far ahead a meal may be pre-ordered
KEPT = timedelta(days=62)  # pre-orders an account remembers, back from its newest meal date
PLACED, SERVED, CANCELLED = "placed", "served", "cancelled"
BY_PARENT, BY_SCHOOL = "parent", "school"


class PreOrderClosedError(ConflictError):
    """The cut-off has passed (or the day is over): the kitchen is planning or cooking."""

    code = "preorder_cutoff_passed"


class PreOrderExistsError(ConflictError):
    """One pre-order per child and date: cancel it (before the cut-off) to order anew."""

    code = "preorder_exists"


class PreOrderStateError(ConflictError):
    """Served or cancelled already: nothing left to cancel."""

    code = "preorder_state"


class MealCancelledError(ConflictError):
    """The school cancelled this day, or this dish on it."""

    code = "meal_cancelled"


class UnknownPreOrderError(NotFoundError):
    code = "unknown_preorder"


class NoMenuError(NotFoundError):
    code = "no_menu"


# The account's events


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


class PreOrderCancelled(Account.Event):
    """Lines of a pre-order cancelled (by the parent before the cut-off, or by the school),
    and their price credited back."""

    TOPIC = "infoshkola.account.PreOrderCancelled"
    preorder_id: str
    meal_date: str
    items: list[dict[str, Any]]  # the lines cancelled
    by: str  # "parent" or "school"
    reason: str
    to_regular: int
    to_subsidised: int

    def apply(self, a: Account) -> None:
        a.regular += self.to_regular
        a.subsidised += self.to_subsidised
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


for _event in (PreOrderPlaced, PreOrderCancelled, PreOrderServed):
    register_topic(_event.TOPIC, _event)


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


# The book of a school's day


def book_id(school_id: UUID, meal_date: date) -> UUID:
    return derived_id("preorder-book", school_id, meal_date.isoformat())


class PreOrderBook(Recorded):
    TOPIC = "infoshkola.preorder.PreOrderBook"

    class Opened(Recorded.Created):
        TOPIC = "infoshkola.preorder.Opened"
        school_id: UUID
        meal_date: str

        def apply(self, book: "PreOrderBook") -> None:
            book.school_id, book.meal_date = self.school_id, self.meal_date
            book.entries, book.cancelled_day, book.cancelled_codes = [], False, []
            book.reason = ""

    class Booked(Recorded.Event):
        TOPIC = "infoshkola.preorder.Booked"
        account_id: UUID
        preorder_id: str
        codes: list[str]

        def apply(self, book: "PreOrderBook") -> None:
            entry = {"account_id": str(self.account_id), "preorder_id": self.preorder_id}
            book.entries = [*book.entries, {**entry, "codes": self.codes}]

    class ServiceCancelled(Recorded.Event):
        """The school cancels the day (`codes` empty) or these dishes on it."""

        TOPIC = "infoshkola.preorder.ServiceCancelled"
        codes: list[str]
        reason: str

        def apply(self, book: "PreOrderBook") -> None:
            book.cancelled_day = book.cancelled_day or not self.codes
            book.cancelled_codes = sorted({*book.cancelled_codes, *self.codes})
            book.reason = self.reason

    if TYPE_CHECKING:  # state assigned by the events' apply methods
        school_id: UUID
        meal_date: str
        entries: list[dict[str, Any]]
        cancelled_day: bool
        cancelled_codes: list[str]
        reason: str  # of the latest cancellation: what the refunds say

    @classmethod
    def open(cls, school_id: UUID, meal_date: date) -> "PreOrderBook":
        return cls._create(
            cls.Opened,
            id=book_id(school_id, meal_date),
            school_id=school_id,
            meal_date=meal_date.isoformat(),
        )

    def cancelled(self, codes: Sequence[str]) -> list[str]:
        """Which of `codes` the school has cancelled (all of them once the day is)."""
        return list(codes) if self.cancelled_day else sorted(set(codes) & {*self.cancelled_codes})

    def book(self, account_id: UUID, preorder_id: str, codes: Sequence[str]) -> None:
        if self.cancelled(codes):
            raise MealCancelledError(
                f"the school cancelled {', '.join(self.cancelled(codes))} on {self.meal_date}"
            )
        self.trigger_event(
            self.Booked, account_id=account_id, preorder_id=preorder_id, codes=list(codes)
        )

    def cancel(self, codes: Sequence[str], reason: str) -> bool:
        """Record the cancellation; False when it was already recorded (nothing new)."""
        reason = text(reason, REASON, what="why the meals are cancelled")
        clean = sorted({text(c, CODE, what="a cancelled dish's code") for c in codes})
        if self.cancelled_day or (clean and set(clean) <= set(self.cancelled_codes)):
            return False
        self.trigger_event(self.ServiceCancelled, codes=clean, reason=reason)
        return True

    def affected(self) -> list[tuple[UUID, str, list[str]]]:
        """(account, pre-order, cancelled codes) of every booked pre-order the school's
        cancellations touch."""
        found = []
        for entry in self.entries:
            codes = self.cancelled(entry["codes"])
            if codes:
                found.append((UUID(entry["account_id"]), entry["preorder_id"], codes))
        return found


# Rules


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
    amount = sum(int(line["price"]) * int(line["quantity"]) for line in lines)
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
        amount=sum(int(line["price"]) * int(line["quantity"]) for line in served),
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
