"""Identity mutations: login, tokens, passwords, representatives, support's reset.

Each takes one `input` and answers a payload with `userErrors { field code message }` in
identity's snake_case codes (`invalid_credentials`, `throttled`, `weak_password`,
`invalid_reset_code`, `login_name_taken`). Unknown and known logins get the same answers
(`invalid_credentials`, then `throttled`; a reset request's empty payload); passwords and
codes travel by SMS only, queued in the workers' outbox in the transaction that makes them
(no request waits for the SMS gateway), and never appear in a payload.
"""

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import strawberry
from strawberry.types import Info

from api.graphql import enums
from api.graphql import permissions as perm
from api.graphql.account_mutations import AccountInput
from api.graphql.context import Context
from api.graphql.mutations import misshapen
from api.graphql.payloads import (
    Outcome,
    UserError,
    account_mutation,
    input_mutation,
    ledger_head,
    refusal,
    refused,
)
from api.graphql.scalars import Position
from api.graphql.types import Session
from identity.service import Access, IdentityError

T = TypeVar("T")
INPUT = ["input"]  # the whole input is at fault (a login and its password together)
NEW_PASSWORD = {"weak_password": ["input", "newPassword"], "throttled": INPUT}  # its refusals


@strawberry.input(description="A command on one login.")
class UsernameInput:
    username: str = strawberry.field(
        description="A contract number (parents), a phone (representatives) or a staff username."
    )


@strawberry.input(description="A login name and its password.")
class LoginInput(UsernameInput):
    password: str = strawberry.field(description="The password.")


@strawberry.input(description="The refresh token of a live session.")
class RefreshTokenInput:
    refresh_token: str = strawberry.field(description="The refresh token of the session.")


@strawberry.input(description="Which sessions to end.")
class LogoutInput:
    every_session: bool = strawberry.field(
        default=False,
        description="End every session of this login (every device), not only this one.",
    )


@strawberry.input(description="The current password and the new one.")
class ChangePasswordInput:
    old_password: str = strawberry.field(description="The current password.")
    new_password: str = strawberry.field(description="The new password.")


@strawberry.input(description="The login whose password is to be reset by an SMS code.")
class RequestPasswordResetInput(UsernameInput):
    pass


@strawberry.input(description="A new password, with the one-time code from the SMS.")
class ResetPasswordInput(UsernameInput):
    code: str = strawberry.field(description="The one-time code from the SMS.")
    new_password: str = strawberry.field(description="The new password.")


@strawberry.input(description="A person to give read access to a contract.")
class AddRepresentativeInput(AccountInput):
    phone: str = strawberry.field(description="The representative's phone, +<10-15 digits>.")


@strawberry.input(description="The contract whose parent gets a new password by SMS.")
class ResetAccessInput(AccountInput):
    pass


@strawberry.type(description="What a login or a token refresh did: a session, or why not.")
class SessionPayload:
    session: Session | None = strawberry.field(
        description="The new session's tokens and who logged in; null when refused."
    )
    user_errors: list[UserError] = strawberry.field(
        description="Why it was refused (the same for unknown and known logins); empty when a"
        " session was opened."
    )

    @classmethod
    def of(cls, issued: Any, errors: list[UserError]) -> "SessionPayload":
        """The session identity issued, or its refusals."""
        return cls(session=Session.of(issued) if issued else None, user_errors=errors)


@strawberry.type(description="What logging out did.")
class LogoutPayload:
    ended_sessions: int = strawberry.field(
        description="How many live sessions ended: their tokens stop working at once."
    )
    user_errors: list[UserError] = strawberry.field(description="Always empty.")


@strawberry.type(
    description="What a password command did. It shows no object: a password or a code is never"
    " echoed, and a reset request answers the same whether the login exists or not."
)
class PasswordPayload:
    user_errors: list[UserError] = strawberry.field(
        description="Why it was refused; empty when it was done (a changed or reset password"
        " ends every session of the login)."
    )


@strawberry.type(description="A person a parent gave read access to a contract.")
class Representative:
    contract_number: str = strawberry.field(description="The contract they may read.")
    phone: str = strawberry.field(description="Their phone: their login name.")
    access: enums.Access = strawberry.field(description="Read only.")


IDENTITY = "identity is no ledger event: `position` is the ledger's head, any read after it fresh"


@strawberry.type(
    description=f"What adding a representative did: the representative, or why not ({IDENTITY})."
)
class RepresentativePayload(Outcome):
    representative: Representative | None = strawberry.field(
        description="The representative, who gets a password by SMS; null when refused."
    )


@strawberry.type(
    description=f"What support's access reset did: the contract, or why not ({IDENTITY})."
)
class ResetAccessPayload(Outcome):
    contract_number: str | None = strawberry.field(
        description="The contract whose parent was sent a new password by SMS (every session"
        " of that login ended); null when refused."
    )


async def head(info: Info[Context, None]) -> Position:
    """The ledger's head: identity changes are not ledger events, any later read is fresh."""
    return Position(await ledger_head(info) or 0)


async def identity_call(
    info: Info[Context, None], fields: Mapping[str, list[str]], fn: Callable[..., T], *args: Any
) -> tuple[T | None, list[UserError]]:
    """`fn(*args)` of identity off the event loop: its result, or its refusal as a user error
    on the input field `fields` gives for its code."""
    try:
        return await info.context.services.run(fn, *args), []
    except IdentityError as error:
        return None, [refusal(error, fields)]


async def log_in(info: Info[Context, None], coordinate: str, given: LoginInput) -> SessionPayload:
    ctx = info.context
    fields = {"invalid_credentials": INPUT, "throttled": INPUT}
    issued, errors = await identity_call(
        info, fields, ctx.services.identity.login, given.username, given.password, ctx.address
    )
    return SessionPayload.of(issued, errors)


async def refresh(
    info: Info[Context, None], coordinate: str, given: RefreshTokenInput
) -> SessionPayload:
    identity = info.context.services.identity
    fields = {"invalid_credentials": ["input", "refreshToken"]}
    issued, errors = await identity_call(info, fields, identity.refresh, given.refresh_token)
    return SessionPayload.of(issued, errors)


async def log_out(info: Info[Context, None], coordinate: str, given: LogoutInput) -> LogoutPayload:
    principal = await perm.viewer_for(info, coordinate)
    services = info.context.services
    ended = 0
    if principal.session_id is not None:
        ended = await services.run(
            services.identity.logout, principal.session_id, given.every_session
        )
    info.context.forget_viewer()
    return LogoutPayload(ended_sessions=ended, user_errors=[])


async def change_own_password(
    info: Info[Context, None], coordinate: str, given: ChangePasswordInput
) -> PasswordPayload:
    principal = await perm.viewer_for(info, coordinate)
    ctx = info.context
    fields = {"invalid_credentials": ["input", "oldPassword"], **NEW_PASSWORD}
    _, errors = await identity_call(
        info, fields, ctx.services.identity.change_password, principal.principal_id,
        given.old_password, given.new_password, ctx.address,
    )  # fmt: skip
    if not errors:
        ctx.forget_viewer()
    return PasswordPayload(user_errors=errors)


async def send_reset_code(
    info: Info[Context, None], coordinate: str, given: RequestPasswordResetInput
) -> PasswordPayload:
    ctx = info.context
    _, errors = await identity_call(
        info, {"throttled": INPUT}, ctx.services.identity.request_reset, given.username,
        ctx.address,
    )  # fmt: skip
    return PasswordPayload(user_errors=errors)


async def reset_by_code(
    info: Info[Context, None], coordinate: str, given: ResetPasswordInput
) -> PasswordPayload:
    ctx = info.context
    fields = {"invalid_reset_code": ["input", "code"], **NEW_PASSWORD}
    _, errors = await identity_call(
        info, fields, ctx.services.identity.reset_password, given.username, given.code,
        given.new_password, ctx.address,
    )  # fmt: skip
    return PasswordPayload(user_errors=errors)


async def grant_representative(
    info: Info[Context, None], ref: perm.AccountRef, given: AddRepresentativeInput
) -> RepresentativePayload:
    phone = given.phone.strip()
    if (wrong := misshapen("phone", phone, "input", "phone")) is not None:
        return RepresentativePayload.refusing([wrong], representative=None)
    _, errors = await identity_call(
        info, {"login_name_taken": ["input", "phone"]}, info.context.services.identity.grant_parent,
        ref.contract_number, ref.account_id, phone, Access.READ,
    )  # fmt: skip
    if errors:
        return RepresentativePayload.refusing(errors, representative=None)
    added = Representative(contract_number=ref.contract_number, phone=phone,
                           access=enums.Access.READ)  # fmt: skip
    return RepresentativePayload(representative=added, user_errors=[], position=await head(info))


async def reset_parent_access(
    info: Info[Context, None], ref: perm.AccountRef, given: ResetAccessInput
) -> ResetAccessPayload:
    services = info.context.services
    if not await services.run(services.identity.reset_access, ref.contract_number):
        error = refused("not_found", "this contract has no parent login", "input", "contractNumber")
        return ResetAccessPayload.refusing([error], contract_number=None)
    return ResetAccessPayload(
        contract_number=ref.contract_number, user_errors=[], position=await head(info)
    )


@strawberry.type
class IdentityMutation:
    login = input_mutation(
        "login",
        LoginInput,
        SessionPayload,
        "Log in with a contract number (parents), a phone (representatives) or a staff username."
        " Every attempt counts against the login's and the address's limits.",
        log_in,
    )
    refresh_token = input_mutation(
        "refreshToken",
        RefreshTokenInput,
        SessionPayload,
        "A new access token for a live session (rotates the token).",
        refresh,
    )
    logout = input_mutation(
        "logout",
        LogoutInput,
        LogoutPayload,
        "End this session (or every session of this login): its tokens stop working at once.",
        log_out,
    )
    change_password = input_mutation(
        "changePassword",
        ChangePasswordInput,
        PasswordPayload,
        "Change the password; every session of the login ends.",
        change_own_password,
    )
    request_password_reset = input_mutation(
        "requestPasswordReset",
        RequestPasswordResetInput,
        PasswordPayload,
        "Send a one-time code by SMS to the login's phone (the same answer for an unknown login,"
        " which gets no SMS).",
        send_reset_code,
    )
    reset_password = input_mutation(
        "resetPassword",
        ResetPasswordInput,
        PasswordPayload,
        "Set a new password with the SMS code; every session ends.",
        reset_by_code,
    )
    add_representative = account_mutation(
        "addRepresentative",
        AddRepresentativeInput,
        RepresentativePayload,
        "Parents: give another person (a grandparent) read access to a contract; they log in"
        " with their phone and a password sent to it by SMS.",
        grant_representative,
    )
    reset_access = account_mutation(
        "resetAccess",
        ResetAccessInput,
        ResetAccessPayload,
        "Support: a new password by SMS to the contract's parent.",
        reset_parent_access,
    )
