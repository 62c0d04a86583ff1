"""The mutations on one account (settings, cards, feedback, subsidies), as clients expect
them (issue 12): one `input` naming the contract, and an `AccountPayload` with the account,
`userErrors` and the ledger `position`. A command's input says what it does and records
(`AccountCommand`: `does`, `record`); `account_command` makes its mutation: authorize the
viewer for the contract at the field's rule, record the command, answer the payload."""

import datetime as dt
from collections.abc import Callable
from typing import Any, ClassVar, Protocol
from uuid import UUID

import strawberry
from strawberry.types import Info

from api.graphql import permissions as perm
from api.graphql import readmodels
from api.graphql.context import Context
from api.graphql.enums import Tariff
from api.graphql.mutations import misshapen
from api.graphql.payloads import AccountInput as AccountInput  # its home was here
from api.graphql.payloads import (
    Outcome,
    UserError,
    account_mutation,
    applied,
    attempt_on,
    kept_personal,
    position_of,
    refused,
    user_error,
)
from api.graphql.scalars import Kopecks
from api.graphql.types import Account
from domain.billing import Billing
from domain.errors import DomainError
from domain.fields import NAME, text
from domain.ledger import Ledger


@strawberry.type(description="What a command on an account did: the account, or why not.")
class AccountPayload(Outcome):
    contract_number: strawberry.Private[str]

    @strawberry.field(
        description="The account once the read model has applied the command (waits a few"
        " seconds at most); null when refused."
    )
    async def account(self, info: Info[Context, None]) -> Account | None:
        if not await applied(info, self.position, "balances"):
            return None
        services = info.context.services
        row = await services.read(
            readmodels.account_by_contract, self.contract_number, services.now()
        )
        return Account.of(row) if row else None


async def recorded(
    info: Info[Context, None], ref: perm.AccountRef, fn: Callable[..., int], *args: Any
) -> AccountPayload:
    """The one shape of a command on an account, once the viewer is authorized for it:
    `fn(ledger, account_id, *args)` recorded as the viewer, and its payload."""
    position, errors = await attempt_on(info, ref, fn, *args)
    return AccountPayload(
        contract_number=ref.contract_number, user_errors=errors, position=position_of(position)
    )


@strawberry.input(description="The most the card may spend per school day.")
class ChangeDailyLimitInput(AccountInput):
    does: ClassVar[str] = "Parents: the most the card may spend per school day."
    limit: Kopecks = strawberry.field(description="The new limit.")

    def record(self, ledger: Ledger, account: UUID) -> int:
        return ledger.change_daily_limit(account, int(self.limit))


@strawberry.input(description="The parent's tariff.")
class ChangeTariffInput(AccountInput):
    does: ClassVar[str] = "Parents: the tariff (which notifications, which fee)."
    tariff: Tariff = strawberry.field(description="The new tariff.")

    def record(self, ledger: Ledger, account: UUID) -> int:
        return ledger.change_tariff(account, self.tariff.value)


@strawberry.input(description="Only service messages, or everything.")
class ChangeNotificationPreferencesInput(AccountInput):
    does: ClassVar[str] = "Parents: only service messages, or everything."
    service_only: bool = strawberry.field(
        description="Only service messages (true), or everything (false)."
    )

    def record(self, ledger: Ledger, account: UUID) -> int:
        return Billing(ledger).change_notification_preferences(account, self.service_only)


@strawberry.input(description="Where messages go; give a phone, an e-mail or both.")
class ChangeContactInput(AccountInput):
    phone: str | None = strawberry.field(
        default=None, description="The parent's phone, +<10-15 digits> (unchanged when absent)."
    )
    email: str | None = strawberry.field(
        default=None, description="The parent's e-mail (unchanged when absent)."
    )


@strawberry.input(description="A command on one card of an account.")
class CardInput(AccountInput):
    uid: str = strawberry.field(description="The card's UID.")


@strawberry.input(description="A card to block at once.")
class BlockCardInput(CardInput):
    does: ClassVar[str] = "Block a lost card at once (terminals refuse it)."
    reason: str = strawberry.field(default="lost", description="Why (lost by default).")

    def record(self, ledger: Ledger, account: UUID) -> int:
        return ledger.block_card(account, self.uid, self.reason[:200])


@strawberry.input(description="A blocked card to return to service.")
class UnblockCardInput(CardInput):
    does: ClassVar[str] = "Support: return a blocked card to service."
    reason: str = strawberry.field(description="Why, in a few words.")

    def record(self, ledger: Ledger, account: UUID) -> int:
        return ledger.unblock_card(account, self.uid, self.reason[:200])


@strawberry.input(description="A new card for a blocked one.")
class OrderDuplicateCardInput(AccountInput):
    does: ClassVar[str] = "A new card for a blocked one; the fee comes off the balance."
    blocked_uid: str = strawberry.field(description="The UID of the blocked card it replaces.")
    new_uid: str = strawberry.field(description="The UID of the new card.")

    def record(self, ledger: Ledger, account: UUID) -> int:
        return ledger.order_duplicate(account, self.blocked_uid, self.new_uid)


@strawberry.input(description="A rating of a served menu.")
class LeaveMenuFeedbackInput(AccountInput):
    does: ClassVar[str] = "Parents: rate a served menu 1-5, with a comment."
    date: dt.date = strawberry.field(description="The school-local date of the menu rated.")
    rating: int = strawberry.field(description="From 1 (bad) to 5 (very good).")
    comment: str = strawberry.field(default="", description="What the parent says (optional).")

    def record(self, ledger: Ledger, account: UUID) -> int:
        return ledger.leave_menu_feedback(account, self.date, self.rating, self.comment)


@strawberry.input(description="A subsidy with its legal basis.")
class GrantSubsidyInput(AccountInput):
    does: ClassVar[str] = "School admins: a subsidy with its legal basis."
    basis: str = strawberry.field(description="The legal basis (e.g. the order granting it).")
    daily_allowance: Kopecks = strawberry.field(
        description="What the subsidy credits per school day."
    )

    def record(self, ledger: Ledger, account: UUID) -> int:
        return ledger.grant_subsidy(account, self.basis, int(self.daily_allowance))


@strawberry.input(description="The end of a subsidy.")
class RevokeSubsidyInput(AccountInput):
    does: ClassVar[str] = "School admins: end a subsidy."
    reason: str = strawberry.field(description="Why, in a few words.")

    def record(self, ledger: Ledger, account: UUID) -> int:
        return ledger.revoke_subsidy(account, self.reason[:200])


def contact_fields(input: ChangeContactInput) -> tuple[dict[str, str], list[UserError]]:
    """The contact as personal data holds it, or why not (a phone +<10-15 digits>, an
    e-mail address; both printable bounded text)."""
    fields: dict[str, str] = {}
    for name, value in (("phone", input.phone), ("email", input.email)):
        if not value:
            continue
        try:
            fields[name] = text(value, NAME, what=name)
        except DomainError as error:
            return {}, [user_error(error, ["input", name])]
        if (wrong := misshapen(name, fields[name], "input", name)) is not None:
            return {}, [wrong]
    if not fields:
        return {}, [refused("invalid_command", "give a phone or an e-mail", "input")]
    return fields, []


class AccountCommand(Protocol):
    """An input that is a ledger command on the account it names: `does`, what its mutation
    does (the mutation's description), and `record`, the command."""

    does: ClassVar[str]

    def record(self, ledger: Ledger, account: UUID) -> int:
        """Record the command on `account` in `ledger`: the ledger position after it."""
        ...


def account_command(name: str, input_type: type[AccountCommand]) -> Any:
    """The mutation `name(input: input_type): AccountPayload` recording the input's command on
    the account it names, once the viewer is authorized for it at `Mutation.<name>`'s rule."""

    async def handle(
        info: Info[Context, None], ref: perm.AccountRef, given: AccountCommand
    ) -> AccountPayload:
        return await recorded(info, ref, given.record)

    return account_mutation(name, input_type, AccountPayload, input_type.does, handle)


async def set_contact(
    info: Info[Context, None], ref: perm.AccountRef, given: ChangeContactInput
) -> AccountPayload:
    fields, errors = contact_fields(given)  # personal data, not an event
    if errors:
        return AccountPayload.refusing(errors, contract_number=ref.contract_number)
    subject = await kept_personal(info, **fields)
    return await recorded(
        info, ref, lambda ledger, account_id: Billing(ledger).change_contact(account_id, subject)
    )


@strawberry.type
class AccountMutation:
    change_daily_limit = account_command("changeDailyLimit", ChangeDailyLimitInput)
    change_tariff = account_command("changeTariff", ChangeTariffInput)
    change_notification_preferences = account_command(
        "changeNotificationPreferences", ChangeNotificationPreferencesInput
    )
    block_card = account_command("blockCard", BlockCardInput)
    unblock_card = account_command("unblockCard", UnblockCardInput)
    order_duplicate_card = account_command("orderDuplicateCard", OrderDuplicateCardInput)
    leave_menu_feedback = account_command("leaveMenuFeedback", LeaveMenuFeedbackInput)
    grant_subsidy = account_command("grantSubsidy", GrantSubsidyInput)
    revoke_subsidy = account_command("revokeSubsidy", RevokeSubsidyInput)

    change_contact = account_mutation(
        "changeContact",
        ChangeContactInput,
        AccountPayload,
        "Parents: where messages go (kept as personal data).",
        set_contact,
    )
