"""Commands of pre-orders (rules in `domain.preorder`, events in `domain.preorder_events`),
over the `Ledger`.

Placing saves the account (paid now) and the school's book of the day together. A parent's
cancellation refunds before the cut-off and is refused after it. The school's cancellation of
a day or of dishes is recorded on the book first (from then on nothing more of it can be
ordered), then every affected pre-order is refunded, each in a transaction of its own; every
refund is decided on the account's state, so it happens once however often the cancellation
runs: running it again finishes what an interrupted one left.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID, uuid4

from domain import preorder as rules
from domain.fields import check_date
from domain.ledger import Ledger
from domain.menu import Menu, menu_id
from domain.preorder import (
    HORIZON,
    NoMenuError,
    PreOrderClosedError,
    PreOrderStateError,
    UnknownPreOrderError,
)
from domain.preorder_book import PreOrderBook, book_id
from domain.preorder_events import BY_PARENT, BY_SCHOOL, PLACED, preorders_of
from domain.school import School


@dataclass(frozen=True)
class Placed:
    preorder_id: str
    meal_date: date
    amount: int
    cutoff_at: datetime
    position: int


@dataclass(frozen=True)
class Cancelled:
    preorders: int  # pre-orders refunded (in part or whole) by this run
    amount: int  # kopecks refunded by this run
    position: int


class PreOrders:
    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger

    def today(self, school: School) -> date:
        return school.local_date(self.ledger.clock())

    def day_book(self, school_id: UUID, day: date) -> PreOrderBook:
        """The school's `PreOrderBook` of `day`, opened on its first use (saved with it)."""
        found = self.ledger._find(book_id(school_id, day), PreOrderBook)
        return found or PreOrderBook.open(school_id, day)

    def place(
        self, account_id: UUID, meal_date: object, order: Sequence[Mapping[str, Any]]
    ) -> Placed:
        """Order and pay for the meal of `meal_date` (school-local), before its cut-off."""
        ledger = self.ledger
        preorder_id = uuid4().hex

        def attempt() -> Placed:
            account = ledger.account(account_id)
            school = ledger.school(account.school_id)
            today = self.today(school)
            day = check_date(meal_date, today, what="the meal's date")
            cutoff = rules.cutoff_for(school, day)
            if ledger.clock() >= cutoff or day <= today:
                closed = cutoff.astimezone(school.zone)
                raise PreOrderClosedError(
                    f"pre-orders for {day} closed at {closed:%Y-%m-%d %H:%M} school time"
                )
            if day - today > HORIZON:
                raise PreOrderClosedError(f"pre-orders open {HORIZON.days} days ahead at most")
            menu = ledger._find(menu_id(school.id, day), Menu)
            if menu is None:
                raise NoMenuError(f"no menu is published for {day}")
            items = rules.priced(order, menu.items)
            book = self.day_book(school.id, day)
            rules.place(account, preorder_id, school.id, day, items, cutoff)
            book.book(account.id, preorder_id, [i.code for i in items])
            position = ledger._position(ledger.save(account, book))
            amount = sum(i.total for i in items)
            return Placed(preorder_id, day, amount, cutoff, position)

        return ledger._retry(attempt)

    def cancel(self, account_id: UUID, preorder_id: str) -> int:
        """The parent cancels a pre-order before its cut-off: refunded in full."""
        ledger = self.ledger

        def attempt() -> int:
            account = ledger.account(account_id)
            order = preorders_of(account).get(preorder_id)
            if order is None:
                raise UnknownPreOrderError(f"no pre-order {preorder_id[:64]} on this account")
            if order["status"] != PLACED:
                raise PreOrderStateError(f"the pre-order is already {order['status']}")
            cutoff = datetime.fromisoformat(order["cutoff_at"])
            if ledger.clock() >= cutoff:
                raise PreOrderClosedError(
                    f"the pre-order could be cancelled until {cutoff.isoformat()}; the kitchen"
                    " has planned it since"
                )
            rules.cancel(account, preorder_id, None, BY_PARENT, "отменён родителем")
            return ledger._position(ledger.save(account))

        return ledger._retry(attempt)

    def cancel_service(
        self, school_id: UUID, meal_date: object, codes: Sequence[str], reason: str
    ) -> Cancelled:
        """The school cancels a day (`codes` empty) or dishes on it: recorded on the day's book,
        then every pre-order of them is refunded, once."""
        ledger = self.ledger
        school = ledger.school(school_id)
        day = check_date(meal_date, self.today(school), what="the cancelled day")
        if day < self.today(school):
            raise PreOrderClosedError(f"{day} is over: its meals were served or not")

        def record() -> int:
            book = self.day_book(school_id, day)
            book.cancel(codes, reason)
            return ledger._position(ledger.save(book))

        position = ledger._retry(record)
        done = self.refund_cancelled(book_id(school_id, day))
        return Cancelled(done.preorders, done.amount, done.position or position)

    def refund_cancelled(self, book: UUID) -> Cancelled:
        """Refund what the school's cancellations on a day's book touch and is still open: each
        pre-order in its own transaction, decided on its account (so never twice). The
        workers run it again for every cancellation recorded, so a refund that an interrupted
        cancellation left is made anyway."""
        ledger = self.ledger
        found = ledger._find(book, PreOrderBook)
        refunded, amount, position = 0, 0, 0
        reason = found.reason if found else ""
        for account_id, preorder_id, cancelled in found.affected() if found else []:

            def refund(a: UUID = account_id, p: str = preorder_id, c: list[str] = cancelled) -> int:
                account = ledger.account(a)
                paid = rules.cancel(account, p, c, BY_SCHOOL, reason)
                if paid:
                    nonlocal position
                    position = ledger._position(ledger.save(account))
                return paid

            paid = ledger._retry(refund)
            refunded, amount = refunded + (paid > 0), amount + paid
        return Cancelled(refunded, amount, position)
