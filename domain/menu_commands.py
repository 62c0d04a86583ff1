"""Commands of menus: publish a school's menu of a day, and a family's feedback on it."""

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any
from uuid import UUID

from domain.commands import Commands
from domain.errors import InvalidCommandError
from domain.feedback import MenuFeedback, feedback_id
from domain.fields import check_date
from domain.menu import Menu, menu_id


class MenuCommands(Commands):
    def publish_menu(
        self, school_id: UUID, menu_date: date, items: Sequence[Mapping[str, Any]]
    ) -> int:
        """Publish (or republish) a school's menu for one school-local date."""
        school = self.school(school_id)
        check_date(menu_date, school.local_date(self.clock()), what="a menu's date")

        def attempt() -> int:
            menu = self._find(menu_id(school_id, menu_date), Menu)
            menu = menu or Menu.start(school_id, menu_date)
            menu.publish(items)
            return self._position(self.save(menu))

        return self._retry(attempt)

    def leave_menu_feedback(
        self, account_id: UUID, menu_date: date, rating: int, comment: str
    ) -> int:
        """A family rates a menu their child's school served; leaving it again replaces it."""
        school = self.school(self.account(account_id).school_id)
        if self._find(menu_id(school.id, menu_date), Menu) is None:
            raise InvalidCommandError(f"no menu was published for {menu_date}")

        def attempt() -> int:
            found = self._find(feedback_id(school.id, menu_date, account_id), MenuFeedback)
            if found is None:
                today = school.local_date(self.clock())
                found = MenuFeedback.leave(school.id, menu_date, account_id, rating, comment, today)
            else:
                found.revise(rating, comment)
            return self._position(self.save(found))

        return self._retry(attempt)
