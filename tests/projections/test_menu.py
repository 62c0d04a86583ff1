"""A school publishes its canteen menu per date; publishing again replaces it."""

from datetime import date

import pytest

from domain.errors import DomainError
from domain.ledger import Ledger
from domain.menu import Menu, menu_id
from tests.builders import SchoolWorld

SOUP = {
    "code": "SOUP",
    "name": "Щи",
    "price": 4_500,
    "allergens": ["сельдерей", "сельдерей "],
    "nutrition": {"kcal": 180, "proteins": 6.5},
}


def test_publishing_again_replaces_the_items_of_that_date(
    ledger: Ledger, world: SchoolWorld
) -> None:
    day = date(2026, 12, 7)
    ledger.publish_menu(world.school_id, day, [SOUP])
    ledger.publish_menu(world.school_id, day, [SOUP, {**SOUP, "code": "TEA", "name": "Чай"}])
    menu: object = ledger.repository.get(menu_id(world.school_id, day))
    assert isinstance(menu, Menu)
    assert [i["code"] for i in menu.items] == ["SOUP", "TEA"]
    assert menu.items[0]["allergens"] == ["сельдерей"]
    assert menu.items[0]["nutrition"] == {"kcal": 180, "proteins": 6.5}


@pytest.mark.parametrize(
    "bad",
    [
        {**SOUP, "price": -1},
        {**SOUP, "name": " "},
        {**SOUP, "allergens": "глютен"},
        {**SOUP, "nutrition": {"sugar": 3}},
    ],
)
def test_a_malformed_menu_item_is_refused(
    ledger: Ledger, world: SchoolWorld, bad: dict[str, object]
) -> None:
    with pytest.raises(DomainError):
        ledger.publish_menu(world.school_id, date(2026, 12, 8), [bad])
