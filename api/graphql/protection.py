"""What a parent forbids at the till (issue 12, point 4): banned items, allergens,
per-category daily limits, and a freeze of the cards the parent can undo."""

from typing import Any, ClassVar

import strawberry
from strawberry.types import Info

from api.graphql.context import Context
from api.graphql.enums import TerminalKind
from api.graphql.payloads import AccountChange, AccountInput, Outcome, account_change
from api.graphql.queries import account_query
from api.graphql.scalars import Kopecks
from domain import protection as rules
from domain.account import Account


@strawberry.type(description="The most the card may spend per school day at a kind of terminal.")
class CategoryLimit:
    terminal_kind: TerminalKind = strawberry.field(description="A paying kind of terminal.")
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
class CategoryLimitInput(CategoryLimit):
    """The limit of `CategoryLimit`, as the parent sets it."""


@strawberry.input(description="Change what is forbidden; an omitted list stays as it is.")
class ChangeProtectionInput(AccountInput):
    does: ClassVar[str] = "Parents: banned items, allergens, per-category limits."
    banned_items: list[str] | None = strawberry.field(
        default=None, description="Item codes to decline (replaces the list)."
    )
    allergens: list[str] | None = strawberry.field(
        default=None, description="Allergens to decline (replaces the list)."
    )
    category_limits: list[CategoryLimitInput] | None = strawberry.field(
        default=None, description="Daily limits per terminal kind (replaces them all)."
    )

    def change(self, account: Account) -> None:
        if self.banned_items is not None:
            rules.set_bans(account, list(self.banned_items))
        if self.allergens is not None:
            rules.set_allergies(account, list(self.allergens))
        if self.category_limits is not None:
            limits = {c.terminal_kind.value: int(c.daily_limit) for c in self.category_limits}
            rules.set_limits(account, limits)


@strawberry.input(description="Freeze the cards of a contract for a while.")
class FreezeCardsInput(AccountInput):
    does: ClassVar[str] = "Parents: freeze the cards (payments declined) until undone."
    reason: str = strawberry.field(default="заморожено родителем", description="Why.")

    def change(self, account: Account) -> None:
        rules.freeze(account, self.reason[:500])


@strawberry.input(description="Undo the parent's freeze.")
class UnfreezeCardsInput(AccountInput):
    does: ClassVar[str] = "Parents: undo the freeze."

    def change(self, account: Account) -> None:
        rules.unfreeze(account)


@strawberry.type(description="What is now forbidden.")
class ProtectionPayload(Outcome):
    protection: Protection | None = strawberry.field(description="As it now stands.")


async def protection_of(info: Info[Context, None], account_id: object) -> Protection:
    services = info.context.services
    return Protection.of(await services.run(services.ledger.account, account_id))


@strawberry.type
class ProtectionQuery:
    protection = account_query(
        "protection",
        Protection,
        "What the parent forbids at the till for this contract.",
        protection_of,
    )


def protection_command(name: str, input_type: type[AccountChange]) -> Any:
    """The mutation `name(input: input_type): ProtectionPayload` applying the input's change
    to the account it names."""
    return account_change(name, input_type, ProtectionPayload, "protection", protection_of)


@strawberry.type
class ProtectionMutation:
    change_protection = protection_command("changeProtection", ChangeProtectionInput)
    freeze_cards = protection_command("freezeCards", FreezeCardsInput)
    unfreeze_cards = protection_command("unfreezeCards", UnfreezeCardsInput)
