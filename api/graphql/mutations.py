"""Mutations: each authorizes its object, then calls the ledger off the event loop.

Results are typed: `Done { position }` (the ledger notification id, for read-your-writes:
pass it as `atLeast` to a query) or `Problem { code, message }` for a refused command.
Events are stamped with the acting login (`parent:<id>`, `school_admin:<id>` …).
"""

import re
from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar
from uuid import UUID, uuid4

import strawberry
from strawberry.types import Info

from adapters.terminal_auth import enrol_terminal
from api.graphql import permissions as perm
from api.graphql.context import Context
from api.graphql.enums import ProblemCode, Tariff, TerminalKind, convert
from api.graphql.scalars import Kopecks, Position
from api.graphql.types import (
    CommandResult,
    Done,
    Problem,
    RegisterTerminalResult,
    TerminalRegistered,
)
from domain.billing import Billing
from domain.errors import DomainError
from domain.fields import NAME, text
from domain.ledger import Ledger
from domain.recorded import acting_as

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


async def command(info: Info[Context, None], fn: Callable[..., T], *args: Any) -> T:
    """Run a ledger command in a worker thread, attributed to the viewer."""
    principal = await info.context.viewer()
    actor = f"{principal.role}:{principal.principal_id}" if principal else "anonymous"

    def call() -> T:
        with acting_as(actor):
            return fn(*args)

    return await info.context.services.run(call)


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


@strawberry.input
class NutritionInput:
    kcal: float | None = None
    proteins: float | None = None
    fats: float | None = None
    carbohydrates: float | None = None


@strawberry.input
class MenuItemInput:
    code: str
    name: str
    price: Kopecks
    allergens: list[str] = strawberry.field(default_factory=list)
    nutrition: NutritionInput | None = None

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
class AccountMutation:
    @strawberry.mutation(description="Parents: the most the card may spend per school day.")
    async def change_daily_limit(
        self, info: Info[Context, None], contract_number: str, limit: Kopecks
    ) -> CommandResult:
        return await on_account(
            info,
            "Mutation.changeDailyLimit",
            contract_number,
            Ledger.change_daily_limit,
            int(limit),
        )

    @strawberry.mutation(description="Parents: the tariff (which notifications, which fee).")
    async def change_tariff(
        self, info: Info[Context, None], contract_number: str, tariff: Tariff
    ) -> CommandResult:
        return await on_account(
            info, "Mutation.changeTariff", contract_number, Ledger.change_tariff, tariff.value
        )

    @strawberry.mutation(description="Parents: only service messages, or everything.")
    async def change_notification_preferences(
        self, info: Info[Context, None], contract_number: str, service_only: bool
    ) -> CommandResult:
        return await on_account(
            info,
            "Mutation.changeNotificationPreferences",
            contract_number,
            lambda ledger, *args: Billing(ledger).change_notification_preferences(*args),
            service_only,
        )

    @strawberry.mutation(description="Parents: where messages go (kept as personal data).")
    async def change_contact(
        self,
        info: Info[Context, None],
        contract_number: str,
        phone: str | None = None,
        email: str | None = None,
    ) -> CommandResult:
        ref = await perm.account(info, "Mutation.changeContact", contract_number)
        try:  # personal data, not an event: still nothing a text column cannot hold
            fields = {
                k: text(v, NAME, what=k) for k, v in (("phone", phone), ("email", email)) if v
            }
        except DomainError as error:
            return problem(error)
        if not fields:
            return Problem(code=ProblemCode.INVALID_COMMAND, message="give a phone or an e-mail")
        if "phone" in fields and not PHONE.fullmatch(fields["phone"]):
            return Problem(code=ProblemCode.INVALID_COMMAND, message="a phone is +<10-15 digits>")
        if "email" in fields and not EMAIL.fullmatch(fields["email"]):
            return Problem(code=ProblemCode.INVALID_COMMAND, message="not an e-mail address")
        services = info.context.services
        subject = f"subject:{uuid4()}"
        await services.run(lambda: services.people.put(subject, **fields))
        billing = Billing(services.ledger)
        return await recorded(info, billing.change_contact, ref.account_id, subject)

    @strawberry.mutation(description="Block a lost card at once (terminals refuse it).")
    async def block_card(
        self, info: Info[Context, None], contract_number: str, uid: str, reason: str = "lost"
    ) -> CommandResult:
        return await on_account(
            info, "Mutation.blockCard", contract_number, Ledger.block_card, uid, reason[:200]
        )

    @strawberry.mutation(description="Support: return a blocked card to service.")
    async def unblock_card(
        self, info: Info[Context, None], contract_number: str, uid: str, reason: str
    ) -> CommandResult:
        return await on_account(
            info, "Mutation.unblockCard", contract_number, Ledger.unblock_card, uid, reason[:200]
        )

    @strawberry.mutation(description="A new card for a blocked one; the fee comes off the balance.")
    async def order_duplicate_card(
        self, info: Info[Context, None], contract_number: str, blocked_uid: str, new_uid: str
    ) -> CommandResult:
        return await on_account(
            info,
            "Mutation.orderDuplicateCard",
            contract_number,
            Ledger.order_duplicate,
            blocked_uid,
            new_uid,
        )

    @strawberry.mutation(description="Parents: rate a served menu 1-5, with a comment.")
    async def leave_menu_feedback(
        self,
        info: Info[Context, None],
        contract_number: str,
        date: date,
        rating: int,
        comment: str = "",
    ) -> CommandResult:
        return await on_account(
            info,
            "Mutation.leaveMenuFeedback",
            contract_number,
            Ledger.leave_menu_feedback,
            date,
            rating,
            comment,
        )

    @strawberry.mutation(description="School admins: a subsidy with its legal basis.")
    async def grant_subsidy(
        self,
        info: Info[Context, None],
        contract_number: str,
        basis: str,
        daily_allowance: Kopecks,
    ) -> CommandResult:
        return await on_account(
            info,
            "Mutation.grantSubsidy",
            contract_number,
            Ledger.grant_subsidy,
            basis,
            int(daily_allowance),
        )

    @strawberry.mutation(description="School admins: end a subsidy.")
    async def revoke_subsidy(
        self, info: Info[Context, None], contract_number: str, reason: str
    ) -> CommandResult:
        return await on_account(
            info, "Mutation.revokeSubsidy", contract_number, Ledger.revoke_subsidy, reason[:200]
        )


@strawberry.type
class SchoolMutation:
    @strawberry.mutation(description="Canteen operators and school admins: a day's menu.")
    async def publish_menu(
        self, info: Info[Context, None], school: UUID, date: date, items: list[MenuItemInput]
    ) -> CommandResult:
        await perm.school(info, "Mutation.publishMenu", school)
        ledger = info.context.services.ledger
        lines = [i.as_line() for i in items]
        return await recorded(info, ledger.publish_menu, school, date, lines)

    @strawberry.mutation(description="School admins: a new terminal; its secret is shown once.")
    async def register_terminal(
        self, info: Info[Context, None], school: UUID, kind: TerminalKind, label: str
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
        self, info: Info[Context, None], terminal_id: UUID, reason: str
    ) -> CommandResult:
        await perm.terminal(info, "Mutation.revokeTerminal", terminal_id)
        ledger = info.context.services.ledger
        return await recorded(info, ledger.revoke_terminal, terminal_id, reason[:200])
