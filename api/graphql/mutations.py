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

from adapters.terminal_auth import enrol_terminal
from api.graphql import permissions as perm
from api.graphql.arguments import Reason, SchoolId, TerminalId
from api.graphql.context import Context
from api.graphql.enums import ProblemCode, TerminalKind, convert
from api.graphql.payloads import command
from api.graphql.scalars import Kopecks, Position
from api.graphql.types import (
    CommandResult,
    Done,
    Problem,
    RegisterTerminalResult,
    TerminalRegistered,
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


async def on_account(
    info: Info[Context, None],
    coordinate: str,
    contract_number: str,
    fn: Callable[..., int],
    *args: Any,
) -> CommandResult:
    """The one shape of a mutation on an account: authorize the viewer for the account of
    `contract_number` at `coordinate` (api/graphql/permissions.py), then record
    `fn(account_id, *args)` attributed to the viewer."""
    ref = await perm.account(info, coordinate, contract_number)
    return await recorded(info, fn, info.context.services.ledger, ref.account_id, *args)


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

    @strawberry.mutation(description="School admins: a new terminal; its secret is shown once.")
    async def register_terminal(
        self,
        info: Info[Context, None],
        school: SchoolId,
        kind: Annotated[TerminalKind, strawberry.argument(description="What the terminal is for.")],
        label: Annotated[
            str, strawberry.argument(description="Where it stands, as reports name it.")
        ],
    ) -> RegisterTerminalResult:
        await perm.school(info, "Mutation.registerTerminal", school)
        services = info.context.services
        try:
            terminal_id, secret = await command(
                info,
                enrol_terminal,
                services.ledger,
                services.terminal_secrets,
                school,
                kind.value,
                label[:100],
            )
        except DomainError as error:
            return problem(error)
        position = await services.run(services.ledger.recorder.max_notification_id)
        return TerminalRegistered(
            terminal_id=terminal_id, secret=secret, position=Position(position or 0)
        )

    @strawberry.mutation(description="School admins: revoke a terminal; it is refused at once.")
    async def revoke_terminal(
        self, info: Info[Context, None], terminal_id: TerminalId, reason: Reason
    ) -> CommandResult:
        await perm.terminal(info, "Mutation.revokeTerminal", terminal_id)
        ledger = info.context.services.ledger
        return await recorded(info, ledger.revoke_terminal, terminal_id, reason[:200])
