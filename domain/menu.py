"""Menu: what a school's canteen offers on one school-local date, with prices and allergens.

One aggregate per (school, date), its id derived from both, so a date has one menu; publishing
again replaces the items (the newest publication is the menu parents see).
"""

from collections.abc import Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.domain import Snapshot as BaseSnapshot

from domain.errors import InvalidCommandError
from domain.money import MAX_ITEM_PRICE, check_amount
from domain.recorded import Recorded, current_actor, derived_id

MAX_MENU_ITEMS = 100
NUTRITION_KEYS = ("kcal", "proteins", "fats", "carbohydrates")


def menu_id(school_id: UUID, menu_date: date) -> UUID:
    return derived_id("menu", school_id, menu_date.isoformat())


def parse_menu_items(raw: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Validate menu lines: code, name, price (kopecks), allergens, nutrition per portion."""
    if not raw or len(raw) > MAX_MENU_ITEMS:
        raise InvalidCommandError(f"a menu has 1 to {MAX_MENU_ITEMS} items")
    items, codes = [], set()
    for line in raw:
        code, name = str(line.get("code", "")).strip(), str(line.get("name", "")).strip()
        if not code or not name:
            raise InvalidCommandError("every menu item needs a code and a name")
        if code in codes:
            raise InvalidCommandError(f"menu item code {code!r} appears twice")
        codes.add(code)
        price = check_amount(line.get("price"), what=f"price of {code!r}", maximum=MAX_ITEM_PRICE)
        allergens = line.get("allergens", [])
        if not isinstance(allergens, list | tuple) or not all(
            isinstance(a, str) and a.strip() for a in allergens
        ):
            raise InvalidCommandError(f"allergens of {code!r} must be a list of names")
        nutrition = dict(line.get("nutrition", {}))
        for key, value in nutrition.items():
            if key not in NUTRITION_KEYS:
                raise InvalidCommandError(f"nutrition of {code!r} has unknown field {key!r}")
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise InvalidCommandError(f"nutrition {key} of {code!r} must be >= 0")
        items.append(
            {
                "code": code,
                "name": name,
                "price": price,
                "allergens": sorted({a.strip() for a in allergens}),
                "nutrition": nutrition,
            }
        )
    return items


class Menu(Recorded):
    TOPIC = "infoshkola.menu.Menu"

    class Event(Recorded.Event):
        TOPIC = "infoshkola.menu.Event"
        actor: str

    class Created(Recorded.Created):
        TOPIC = "infoshkola.menu.Created"

    class Snapshot(BaseSnapshot):
        TOPIC = "infoshkola.menu.Snapshot"

    class Started(Created):
        TOPIC = "infoshkola.menu.Started"
        actor: str
        school_id: UUID
        menu_date: str  # ISO date: the transcoder knows datetimes, not dates

        def apply(self, menu: "Menu") -> None:
            menu.school_id, menu.menu_date = self.school_id, self.menu_date
            menu.items = []

    class MenuPublished(Event):
        TOPIC = "infoshkola.menu.MenuPublished"
        school_id: UUID
        menu_date: str
        items: list[dict[str, Any]]

        def apply(self, menu: "Menu") -> None:
            menu.items = self.items

    if TYPE_CHECKING:  # state assigned by the events' apply methods
        school_id: UUID
        menu_date: str
        items: list[dict[str, Any]]

    @classmethod
    def start(cls, school_id: UUID, menu_date: date) -> "Menu":
        return cls._create(
            cls.Started,
            id=menu_id(school_id, menu_date),
            actor=current_actor.get(),
            school_id=school_id,
            menu_date=menu_date.isoformat(),
        )

    def publish(self, items: Sequence[Mapping[str, Any]]) -> None:
        self.trigger_event(
            self.MenuPublished,
            school_id=self.school_id,
            menu_date=self.menu_date,
            items=parse_menu_items(items),
        )
