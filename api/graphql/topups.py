"""Parents top up from their own login (issue 12, point 1): the commission quoted first,
then a payment page from the acquirer; the acquirer's webhook credits the account once."""

from typing import Annotated, Any, Self
from uuid import UUID

import strawberry
from strawberry.types import Info

from api.graphql import permissions as perm
from api.graphql.arguments import ContractNumber
from api.graphql.connections import bad_input
from api.graphql.context import Context
from api.graphql.enums import Channel, TopUpStatus
from api.graphql.payloads import (
    AccountInput,
    Outcome,
    account_mutation,
    attempt_on,
    refused,
)
from api.graphql.scalars import Kopecks
from domain.errors import DomainError
from domain.ledger import Ledger
from domain.topup import CardPayment, Quote
from domain.topups import TopUps


@strawberry.type(description="What a top-up costs.")
class TopUpCost:
    """What a top-up costs, quoted before paying (`TopUpQuote`) or as its payment was started
    (`TopUpPayment`)."""

    channel: Channel = strawberry.field(description="How the parent pays.")
    amount: Kopecks = strawberry.field(description="What reaches the account.")
    commission: Kopecks = strawberry.field(description="The bank's commission, paid on top.")
    total: Kopecks = strawberry.field(description="What the parent's card is charged.")
    rate: str = strawberry.field(
        description="The school's commission rate the commission was worked out at (0.05 = 5 %)."
    )

    @classmethod
    def from_cost(cls, cost: Quote | CardPayment, **shown: Any) -> Self:
        """The figures of `cost` (a quote, or a payment started at one), and `shown`: the
        type's own fields."""
        return cls(
            channel=Channel(cost.channel),
            amount=Kopecks(cost.amount),
            commission=Kopecks(cost.commission),
            total=Kopecks(cost.total),
            rate=cost.rate,
            **shown,
        )


@strawberry.type(description="What a top-up costs, before paying.")
class TopUpQuote(TopUpCost):
    @classmethod
    def of(cls, q: Quote) -> "TopUpQuote":
        return cls.from_cost(q)


@strawberry.type(description="A top-up a parent started, until the bank's verdict.")
class TopUpPayment(TopUpCost):
    payment_id: str = strawberry.field(description="Our payment id, as the acquirer knows it.")
    status: TopUpStatus = strawberry.field(description="Where the payment stands.")
    reason: str | None = strawberry.field(description="Why the bank refused, if it did.")
    confirmation_url: str | None = strawberry.field(
        description="The acquirer's page where the parent pays (only when just started)."
    )

    @classmethod
    def of(cls, p: CardPayment, confirmation_url: str | None = None) -> "TopUpPayment":
        return cls.from_cost(
            p,
            payment_id=p.payment_id,
            status=TopUpStatus(p.status),
            reason=p.reason or None,
            confirmation_url=confirmation_url,
        )


@strawberry.input(description="Start a top-up by card or SBP.")
class StartTopUpInput(AccountInput):
    amount: Kopecks = strawberry.field(description="What should reach the account.")
    channel: Channel = strawberry.field(default=Channel.BANK_CARD, description="BANK_CARD or SBP.")
    return_url: str | None = strawberry.field(
        default=None, description="Where the acquirer's page sends the parent back."
    )
    save_card: bool = strawberry.field(
        default=False,
        description="Ask the acquirer to save the card (BANK_CARD) for autopayments"
        " («Запомнить карту»); it is listed in `savedCards` once the payment succeeds.",
    )


@strawberry.type(description="The started top-up and the page to pay it on.")
class StartTopUpPayload(Outcome):
    top_up: TopUpPayment | None = strawberry.field(
        description="The started payment; null when it was not started."
    )


def start_top_up(
    ledger: Ledger, account_id: UUID, amount: int, channel: str
) -> tuple[CardPayment, int]:
    return TopUps(ledger).start(account_id, amount, channel)


@strawberry.type
class TopUpQuery:
    @strawberry.field(description="Parents: what a top-up costs with the school's commission.")
    async def top_up_quote(
        self,
        info: Info[Context, None],
        contract_number: ContractNumber,
        amount: Annotated[
            Kopecks, strawberry.argument(description="What the parent wants credited.")
        ],
        channel: Annotated[
            Channel, strawberry.argument(description="How the parent would pay.")
        ] = Channel.BANK_CARD,
    ) -> TopUpQuote:
        ref = await perm.account(info, "Query.topUpQuote", contract_number)
        services = info.context.services
        try:
            q = await services.run(
                TopUps(services.ledger).quote, ref.account_id, int(amount), channel.value
            )
        except DomainError as error:
            raise bad_input(str(error)) from None
        return TopUpQuote.of(q)

    @strawberry.field(description="Parents: a started top-up and its status.")
    async def top_up(
        self,
        info: Info[Context, None],
        contract_number: ContractNumber,
        payment_id: Annotated[
            str, strawberry.argument(description="The payment id `startTopUp` returned.")
        ],
    ) -> TopUpPayment | None:
        ref = await perm.account(info, "Query.topUp", contract_number)
        services = info.context.services
        try:
            found = await services.run(TopUps(services.ledger).payment, payment_id[:128])
        except DomainError:
            return None
        return TopUpPayment.of(found) if found.account_id == ref.account_id else None


async def start(
    info: Info[Context, None], ref: perm.AccountRef, given: StartTopUpInput
) -> StartTopUpPayload:
    started, errors = await attempt_on(
        info, ref, start_top_up, int(given.amount), given.channel.value
    )
    services = info.context.services
    if started is None:
        return StartTopUpPayload.refusing(errors, top_up=None)
    payment, position = started
    back = given.return_url or services.settings.public_url
    try:
        checkout = await services.run(
            services.checkout.checkout,
            payment.payment_id,
            payment.total,
            payment.channel,
            f"Пополнение счёта {ref.contract_number}",
            back[:500],
            given.save_card and given.channel == Channel.BANK_CARD,
        )
    except Exception:  # the acquirer is down: the payment stays started, nothing is charged
        error = refused("acquirer_unavailable", "the payment provider did not answer; retry")
        return StartTopUpPayload.refusing([error], top_up=None)
    top_up = TopUpPayment.of(payment, checkout.confirmation_url)
    return StartTopUpPayload.done(position, top_up=top_up)


@strawberry.type
class TopUpMutation:
    start_top_up = account_mutation(
        "startTopUp",
        StartTopUpInput,
        StartTopUpPayload,
        "Parents: start a top-up; pay on `confirmationUrl`; the acquirer's webhook credits the"
        " account once.",
        start,
    )
