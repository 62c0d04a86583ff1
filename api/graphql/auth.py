"""Identity mutations: login, tokens, passwords, representatives, support's reset.

Unknown and known logins get the same answers (`INVALID_CREDENTIALS`, `THROTTLED`,
`Accepted`); passwords and codes travel by SMS only, queued in the workers' outbox in the
transaction that makes them (no request waits for the SMS gateway).
"""

from typing import Annotated

import strawberry
from strawberry.types import Info

from api.graphql import permissions as perm
from api.graphql.arguments import ContractNumber, NewPassword, Username
from api.graphql.context import Context
from api.graphql.enums import ProblemCode, convert
from api.graphql.mutations import PHONE
from api.graphql.scalars import Position
from api.graphql.types import (
    Accepted,
    CommandResult,
    Done,
    LoginResult,
    Problem,
    RequestResult,
    Session,
)
from identity.service import Access, IdentityError


def identity_problem(error: IdentityError) -> Problem:
    return Problem(code=convert(ProblemCode, error.code, ProblemCode.OTHER), message=str(error))


async def head(info: Info[Context, None]) -> Position:
    """The ledger's head: identity changes are not ledger events, any later read is fresh."""
    services = info.context.services
    found: int | None = await services.run(services.ledger.recorder.max_notification_id)
    return Position(found or 0)


@strawberry.type
class IdentityMutation:
    @strawberry.mutation(
        description="Log in with a contract number (parents), a phone (representatives) or a "
        "staff username. Every attempt counts against the login's and the address's limits."
    )
    async def login(
        self,
        info: Info[Context, None],
        username: Username,
        password: Annotated[str, strawberry.argument(description="The password.")],
    ) -> LoginResult:
        ctx = info.context
        try:
            issued = await ctx.services.run(
                ctx.services.identity.login, username, password, ctx.address
            )
        except IdentityError as error:
            return identity_problem(error)
        return Session.of(issued)

    @strawberry.mutation(description="A new access token for a live session (rotates the token).")
    async def refresh_token(
        self,
        info: Info[Context, None],
        refresh_token: Annotated[
            str, strawberry.argument(description="The refresh token of the session.")
        ],
    ) -> LoginResult:
        services = info.context.services
        try:
            return Session.of(await services.run(services.identity.refresh, refresh_token))
        except IdentityError as error:
            return identity_problem(error)

    @strawberry.mutation(description="End this session: its tokens stop working at once.")
    async def logout(self, info: Info[Context, None]) -> Accepted:
        principal = await perm.viewer_for(info, "Mutation.logout")
        services = info.context.services
        if principal.session_id is not None:
            await services.run(services.identity.logout, principal.session_id)
        info.context.forget_viewer()
        return Accepted(ok=True)

    @strawberry.mutation(description="Change the password; every session of the login ends.")
    async def change_password(
        self,
        info: Info[Context, None],
        old_password: Annotated[str, strawberry.argument(description="The current password.")],
        new_password: NewPassword,
    ) -> RequestResult:
        principal = await perm.viewer_for(info, "Mutation.changePassword")
        ctx = info.context
        try:
            await ctx.services.run(
                ctx.services.identity.change_password,
                principal.principal_id,
                old_password,
                new_password,
                ctx.address,
            )
        except IdentityError as error:
            return identity_problem(error)
        ctx.forget_viewer()
        return Accepted(ok=True)

    @strawberry.mutation(description="Send a one-time code by SMS to the login's phone.")
    async def request_password_reset(
        self, info: Info[Context, None], username: Username
    ) -> RequestResult:
        ctx = info.context
        try:
            await ctx.services.run(ctx.services.identity.request_reset, username, ctx.address)
        except IdentityError as error:
            return identity_problem(error)
        return Accepted(ok=True)

    @strawberry.mutation(description="Set a new password with the SMS code; every session ends.")
    async def reset_password(
        self,
        info: Info[Context, None],
        username: Username,
        code: Annotated[str, strawberry.argument(description="The one-time code from the SMS.")],
        new_password: NewPassword,
    ) -> RequestResult:
        ctx = info.context
        try:
            await ctx.services.run(
                ctx.services.identity.reset_password, username, code, new_password, ctx.address
            )
        except IdentityError as error:
            return identity_problem(error)
        return Accepted(ok=True)

    @strawberry.mutation(
        description="Parents: give another person (a grandparent) read access to a contract; "
        "they log in with their phone and a password sent to it by SMS."
    )
    async def add_representative(
        self,
        info: Info[Context, None],
        contract_number: ContractNumber,
        phone: Annotated[
            str, strawberry.argument(description="The representative's phone, +<10-15 digits>.")
        ],
    ) -> CommandResult:
        ref = await perm.account(info, "Mutation.addRepresentative", contract_number)
        phone = phone.strip()
        if not PHONE.fullmatch(phone):
            return Problem(code=ProblemCode.INVALID_COMMAND, message="a phone is +<10-15 digits>")
        services = info.context.services
        try:
            await services.run(
                services.identity.grant_parent,
                ref.contract_number,
                ref.account_id,
                phone,
                Access.READ,
            )
        except IdentityError as error:
            return identity_problem(error)
        return Done(position=await head(info))

    @strawberry.mutation(description="Support: a new password by SMS to the contract's parent.")
    async def reset_access(
        self, info: Info[Context, None], contract_number: ContractNumber
    ) -> CommandResult:
        ref = await perm.account(info, "Mutation.resetAccess", contract_number)
        services = info.context.services
        found = await services.run(services.identity.reset_access, ref.contract_number)
        if not found:
            return Problem(code=ProblemCode.NOT_FOUND, message="this contract has no parent login")
        return Done(position=await head(info))
