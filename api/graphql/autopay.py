"""Autopayments and the low-balance alert from the parent's login (issue 12, point 2), and
the saved cards they are paid by.

A card is saved at a top-up the parent asks to remember (`startTopUp(saveCard: true)`; the
acquirer's webhook names it); it is the parent's personal data (`adapters/people.py`). A rule
names its card by id (`savedCardId`); the worker charges the card's token at run time, so a
rule given another card (`changeAutopayCard`) charges that one from its next run."""

from collections.abc import Callable
from datetime import datetime
from typing import Any
from uuid import UUID

import strawberry
from strawberry.types import Info

from adapters.people import PeopleStore
from adapters.people import SavedCard as Card
from api.graphql import permissions as perm
from api.graphql.context import Context
from api.graphql.enums import AutopayKind, AutopayState
from api.graphql.payloads import (
    AccountInput,
    Outcome,
    Refusals,
    UserError,
    account_mutation,
    attempt_on,
    position_of,
    refused,
)
from api.graphql.queries import account_query
from api.graphql.scalars import Kopecks
from domain.autopay import Autopayment, NoSavedCardError
from domain.billing import Billing
from domain.ledger import Ledger
from domain.standing import StandingOrders


@strawberry.type(description="A parent's standing order to top up by a saved card.")
class Autopay:
    kind: AutopayKind = strawberry.field(description="Monthly or threshold.")
    amount: Kopecks = strawberry.field(
        description="Monthly: the top-up; threshold: the balance to top up to."
    )
    below: Kopecks | None = strawberry.field(description="Threshold: runs below this balance.")
    day: int | None = strawberry.field(description="Monthly: the day of the month (1..28).")
    state: AutopayState = strawberry.field(description="Whether it runs.")
    card: str = strawberry.field(
        description="The card's last 4 digits after «…»; empty when its saved card was"
        " forgotten (the rule then fails until another card is chosen)."
    )
    saved_card_id: strawberry.ID | None = strawberry.field(
        description="The saved card it pays by; null for a rule set up before saved cards"
        " (it takes one when its terms next change)."
    )

    @classmethod
    def of(cls, rule: Autopayment, cards: list[Card]) -> "Autopay":
        legacy, card_id = rule.legacy_token, rule.saved_card_id
        last4 = next((c.last4 for c in cards if c.id == card_id), None)
        shown = legacy[-4:] if legacy is not None else last4
        return cls(
            kind=AutopayKind(rule.kind),
            amount=Kopecks(rule.amount),
            below=Kopecks(rule.below) if rule.kind == AutopayKind.THRESHOLD else None,
            day=rule.day if rule.kind == AutopayKind.MONTHLY else None,
            state=rule.state,
            card=f"…{shown}" if shown else "",
            saved_card_id=strawberry.ID(str(card_id)) if card_id else None,
        )


@strawberry.type(description="A bank card the acquirer saved at a top-up, for autopayments.")
class SavedCard:
    id: strawberry.ID = strawberry.field(description="Name it as an autopayment's card.")
    last4: str = strawberry.field(description="The card number's last 4 digits.")
    saved_at: datetime = strawberry.field(description="When it was saved (UTC).")

    @classmethod
    def of(cls, card: Card) -> "SavedCard":
        return cls(id=strawberry.ID(str(card.id)), last4=card.last4, saved_at=card.saved_at)


@strawberry.type(description="A contract's autopayments and its low-balance alert.")
class AutopaySettings:
    rules: list[Autopay] = strawberry.field(description="The rules set up, of any state.")
    low_balance_threshold: Kopecks = strawberry.field(
        description="An alert is sent when the balance falls below it (0: never)."
    )


@strawberry.input(description="A new autopayment rule (or a cancelled one set up again).")
class SetUpAutopayInput(AccountInput):
    kind: AutopayKind = strawberry.field(description="Monthly or threshold.")
    amount: Kopecks = strawberry.field(description="The top-up, or the balance to top up to.")
    saved_card_id: strawberry.ID = strawberry.field(
        description="The saved card to pay by (`savedCards`)."
    )
    below: Kopecks | None = strawberry.field(default=None, description="Threshold rules.")
    day: int | None = strawberry.field(default=None, description="Monthly rules: 1..28.")


@strawberry.input(description="A command on one rule of a contract.")
class RuleInput(AccountInput):
    kind: AutopayKind = strawberry.field(description="Which rule.")


@strawberry.input(description="New terms for a rule; omitted fields stay as they are.")
class ChangeAutopayInput(RuleInput):
    amount: Kopecks | None = strawberry.field(default=None, description="The new amount.")
    below: Kopecks | None = strawberry.field(default=None, description="The new threshold.")
    day: int | None = strawberry.field(default=None, description="The new day.")
    saved_card_id: strawberry.ID | None = strawberry.field(
        default=None, description="Another saved card (required for a rule set up before them)."
    )


@strawberry.input(description="Another saved card for a rule in force.")
class ChangeAutopayCardInput(RuleInput):
    saved_card_id: strawberry.ID = strawberry.field(
        description="The saved card to pay by from the next run (`savedCards`)."
    )


@strawberry.input(description="Names one rule of a contract.")
class AutopayRuleInput(RuleInput):
    reason: str = strawberry.field(default="отменено родителем", description="Why (cancel).")


@strawberry.input(description="The low-balance alert's threshold.")
class SetLowBalanceThresholdInput(AccountInput):
    threshold: Kopecks = strawberry.field(description="Alert below this balance; 0: never.")


@strawberry.input(description="A saved card to forget.")
class ForgetSavedCardInput(AccountInput):
    saved_card_id: strawberry.ID = strawberry.field(description="The card (`savedCards`).")


@strawberry.type(description="The rule as it now stands.")
class AutopayPayload(Outcome):
    autopay: Autopay | None = strawberry.field(description="The rule, when the input was taken.")


@strawberry.type(description="The saved cards as they now stand.")
class SavedCardsPayload(Refusals):
    saved_cards: list[SavedCard] | None = strawberry.field(description="Null when refused.")


@strawberry.type(description="The alert's threshold as it now stands.")
class LowBalanceThresholdPayload(Outcome):
    threshold: Kopecks | None = strawberry.field(description="The threshold set.")


def cards_of(ledger: Ledger, people: PeopleStore, account_id: UUID) -> list[Card]:
    """The account's saved cards (under its parent's personal data), newest first."""
    return people.saved_cards(ledger.account(account_id).parent_ref, account_id)


def forget_card(ledger: Ledger, people: PeopleStore, account_id: UUID, card_id: str) -> bool:
    return people.forget_card(ledger.account(account_id).parent_ref, account_id, UUID(card_id))


async def account_cards(info: Info[Context, None], account_id: UUID) -> list[Card]:
    services = info.context.services
    return await services.run(cards_of, services.ledger, services.people, account_id)


async def saved_cards(info: Info[Context, None], account_id: UUID) -> list[SavedCard]:
    return [SavedCard.of(c) for c in await account_cards(info, account_id)]


def card_id_of(given: Any, cards: list[Card]) -> tuple[str | None, UserError | None]:
    """The input's `savedCardId` (None when omitted) if it names one of the account's cards."""
    if given.saved_card_id is None:
        return None, None
    named = str(given.saved_card_id)[:64].lower()
    found = next((str(c.id) for c in cards if str(c.id) == named), None)
    if found is None:
        return None, refused("unknown_saved_card", "no such saved card", "input", "savedCardId")
    return found, None


async def payload(
    info: Info[Context, None], done: tuple[Autopayment, int] | None, errors: list[UserError]
) -> AutopayPayload:
    if done is None:
        return AutopayPayload.refusing(errors, autopay=None)
    rule, position = done
    cards = await account_cards(info, rule.account_id)
    return AutopayPayload.done(position, autopay=Autopay.of(rule, cards))


async def autopay_settings(info: Info[Context, None], account_id: UUID) -> AutopaySettings:
    services = info.context.services
    rules = await services.run(StandingOrders(services.ledger).rules, account_id)
    account = await services.run(services.ledger.account, account_id)
    cards = await account_cards(info, account_id)
    return AutopaySettings(
        rules=[Autopay.of(r, cards) for r in rules],
        low_balance_threshold=Kopecks(account.low_balance_threshold),
    )


async def forget(
    info: Info[Context, None], ref: perm.AccountRef, given: ForgetSavedCardInput
) -> SavedCardsPayload:
    """Destroy a saved card; a rule paying by it fails (and says so) until given another."""
    services = info.context.services
    cards = await account_cards(info, ref.account_id)
    card_id, error = card_id_of(given, cards)
    if error is not None:
        return SavedCardsPayload(saved_cards=None, user_errors=[error])
    assert card_id is not None  # the input requires it
    await services.run(forget_card, services.ledger, services.people, ref.account_id, card_id)
    return SavedCardsPayload(saved_cards=await saved_cards(info, ref.account_id), user_errors=[])


def set_low_balance_threshold(ledger: Ledger, account_id: UUID, threshold: int) -> int:
    return Billing(ledger).set_low_balance_threshold(account_id, threshold)


async def low_balance_threshold(
    info: Info[Context, None], ref: perm.AccountRef, given: SetLowBalanceThresholdInput
) -> LowBalanceThresholdPayload:
    position, errors = await attempt_on(
        info, ref, set_low_balance_threshold, int(given.threshold), field=["threshold"]
    )
    return LowBalanceThresholdPayload(
        threshold=None if errors else given.threshold,
        user_errors=errors,
        position=position_of(position),
    )


def autopay_command(
    name: str,
    input_type: type[AccountInput],
    description: str,
    fn: Callable[..., tuple[Autopayment, int]],
    args: Callable[[Any], tuple[Any, ...]],
    takes_card: bool = False,
    checks_card: bool = False,
) -> Any:
    """The mutation `name(input: input_type): AutopayPayload` recording
    `fn(orders, account_id, kind, *args(input))` on the rule the input names; `takes_card`:
    then the input's `savedCardId`, refused unless it names one of the account's cards;
    `checks_card`: then the ids of the account's cards, for the domain to check the card."""

    def command(ledger: Ledger, *given: Any) -> tuple[Autopayment, int]:
        return fn(StandingOrders(ledger), *given)

    async def handle(info: Info[Context, None], ref: perm.AccountRef, given: Any) -> AutopayPayload:
        card: tuple[Any, ...] = ()
        if takes_card:
            card_id, error = card_id_of(given, await account_cards(info, ref.account_id))
            if error is not None:
                return await payload(info, None, [error])
            card = (card_id,)
        elif checks_card:
            card = ([str(c.id) for c in await account_cards(info, ref.account_id)],)
        done, errors = await attempt_on(info, ref, command, given.kind.value, *args(given), *card)
        for error in errors:
            if error.code == NoSavedCardError.code:
                error.field = ["input", "savedCardId"]
        return await payload(info, done, errors)

    return account_mutation(name, input_type, AutopayPayload, description, handle)


@strawberry.type
class AutopayQuery:
    autopayments = account_query(
        "autopayments",
        AutopaySettings,
        "Parents: the autopayment rules and the low-balance alert.",
        autopay_settings,
    )
    saved_cards = account_query(
        "savedCards",
        list[SavedCard],
        "Parents: the cards saved at top-ups (`startTopUp(saveCard: true)`), newest first.",
        saved_cards,
    )


@strawberry.type
class AutopayMutation:
    set_up_autopay = autopay_command(
        "setUpAutopay",
        SetUpAutopayInput,
        "Parents: set up an autopayment rule.",
        StandingOrders.set_up,
        lambda i: (int(i.amount), int(i.below or 0), i.day or 1),
        takes_card=True,
    )
    change_autopay = autopay_command(
        "changeAutopay",
        ChangeAutopayInput,
        "Parents: change a rule's amount, threshold, day or card.",
        StandingOrders.change,
        lambda i: (
            None if i.amount is None else int(i.amount),
            None if i.below is None else int(i.below),
            i.day,
        ),
        takes_card=True,
    )
    change_autopay_card = autopay_command(
        "changeAutopayCard",
        ChangeAutopayCardInput,
        "Parents: pay a rule (active or paused) by another saved card from its next run.",
        StandingOrders.change_card,
        lambda i: (str(i.saved_card_id)[:64],),
        checks_card=True,
    )
    pause_autopay = autopay_command(
        "pauseAutopay",
        AutopayRuleInput,
        "Parents: pause a rule until resumed.",
        StandingOrders.pause,
        lambda i: (),
    )
    resume_autopay = autopay_command(
        "resumeAutopay",
        AutopayRuleInput,
        "Parents: resume a paused rule.",
        StandingOrders.resume,
        lambda i: (),
    )
    cancel_autopay = autopay_command(
        "cancelAutopay",
        AutopayRuleInput,
        "Parents: end a rule.",
        StandingOrders.cancel,
        lambda i: (i.reason[:500],),
    )

    forget_saved_card = account_mutation(
        "forgetSavedCard",
        ForgetSavedCardInput,
        SavedCardsPayload,
        "Parents: forget a saved card (its autopayments fail until given another).",
        forget,
    )

    set_low_balance_threshold = account_mutation(
        "setLowBalanceThreshold",
        SetLowBalanceThresholdInput,
        LowBalanceThresholdPayload,
        "Parents: alert below this balance (0: never).",
        low_balance_threshold,
    )
