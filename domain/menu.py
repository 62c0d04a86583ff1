"""Menu: what a school's canteen offers on one school-local date, with prices and allergens.

One aggregate per (school, date), its id derived from both, so a date has one menu; publishing
again replaces the items (the newest publication is the menu parents see).
"""

from collections.abc import Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any
from uuid import UUID

from domain.errors import InvalidCommandError
from domain.fields import CODE, NAME, check_amount, check_measure, text
from domain.money import MAX_ITEM_PRICE
from domain.recorded import AssignsFields, Recorded, derived_id

MAX_MENU_ITEMS = 100
MAX_ALLERGENS = 20
MAX_NUTRITION = 100_000  # per portion: kcal or grams
NUTRITION_KEYS = ("kcal", "proteins", "fats", "carbohydrates")


def menu_id(school_id: UUID, menu_date: date) -> UUID:
    return derived_id("menu", school_id, menu_date.isoformat())


def parse_menu_items(raw: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Validate menu lines: code, name, price (kopecks), allergens, nutrition per portion.
    Only these are kept (a till's item line may be published as it is)."""
    if not isinstance(raw, Sequence) or isinstance(raw, str) or not 0 < len(raw) <= MAX_MENU_ITEMS:
        raise InvalidCommandError(f"a menu has 1 to {MAX_MENU_ITEMS} items")
    items, codes = [], set()
    for line in raw:
        if not isinstance(line, Mapping):
            raise InvalidCommandError("every menu item is an object with a code and a name")
        if not line.get("code") or not line.get("name"):
            raise InvalidCommandError("every menu item needs a code and a name")
        code = text(line["code"], CODE, what="a menu item's code")
        name = text(line["name"], NAME, what=f"name of {code!r}")
        if code in codes:
            raise InvalidCommandError(f"menu item code {code!r} appears twice")
        codes.add(code)
        price = check_amount(line.get("price"), what=f"price of {code!r}", maximum=MAX_ITEM_PRICE)
        items.append(
            {
                "code": code,
                "name": name,
                "price": price,
                "allergens": allergens_of(line.get("allergens", []), code),
                "nutrition": nutrition_of(line.get("nutrition", {}), code),
            }
        )
    return items


def allergens_of(raw: object, code: str) -> list[str]:
    if not isinstance(raw, list | tuple) or len(raw) > MAX_ALLERGENS:
        raise InvalidCommandError(f"allergens of {code!r} are a list of at most {MAX_ALLERGENS}")
    return sorted({text(a, NAME, what=f"an allergen of {code!r}") for a in raw})


def nutrition_of(raw: object, code: str) -> dict[str, Any]:
    if not isinstance(raw, Mapping):
        raise InvalidCommandError(f"nutrition of {code!r} is an object")
    nutrition = {}
    for key, value in raw.items():
        if key not in NUTRITION_KEYS:
            raise InvalidCommandError(f"nutrition of {code!r} has unknown field {key!r}")
        what = f"nutrition {key} of {code!r}"
        nutrition[key] = check_measure(value, what=what, most=MAX_NUTRITION)
    return nutrition


class Menu(Recorded):
    TOPIC = "infoshkola.menu.Menu"

    class Started(AssignsFields, Recorded.Created):
        TOPIC = "infoshkola.menu.Started"
        school_id: UUID
        menu_date: str  # ISO date: the transcoder knows datetimes, not dates

        def apply(self, menu: "Menu") -> None:
            super().apply(menu)
            menu.items = []

    class MenuPublished(Recorded.Event):
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
