"""Autopayments and the low-balance alert from the parent's login (issue 12, point 2)."""

from collections.abc import Callable
from enum import Enum
from typing import Any
from uuid import UUID

import strawberry
from strawberry.types import Info

from api.graphql import permissions as perm
from api.graphql.context import Context
from api.graphql.payloads import (
    AccountInput,
    Outcome,
    UserError,
    account_mutation,
    attempt_on,
    position_of,
)
from api.graphql.queries import account_query
from api.graphql.scalars import Kopecks
from domain.autopay import Autopayment
from domain.billing import Billing
from domain.ledger import Ledger
from domain.standing import StandingOrders


@strawberry.enum(description="What an autopayment rule does.")
class AutopayKind(Enum):
    MONTHLY = strawberry.enum_value("monthly", description="A fixed top-up on a day of the month.")
    THRESHOLD = strawberry.enum_value(
        "threshold", description="Top up to `amount` when the balance falls below `below`."
    )


@strawberry.enum(description="Whether a rule runs.")
class AutopayState(Enum):
    ACTIVE = strawberry.enum_value("active", description="Runs.")
    PAUSED = strawberry.enum_value("paused", description="Set up, not running until resumed.")
    CANCELLED = strawberry.enum_value("cancelled", description="Ended; may be set up again.")


@strawberry.type(description="A parent's standing order to top up by a saved card.")
class Autopay:
    kind: AutopayKind = strawberry.field(description="Monthly or threshold.")
    amount: Kopecks = strawberry.field(
        description="Monthly: the top-up; threshold: the balance to top up to."
    )
    below: Kopecks | None = strawberry.field(description="Threshold: runs below this balance.")
    day: int | None = strawberry.field(description="Monthly: the day of the month (1..28).")
    state: AutopayState = strawberry.field(description="Whether it runs.")
    card: str = strawberry.field(description="The saved card's token, its last 4 characters.")

    @classmethod
    def of(cls, rule: Autopayment) -> "Autopay":
        return cls(
            kind=AutopayKind(rule.kind),
            amount=Kopecks(rule.amount),
            below=Kopecks(rule.below) if rule.kind == "threshold" else None,
            day=rule.day if rule.kind == "monthly" else None,
            state=AutopayState(rule.state),
            card=f"…{rule.card_token[-4:]}",
        )


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
    card_token: str = strawberry.field(description="The acquirer's token of the saved card.")
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
    card_token: str | None = strawberry.field(default=None, description="Another saved card.")


@strawberry.input(description="Names one rule of a contract.")
class AutopayRuleInput(RuleInput):
    reason: str = strawberry.field(default="отменено родителем", description="Why (cancel).")


@strawberry.input(description="The low-balance alert's threshold.")
class SetLowBalanceThresholdInput(AccountInput):
    threshold: Kopecks = strawberry.field(description="Alert below this balance; 0: never.")


@strawberry.type(description="The rule as it now stands.")
class AutopayPayload(Outcome):
    autopay: Autopay | None = strawberry.field(description="The rule, when the input was taken.")


@strawberry.type(description="The alert's threshold as it now stands.")
class LowBalanceThresholdPayload(Outcome):
    threshold: Kopecks | None = strawberry.field(description="The threshold set.")


def payload(done: tuple[Autopayment, int] | None, errors: list[UserError]) -> AutopayPayload:
    if done is None:
        return AutopayPayload.refusing(errors, autopay=None)
    rule, position = done
    return AutopayPayload.done(position, autopay=Autopay.of(rule))


async def autopay_settings(info: Info[Context, None], account_id: UUID) -> AutopaySettings:
    services = info.context.services
    rules = await services.run(StandingOrders(services.ledger).rules, account_id)
    account = await services.run(services.ledger.account, account_id)
    return AutopaySettings(
        rules=[Autopay.of(r) for r in rules],
        low_balance_threshold=Kopecks(account.low_balance_threshold),
    )


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
) -> Any:
    """The mutation `name(input: input_type): AutopayPayload` recording
    `fn(orders, account_id, kind, *args(input))` on the rule the input names."""

    def command(ledger: Ledger, *given: Any) -> tuple[Autopayment, int]:
        return fn(StandingOrders(ledger), *given)

    async def handle(info: Info[Context, None], ref: perm.AccountRef, given: Any) -> AutopayPayload:
        return payload(*await attempt_on(info, ref, command, given.kind.value, *args(given)))

    return account_mutation(name, input_type, AutopayPayload, description, handle)


@strawberry.type
class AutopayQuery:
    autopayments = account_query(
        "autopayments",
        AutopaySettings,
        "Parents: the autopayment rules and the low-balance alert.",
        autopay_settings,
    )


@strawberry.type
class AutopayMutation:
    set_up_autopay = autopay_command(
        "setUpAutopay",
        SetUpAutopayInput,
        "Parents: set up an autopayment rule.",
        StandingOrders.set_up,
        lambda i: (int(i.amount), int(i.below or 0), i.day or 1, i.card_token[:128]),
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
            None if i.card_token is None else i.card_token[:128],
        ),
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

    set_low_balance_threshold = account_mutation(
        "setLowBalanceThreshold",
        SetLowBalanceThresholdInput,
        LowBalanceThresholdPayload,
        "Parents: alert below this balance (0: never).",
        low_balance_threshold,
    )
