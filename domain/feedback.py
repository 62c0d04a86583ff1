"""MenuFeedback: what a family thought of one day's menu (a rating and a comment).

One aggregate per (school, date, account), its id derived from all three, so a family has one
opinion per menu; leaving feedback again replaces it.
"""

from datetime import date
from typing import TYPE_CHECKING
from uuid import UUID

from domain.errors import InvalidCommandError
from domain.fields import Shape, text, whole_within
from domain.recorded import AssignsFields, Recorded, derived_id

MAX_COMMENT = 500
COMMENT = Shape(MAX_COMMENT, may_be_empty=True, multiline=True)


def feedback_id(school_id: UUID, menu_date: date, account_id: UUID) -> UUID:
    return derived_id("menu-feedback", school_id, menu_date.isoformat(), account_id)


def check_feedback(rating: int, comment: str) -> str:
    if not whole_within(rating, 1, 5):
        raise InvalidCommandError("a rating is a whole number from 1 to 5")
    return text(comment, COMMENT, what="a comment")


class MenuFeedback(Recorded):
    TOPIC = "infoshkola.feedback.MenuFeedback"

    class Left(AssignsFields, Recorded.Created):
        TOPIC = "infoshkola.feedback.Left"
        school_id: UUID
        menu_date: str  # ISO date: the transcoder knows datetimes, not dates
        account_id: UUID
        rating: int
        comment: str

    class Revised(AssignsFields, Recorded.Event):
        TOPIC = "infoshkola.feedback.Revised"
        rating: int
        comment: str

    if TYPE_CHECKING:  # state assigned by the events' apply methods
        school_id: UUID
        account_id: UUID
        menu_date: str
        rating: int
        comment: str

    @classmethod
    def leave(
        cls,
        school_id: UUID,
        menu_date: date,
        account_id: UUID,
        rating: int,
        comment: str,
        today: date,
    ) -> "MenuFeedback":
        if menu_date > today:
            raise InvalidCommandError("feedback is on a menu that was served, not a future one")
        return cls._create(
            cls.Left,
            id=feedback_id(school_id, menu_date, account_id),
            school_id=school_id,
            menu_date=menu_date.isoformat(),
            account_id=account_id,
            rating=rating,
            comment=check_feedback(rating, comment),
        )

    def revise(self, rating: int, comment: str) -> None:
        comment = check_feedback(rating, comment)
        if (rating, comment) != (self.rating, self.comment):
            self.trigger_event(self.Revised, rating=rating, comment=comment)
