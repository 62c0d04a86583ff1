"""Mutations: each authorizes its object, then calls the ledger off the event loop.

Results are typed: `Done { position }` (the ledger notification id, for read-your-writes:
pass it as `atLeast` to a query) or `Problem { code, message }` for a refused command.
Events are stamped with the acting login (`parent:<id>`, `school_admin:<id>` …).
"""

import re
from collections.abc import Callable
from datetime import date
from typing import Annotated, Any, TypeVar

import strawberry
from strawberry.types import Info

from api.graphql import permissions as perm
from api.graphql.arguments import SchoolId
from api.graphql.context import Context
from api.graphql.enums import ProblemCode, convert
from api.graphql.payloads import command
from api.graphql.scalars import Kopecks, Position
from api.graphql.types import (
    CommandResult,
    Done,
    Problem,
)
from domain.errors import DomainError

T = TypeVar("T")
PHONE = re.compile(r"\+\d{10,15}")
EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{2,63}")


def problem(error: DomainError) -> Problem:
    code = convert(ProblemCode, error.code, ProblemCode.OTHER)
    if code == ProblemCode.OTHER:
        for cls in type(error).__mro__:
            candidate = getattr(cls, "code", None)
            if isinstance(candidate, str) and candidate in ProblemCode._value2member_map_:
                code = ProblemCode(candidate)
                break
    return Problem(code=code, message=str(error))


async def recorded(info: Info[Context, None], fn: Callable[..., int], *args: Any) -> CommandResult:
    try:
        return Done(position=Position(await command(info, fn, *args)))
    except DomainError as error:
        return problem(error)


@strawberry.input(description="Nutrition facts of a menu item; leave out what is unknown.")
class NutritionInput:
    kcal: float | None = strawberry.field(default=None, description="Energy, kcal.")
    proteins: float | None = strawberry.field(default=None, description="Proteins, g.")
    fats: float | None = strawberry.field(default=None, description="Fats, g.")
    carbohydrates: float | None = strawberry.field(default=None, description="Carbohydrates, g.")


@strawberry.input(description="An item of a menu.")
class MenuItemInput:
    code: str = strawberry.field(description="The item's code, as the till sends it.")
    name: str = strawberry.field(description="The item's name, as parents see it.")
    price: Kopecks = strawberry.field(description="Its price.")
    allergens: list[str] = strawberry.field(
        default_factory=list, description="Allergens it contains."
    )
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


@strawberry.type
class SchoolMutation:
    @strawberry.mutation(description="Canteen operators and school admins: a day's menu.")
    async def publish_menu(
        self,
        info: Info[Context, None],
        school: SchoolId,
        date: Annotated[
            date, strawberry.argument(description="The school-local date the menu is for.")
        ],
        items: Annotated[
            list[MenuItemInput],
            strawberry.argument(description="The menu's items, in the order shown."),
        ],
    ) -> CommandResult:
        await perm.school(info, "Mutation.publishMenu", school)
        ledger = info.context.services.ledger
        lines = [i.as_line() for i in items]
        return await recorded(info, ledger.publish_menu, school, date, lines)
