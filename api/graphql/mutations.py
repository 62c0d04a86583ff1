"""The menu's mutation (`publishMenu`), and the phone and e-mail shapes mutations check.

Every mutation takes one `input` and answers a payload with the changed object,
`userErrors { field code message }` and the ledger `position` (pass it as `atLeast` to a
query to read one's own write); see `api/graphql/payloads.py`. Events are stamped with the
acting login (`parent:<id>`, `school_admin:<id>` …).
"""

import datetime as dt
import re
from typing import Any, TypeVar
from uuid import UUID

import strawberry
from strawberry.types import Info

from api.graphql.context import Context
from api.graphql.payloads import Outcome, UserError, applied, refused
from api.graphql.school_commands import SchoolInput, recorded_on, school_mutation
from api.graphql.types import Dish, Menu, Nutrition
from domain.ledger import Ledger

T = TypeVar("T")
PHONE = re.compile(r"\+\d{10,15}")
EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{2,63}")
CONTACT_SHAPES = {  # per kind of contact: its shape, and the refusal's message for another
    "phone": (PHONE, "a phone is +<10-15 digits>"),
    "email": (EMAIL, "not an e-mail address"),
}


def misshapen(kind: str, value: str, *field: str) -> UserError | None:
    """The refusal of `value`, a contact of `kind` (`phone`, `email`) not of that kind's
    shape, on the input field `field`; None when it has the shape."""
    shape, message = CONTACT_SHAPES[kind]
    return None if shape.fullmatch(value) else refused("invalid_command", message, *field)


@strawberry.input(description="Nutrition facts of a menu item; leave out what is unknown.")
class NutritionInput(Nutrition):
    """The facts of `Nutrition`, as a menu's publisher gives them."""


@strawberry.input(description="An item of a menu.")
class MenuItemInput(Dish):
    nutrition: NutritionInput | None = strawberry.field(
        default=None, description="Its nutrition facts."
    )

    def as_line(self) -> dict[str, Any]:
        n = self.nutrition
        nutrition = {k: v for k, v in vars(n).items() if v is not None} if n else {}
        return {
            "code": self.code,
            "name": self.name,
            "price": int(self.price),
            "allergens": list(self.allergens),
            "nutrition": nutrition,
        }


@strawberry.input(description="A day's menu of one school.")
class PublishMenuInput(SchoolInput):
    date: dt.date = strawberry.field(description="The school-local date the menu is for.")
    items: list[MenuItemInput] = strawberry.field(
        description="The menu's items, in the order shown."
    )


@strawberry.type(description="What publishing a menu did: the menu, or why not.")
class MenuPayload(Outcome):
    school_id: strawberry.Private[UUID]
    date: strawberry.Private[dt.date]

    @strawberry.field(
        description="The menu once the read model has applied it (waits a few seconds at"
        " most); null when refused."
    )
    async def menu(self, info: Info[Context, None]) -> Menu | None:
        if not await applied(info, self.position, "menus"):
            return None
        return await Menu.read(info, self.school_id, self.date)


async def publish(info: Info[Context, None], school: UUID, given: PublishMenuInput) -> MenuPayload:
    lines = [i.as_line() for i in given.items]
    _, errors, at = await recorded_on(info, school, Ledger.publish_menu, given.date, lines)
    return MenuPayload(school_id=school, date=given.date, user_errors=errors, position=at)


@strawberry.type
class SchoolMutation:
    publish_menu = school_mutation(
        "publishMenu",
        PublishMenuInput,
        MenuPayload,
        "Canteen operators and school admins: a day's menu.",
        publish,
    )
