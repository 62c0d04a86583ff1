"""Autopayments and the low-balance alert from the parent's login (issue 12, point 2)."""

from enum import Enum
from typing import Annotated

import strawberry
from strawberry.types import Info

from api.graphql import permissions as perm
from api.graphql.arguments import ContractNumber, Input
from api.graphql.context import Context
from api.graphql.payloads import UserError, attempt, position_of
from api.graphql.scalars import Kopecks, Position
from domain.autopay import Autopayment
from domain.billing import Billing
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
class SetUpAutopayInput:
    contract_number: str = strawberry.field(description="The contract.")
    kind: AutopayKind = strawberry.field(description="Monthly or threshold.")
    amount: Kopecks = strawberry.field(description="The top-up, or the balance to top up to.")
    card_token: str = strawberry.field(description="The acquirer's token of the saved card.")
    below: Kopecks | None = strawberry.field(default=None, description="Threshold rules.")
    day: int | None = strawberry.field(default=None, description="Monthly rules: 1..28.")


@strawberry.input(description="New terms for a rule; omitted fields stay as they are.")
class ChangeAutopayInput:
    contract_number: str = strawberry.field(description="The contract.")
    kind: AutopayKind = strawberry.field(description="Which rule.")
    amount: Kopecks | None = strawberry.field(default=None, description="The new amount.")
    below: Kopecks | None = strawberry.field(default=None, description="The new threshold.")
    day: int | None = strawberry.field(default=None, description="The new day.")
    card_token: str | None = strawberry.field(default=None, description="Another saved card.")


@strawberry.input(description="Names one rule of a contract.")
class AutopayRuleInput:
    contract_number: str = strawberry.field(description="The contract.")
    kind: AutopayKind = strawberry.field(description="Which rule.")
    reason: str = strawberry.field(default="отменено родителем", description="Why (cancel).")


@strawberry.input(description="The low-balance alert's threshold.")
class SetLowBalanceThresholdInput:
    contract_number: str = strawberry.field(description="The contract.")
    threshold: Kopecks = strawberry.field(description="Alert below this balance; 0: never.")


@strawberry.type(description="The rule as it now stands.")
class AutopayPayload:
    autopay: Autopay | None = strawberry.field(description="The rule, when the input was taken.")
    user_errors: list[UserError] = strawberry.field(description="Why it was refused.")
    position: Position | None = strawberry.field(description="For read-your-writes.")


@strawberry.type(description="The alert's threshold as it now stands.")
class LowBalanceThresholdPayload:
    threshold: Kopecks | None = strawberry.field(description="The threshold set.")
    user_errors: list[UserError] = strawberry.field(description="Why it was refused.")
    position: Position | None = strawberry.field(description="For read-your-writes.")


def payload(done: tuple[Autopayment, int] | None, errors: list[UserError]) -> AutopayPayload:
    if done is None:
        return AutopayPayload(autopay=None, user_errors=errors, position=None)
    rule, position = done
    return AutopayPayload(autopay=Autopay.of(rule), user_errors=[], position=position_of(position))


@strawberry.type
class AutopayQuery:
    @strawberry.field(description="Parents: the autopayment rules and the low-balance alert.")
    async def autopayments(
        self, info: Info[Context, None], contract_number: ContractNumber
    ) -> AutopaySettings:
        ref = await perm.account(info, "Query.autopayments", contract_number)
        services = info.context.services
        rules = await services.run(StandingOrders(services.ledger).rules, ref.account_id)
        account = await services.run(services.ledger.account, ref.account_id)
        return AutopaySettings(
            rules=[Autopay.of(r) for r in rules],
            low_balance_threshold=Kopecks(account.low_balance_threshold),
        )


@strawberry.type
class AutopayMutation:
    @strawberry.mutation(description="Parents: set up an autopayment rule.")
    async def set_up_autopay(
        self, info: Info[Context, None], input: Annotated[SetUpAutopayInput, Input]
    ) -> AutopayPayload:
        ref = await perm.account(info, "Mutation.setUpAutopay", input.contract_number)
        orders = StandingOrders(info.context.services.ledger)
        done, errors = await attempt(
            info,
            orders.set_up,
            ref.account_id,
            input.kind.value,
            int(input.amount),
            int(input.below or 0),
            input.day or 1,
            input.card_token[:128],
        )
        return payload(done, errors)

    @strawberry.mutation(description="Parents: change a rule's amount, threshold, day or card.")
    async def change_autopay(
        self, info: Info[Context, None], input: Annotated[ChangeAutopayInput, Input]
    ) -> AutopayPayload:
        ref = await perm.account(info, "Mutation.changeAutopay", input.contract_number)
        orders = StandingOrders(info.context.services.ledger)
        done, errors = await attempt(
            info,
            orders.change,
            ref.account_id,
            input.kind.value,
            None if input.amount is None else int(input.amount),
            None if input.below is None else int(input.below),
            input.day,
            None if input.card_token is None else input.card_token[:128],
        )
        return payload(done, errors)

    @strawberry.mutation(description="Parents: pause a rule until resumed.")
    async def pause_autopay(
        self, info: Info[Context, None], input: Annotated[AutopayRuleInput, Input]
    ) -> AutopayPayload:
        ref = await perm.account(info, "Mutation.pauseAutopay", input.contract_number)
        orders = StandingOrders(info.context.services.ledger)
        return payload(*await attempt(info, orders.pause, ref.account_id, input.kind.value))

    @strawberry.mutation(description="Parents: resume a paused rule.")
    async def resume_autopay(
        self, info: Info[Context, None], input: Annotated[AutopayRuleInput, Input]
    ) -> AutopayPayload:
        ref = await perm.account(info, "Mutation.resumeAutopay", input.contract_number)
        orders = StandingOrders(info.context.services.ledger)
        return payload(*await attempt(info, orders.resume, ref.account_id, input.kind.value))

    @strawberry.mutation(description="Parents: end a rule.")
    async def cancel_autopay(
        self, info: Info[Context, None], input: Annotated[AutopayRuleInput, Input]
    ) -> AutopayPayload:
        ref = await perm.account(info, "Mutation.cancelAutopay", input.contract_number)
        orders = StandingOrders(info.context.services.ledger)
        done, errors = await attempt(
            info, orders.cancel, ref.account_id, input.kind.value, input.reason[:500]
        )
        return payload(done, errors)

    @strawberry.mutation(description="Parents: alert below this balance (0: never).")
    async def set_low_balance_threshold(
        self, info: Info[Context, None], input: Annotated[SetLowBalanceThresholdInput, Input]
    ) -> LowBalanceThresholdPayload:
        ref = await perm.account(info, "Mutation.setLowBalanceThreshold", input.contract_number)
        billing = Billing(info.context.services.ledger)
        position, errors = await attempt(
            info,
            billing.set_low_balance_threshold,
            ref.account_id,
            int(input.threshold),
            field=["threshold"],
        )
        return LowBalanceThresholdPayload(
            threshold=None if errors else input.threshold,
            user_errors=errors,
            position=position_of(position),
        )
