"""What a parent forbids at the till (issue 12, point 4): banned items, allergens,
per-category daily limits, and a freeze of the cards the parent can undo."""

from collections.abc import Callable
from typing import Any

import strawberry
from strawberry.types import Info

from api.graphql import permissions as perm
from api.graphql.context import Context
from api.graphql.enums import TerminalKind
from api.graphql.payloads import (
    AccountInput,
    Outcome,
    UserError,
    account_mutation,
    attempt_on,
)
from api.graphql.queries import account_query
from api.graphql.scalars import Kopecks
from domain import protection as rules
from domain.account import Account
from domain.ledger import Ledger


@strawberry.type(description="The most the card may spend per school day at a kind of terminal.")
class CategoryLimit:
    terminal_kind: TerminalKind = strawberry.field(description="The kind of terminal.")
    daily_limit: Kopecks = strawberry.field(description="Per school day; 0: not at all.")


@strawberry.type(description="What the parent forbids at the point of sale.")
class Protection:
    banned_items: list[str] = strawberry.field(description="Item codes declined at the till.")
    allergens: list[str] = strawberry.field(
        description="Allergens: an item whose menu entry lists one is declined."
    )
    category_limits: list[CategoryLimit] = strawberry.field(description="Per terminal kind.")
    frozen: bool = strawberry.field(description="Payments declined until the parent unfreezes.")
    frozen_reason: str | None = strawberry.field(description="Why the parent froze the cards.")

    @classmethod
    def of(cls, account: Account) -> "Protection":
        p = rules.protection_of(account)
        return cls(
            banned_items=list(p.bans),
            allergens=list(p.allergies),
            category_limits=[
                CategoryLimit(terminal_kind=TerminalKind(k), daily_limit=Kopecks(v))
                for k, v in sorted(p.limits.items())
            ],
            frozen=p.frozen is not None,
            frozen_reason=p.frozen,
        )


@strawberry.input(description="One kind of terminal's daily limit.")
class CategoryLimitInput:
    terminal_kind: TerminalKind = strawberry.field(description="A paying kind of terminal.")
    daily_limit: Kopecks = strawberry.field(description="Per school day; 0: not at all.")


@strawberry.input(description="Change what is forbidden; an omitted list stays as it is.")
class ChangeProtectionInput(AccountInput):
    banned_items: list[str] | None = strawberry.field(
        default=None, description="Item codes to decline (replaces the list)."
    )
    allergens: list[str] | None = strawberry.field(
        default=None, description="Allergens to decline (replaces the list)."
    )
    category_limits: list[CategoryLimitInput] | None = strawberry.field(
        default=None, description="Daily limits per terminal kind (replaces them all)."
    )


@strawberry.input(description="Freeze the cards of a contract for a while.")
class FreezeCardsInput(AccountInput):
    reason: str = strawberry.field(default="заморожено родителем", description="Why.")


@strawberry.input(description="Undo the parent's freeze.")
class UnfreezeCardsInput(AccountInput):
    pass


@strawberry.type(description="What is now forbidden.")
class ProtectionPayload(Outcome):
    protection: Protection | None = strawberry.field(description="As it now stands.")


def change(
    a: Account,
    bans: list[str] | None,
    allergens: list[str] | None,
    limits: dict[str, int] | None,
) -> None:
    if bans is not None:
        rules.set_bans(a, bans)
    if allergens is not None:
        rules.set_allergies(a, allergens)
    if limits is not None:
        rules.set_limits(a, limits)


async def protection_of(info: Info[Context, None], account_id: object) -> Protection:
    services = info.context.services
    return Protection.of(await services.run(services.ledger.account, account_id))


async def protection_payload(
    info: Info[Context, None], account_id: object, position: int | None, errors: list[UserError]
) -> ProtectionPayload:
    if errors:
        return ProtectionPayload.refusing(errors, protection=None)
    protection = await protection_of(info, account_id)
    return ProtectionPayload.done(position, protection=protection)


@strawberry.type
class ProtectionQuery:
    protection = account_query(
        "protection",
        Protection,
        "What the parent forbids at the till for this contract.",
        protection_of,
    )


def protection_command(
    name: str,
    input_type: type[AccountInput],
    description: str,
    change: Callable[[Any], Callable[[Account], None]],
) -> Any:
    """The mutation `name(input: input_type): ProtectionPayload` applying `change(input)` to
    the account the input names."""

    async def handle(
        info: Info[Context, None], ref: perm.AccountRef, given: Any
    ) -> ProtectionPayload:
        position, errors = await attempt_on(info, ref, Ledger._on_account, change(given))
        return await protection_payload(info, ref.account_id, position, errors)

    return account_mutation(name, input_type, ProtectionPayload, description, handle)


def change_of(given: ChangeProtectionInput) -> Callable[[Account], None]:
    limits = None
    if given.category_limits is not None:
        limits = {c.terminal_kind.value: int(c.daily_limit) for c in given.category_limits}
    bans = None if given.banned_items is None else list(given.banned_items)
    allergens = None if given.allergens is None else list(given.allergens)
    return lambda a: change(a, bans, allergens, limits)


def freeze_of(given: FreezeCardsInput) -> Callable[[Account], None]:
    reason = given.reason[:500]
    return lambda a: rules.freeze(a, reason)


@strawberry.type
class ProtectionMutation:
    change_protection = protection_command(
        "changeProtection",
        ChangeProtectionInput,
        "Parents: banned items, allergens, per-category limits.",
        change_of,
    )
    freeze_cards = protection_command(
        "freezeCards",
        FreezeCardsInput,
        "Parents: freeze the cards (payments declined) until undone.",
        freeze_of,
    )
    unfreeze_cards = protection_command(
        "unfreezeCards",
        UnfreezeCardsInput,
        "Parents: undo the freeze.",
        lambda given: rules.unfreeze,
    )
