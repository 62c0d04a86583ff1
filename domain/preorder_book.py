"""The `PreOrderBook` of a school and a date: every pre-order booked for it and the school's
cancellations of the day or of dishes on it.

Placing a pre-order saves the account and the book together, so a pre-order and a
cancellation of its day (or dish) cannot pass each other: whichever saves second conflicts
and is decided again.
"""

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Any
from uuid import UUID

from domain.errors import ConflictError
from domain.fields import CODE, REASON, text
from domain.recorded import AssignsFields, Recorded, derived_id


class MealCancelledError(ConflictError):
    """The school cancelled this day, or this dish on it."""

    code = "meal_cancelled"


def book_id(school_id: UUID, meal_date: date) -> UUID:
    return derived_id("preorder-book", school_id, meal_date.isoformat())


class PreOrderBook(Recorded):
    TOPIC = "infoshkola.preorder.PreOrderBook"

    class Opened(AssignsFields, Recorded.Created):
        TOPIC = "infoshkola.preorder.Opened"
        school_id: UUID
        meal_date: str

        def apply(self, book: "PreOrderBook") -> None:
            super().apply(book)
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
