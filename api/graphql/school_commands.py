"""The shape of a command on one school (issue 12): the input naming the school, and
`school_mutation`: authorize the viewer for the school at the field's rule, then its handler,
which runs the command as the viewer (`recorded_on`, `scheduled_on`) and answers its outcome,
the refusals as user errors and the ledger position after it."""

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any, TypeVar
from uuid import UUID

import strawberry
from strawberry.types import Info

from api.graphql import permissions as perm
from api.graphql.context import Context
from api.graphql.payloads import UserError, attempt, input_mutation, ledger_head, position_of
from api.graphql.scalars import Position
from domain.school_settings import schedule_setting

T = TypeVar("T")


@strawberry.input(description="A command on one school.")
class SchoolInput:
    school: UUID = strawberry.field(description="The school's id.")


async def recorded_on(
    info: Info[Context, None], school: UUID, fn: Callable[..., T], *args: Any
) -> tuple[T | None, list[UserError], Position | None]:
    """`fn(ledger, school, *args)` as the viewer, already authorized for `school`: its outcome
    (None when refused), the user errors, and the ledger position after it."""
    services = info.context.services
    done, errors = await attempt(info, fn, services.ledger, school, *args)
    if errors:
        return None, errors, None
    return done, [], position_of(await ledger_head(info))


async def scheduled_on(
    info: Info[Context, None],
    school: UUID,
    setting: str,
    value: object,
    effective_from: date | None,
) -> tuple[Position | None, list[UserError]]:
    """The change of `setting` of `school` to `value` from `effective_from` (today when None)
    recorded as the viewer, already authorized for `school`: the ledger position of the change
    (None when refused) and the user errors."""
    ledger = info.context.services.ledger
    at, errors = await attempt(
        info, schedule_setting, ledger, school, setting, value, effective_from
    )
    return position_of(at), errors


def school_mutation(
    name: str,
    input_type: type,
    payload_type: type,
    description: str,
    handle: Callable[[Info[Context, None], UUID, Any], Awaitable[Any]],
) -> Any:
    """The mutation `name(input: input_type): payload_type` on the school the input names
    (its `school`): `handle(info, school, input)` once the viewer is authorized for that school
    at the field's rule (`Mutation.<name>` in api/graphql/permissions.py)."""

    async def authorized(info: Info[Context, None], coordinate: str, given: Any) -> Any:
        return await handle(info, await perm.school(info, coordinate, given.school), given)

    return input_mutation(name, input_type, payload_type, description, authorized)
