"""The shape of the parents' mutations (issue 12), as clients expect it: one `input`
argument, a payload with the changed object, `userErrors` for refused input, and the ledger
`position` to read one's own writes. A refusal is data, never a GraphQL error.

A command's input says what its mutation does (`does`, the mutation's description) and what
it records (`record`, or `change` for an account changed in place); a factory of its family
(`account_command`, `account_change`, `setting_command`, `terminal_command`, …) makes its
mutation: authorize the viewer at the field's rule, record the command, answer the payload."""

from collections.abc import Awaitable, Callable, Mapping
from typing import Annotated, Any, ClassVar, Protocol, Self, TypeVar
from uuid import UUID, uuid4

import strawberry
from strawberry.types import Info

from api.graphql import permissions as perm
from api.graphql.arguments import Input
from api.graphql.context import Context
from api.graphql.queries import caught_up
from api.graphql.scalars import Position
from domain.account import Account
from domain.errors import DomainError
from domain.ledger import Ledger
from domain.recorded import acting_as

T = TypeVar("T")


@strawberry.type(description="Why a mutation's input was refused; nothing was recorded.")
class UserError:
    field: list[str] | None = strawberry.field(
        description="The path of the input field at fault, when one field is at fault."
    )
    code: str = strawberry.field(description="A stable, machine-readable code (snake_case).")
    message: str = strawberry.field(description="What was wrong, for people.")


@strawberry.type(description="What a command did, or why not.")
class Refusals:
    """What every mutation's payload answers: the refusals of its input, if any."""

    user_errors: list[UserError] = strawberry.field(
        default_factory=list,
        description="Why the input was refused; empty when the command was carried out.",
    )


@strawberry.type(description="What a command did, or why not.")
class Outcome(Refusals):
    """A payload of a command the ledger records: its refusals and the ledger position."""

    position: Position | None = strawberry.field(
        default=None,
        description="The ledger position of the command (pass it as `atLeast` to queries);"
        " null when refused.",
    )

    @classmethod
    def refusing(cls, errors: list[UserError], **shown: Any) -> Self:
        """The payload of a refused command: its refusals, no position, and `shown` (the
        payload's own fields, null or as they are known)."""
        return cls(user_errors=errors, position=None, **shown)

    @classmethod
    def done(cls, position: int | None, **shown: Any) -> Self:
        """The payload of a command carried out: no refusals, the ledger position it was
        recorded at, and `shown` (the payload's own fields)."""
        return cls(user_errors=[], position=position_of(position), **shown)


@strawberry.input(description="A command on one account.")
class AccountInput:
    contract_number: str = strawberry.field(
        description="The contract number of the pupil's account."
    )


@strawberry.input(description="Why, recorded with the command.")
class Reason:
    """The reason a command records. Strawberry lists an input's fields base by base in the
    order of its bases, then its own: name this after the base naming the object."""

    reason: str = strawberry.field(description="Why, in a few words (recorded with the event).")


@strawberry.input(description="A note recorded with the command.")
class Note:
    """An optional note a command records (listed as `Reason` is)."""

    note: str = strawberry.field(default="", description="A note for the record (optional).")


async def command(info: Info[Context, None], fn: Callable[..., T], *args: Any) -> T:
    """Run a ledger command in a worker thread, attributed to the viewer."""
    principal = await info.context.viewer()
    actor = f"{principal.role}:{principal.principal_id}" if principal else "anonymous"

    def call() -> T:
        with acting_as(actor):
            return fn(*args)

    return await info.context.services.run(call)


def user_error(error: DomainError, field: list[str] | None = None) -> UserError:
    return UserError(field=field, code=error.code, message=str(error))


def refused(code: str, message: str, *field: str) -> UserError:
    return UserError(field=list(field) or None, code=code, message=message)


async def attempt(
    info: Info[Context, None],
    fn: Callable[..., T],
    *args: Any,
    field: list[str] | None = None,
    refusals: Mapping[str, list[str]] | None = None,
) -> tuple[T | None, list[UserError]]:
    """Run a command as the viewer: its result, or the domain's refusal as a user error on
    the input field `field`, or on the one `refusals` gives for its code when given."""
    try:
        return await command(info, fn, *args), []
    except DomainError as error:
        return None, [user_error(error, field) if refusals is None else refusal(error, refusals)]


async def attempt_on(
    info: Info[Context, None],
    ref: perm.AccountRef,
    fn: Callable[..., T],
    *args: Any,
    field: list[str] | None = None,
) -> tuple[T | None, list[UserError]]:
    """`fn(ledger, account_id, *args)` on the account `ref` (the viewer already authorized
    for it), run as the viewer: the outcome (None when refused) and the refusals."""
    ledger = info.context.services.ledger
    return await attempt(info, fn, ledger, ref.account_id, *args, field=field)


async def kept_personal(info: Info[Context, None], **fields: str) -> str:
    """`fields` kept as personal data beside the ledger (`adapters/people.py`): the new
    subject's reference, which the ledger records instead of them."""
    services = info.context.services
    subject = f"subject:{uuid4()}"
    await services.run(lambda: services.people.put(subject, **fields))
    return subject


def position_of(value: int | None) -> Position | None:
    return Position(value) if value else None


async def ledger_head(info: Info[Context, None]) -> int | None:
    """The ledger's last position (None before any event): the position to answer for a
    command that records no event of its own (identity, a terminal's secret) or does not say
    at which position it recorded; a read at it is fresh."""
    services = info.context.services
    return await services.run(services.ledger.recorder.max_notification_id)


async def applied(info: Info[Context, None], position: Position | None, *models: str) -> bool:
    """Whether a command was recorded (at `position`, None when refused), once the read
    `models` have applied it (read-your-writes: waits a few seconds at most)."""
    if position is None:
        return False
    await caught_up(info, models, position)
    return True


def input_mutation(
    name: str,
    input_type: type,
    payload_type: type,
    description: str,
    handle: Callable[[Info[Context, None], str, Any], Awaitable[Any]],
) -> Any:
    """The mutation `name(input: input_type): payload_type`, answered by
    `handle(info, "Mutation.<name>", input)` (the coordinate names its rule in permissions)."""

    async def resolve(
        info: Info[Context, None],
        input: Annotated[input_type, Input],  # type: ignore[valid-type]
    ) -> payload_type:  # type: ignore[valid-type]
        return await handle(info, f"Mutation.{name}", input)  # type: ignore[no-any-return]

    return strawberry.mutation(resolver=resolve, name=name, description=description)


def account_mutation(
    name: str,
    input_type: type,
    payload_type: type,
    description: str,
    handle: Callable[[Info[Context, None], perm.AccountRef, Any], Awaitable[Any]],
) -> Any:
    """The mutation `name(input: input_type): payload_type` on the account the input names
    (its `contract_number`): `handle(info, account, input)` once the viewer is authorized for
    that account at the field's rule (`Mutation.<name>` in api/graphql/permissions.py)."""

    async def authorized(info: Info[Context, None], coordinate: str, given: Any) -> Any:
        return await handle(
            info, await perm.account(info, coordinate, given.contract_number), given
        )

    return input_mutation(name, input_type, payload_type, description, authorized)


class AccountChange(Protocol):
    """An input that changes the account it names in place: `does`, what its mutation does
    (the mutation's description), and `change`, the domain's decision on the account."""

    does: ClassVar[str]

    def change(self, account: Account) -> None: ...


def account_change(
    name: str,
    input_type: type[AccountChange],
    payload_type: type[Outcome],
    shown: str,
    read: Callable[[Info[Context, None], UUID], Awaitable[object]],
) -> Any:
    """The mutation `name(input: input_type): payload_type` applying the input's change to
    the account it names (authorized at the field's rule): the payload's field `shown` holds
    `read(info, account_id)` after it, null when refused."""

    async def handle(
        info: Info[Context, None], ref: perm.AccountRef, given: AccountChange
    ) -> Outcome:
        position, errors = await attempt_on(info, ref, Ledger._on_account, given.change)
        if errors:
            return payload_type.refusing(errors, **{shown: None})
        return payload_type.done(position, **{shown: await read(info, ref.account_id)})

    return account_mutation(name, input_type, payload_type, input_type.does, handle)


def refusal(error: Exception, fields: Mapping[str, list[str]]) -> UserError:
    """A refusal (a domain's or identity's error, with its snake_case `code`) as a user error
    on the input field's path `fields` gives for its code; on no one field for other codes."""
    code = str(getattr(error, "code", "invalid_command"))
    return UserError(field=fields.get(code), code=code, message=str(error))
