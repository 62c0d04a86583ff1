"""Money moved between siblings under one parent login (issue 12, point 5): one command over
both accounts, saved in one transaction (`domain/transfer.py`)."""

import strawberry
from strawberry.types import Info

from api.graphql import permissions as perm
from api.graphql.context import Context
from api.graphql.payloads import Outcome, attempt, input_mutation
from api.graphql.scalars import Kopecks
from domain import transfer as rules


@strawberry.type(description="One side of a transfer: a contract and its regular wallet after it.")
class TransferSide:
    contract_number: str = strawberry.field(description="The contract.")
    regular_after: Kopecks = strawberry.field(description="Its regular wallet after the transfer.")


@strawberry.type(description="Money moved from one child's account to a sibling's.")
class SiblingTransfer:
    transfer_id: str = strawberry.field(description="The transfer's id, on both statements.")
    amount: Kopecks = strawberry.field(description="What moved.")
    source: TransferSide = strawberry.field(description="The account the money left.")
    target: TransferSide = strawberry.field(description="The account the money reached.")
    replayed: bool = strawberry.field(
        description="The request key was used before: this is that transfer, nothing moved again."
    )


@strawberry.input(description="Move money between two contracts the parent's login holds.")
class TransferBetweenSiblingsInput:
    from_contract_number: str = strawberry.field(description="The contract paying.")
    to_contract_number: str = strawberry.field(description="The sibling's contract receiving.")
    amount: Kopecks = strawberry.field(
        description="Kopecks from the regular wallet: at most what is on it (no overdraft)."
    )
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="The client's key for this request: a repeat with the same key moves "
        "nothing more and answers the first transfer.",
    )


@strawberry.type(description="The transfer, done entirely, or refused with nothing moved.")
class TransferBetweenSiblingsPayload(Outcome):
    transfer: SiblingTransfer | None = strawberry.field(
        description="What moved; null when refused (nothing moved)."
    )


async def transfer(
    info: Info[Context, None], coordinate: str, given: TransferBetweenSiblingsInput
) -> TransferBetweenSiblingsPayload:
    source = await perm.account(info, coordinate, given.from_contract_number)
    target = await perm.account(info, coordinate, given.to_contract_number)
    ledger = info.context.services.ledger
    done, errors = await attempt(
        info,
        rules.transfer,
        ledger,
        source.account_id,
        target.account_id,
        int(given.amount),
        given.idempotency_key,
    )
    if done is None:
        return TransferBetweenSiblingsPayload.refusing(errors, transfer=None)
    moved = SiblingTransfer(
        transfer_id=done.transfer_id,
        amount=Kopecks(done.amount),
        source=TransferSide(
            contract_number=source.contract_number,
            regular_after=Kopecks(done.from_regular_after),
        ),
        target=TransferSide(
            contract_number=target.contract_number,
            regular_after=Kopecks(done.to_regular_after),
        ),
        replayed=done.replayed,
    )
    return TransferBetweenSiblingsPayload.done(done.position, transfer=moved)


@strawberry.type
class TransferMutation:
    transfer_between_siblings = input_mutation(
        "transferBetweenSiblings",
        TransferBetweenSiblingsInput,
        TransferBetweenSiblingsPayload,
        "Parents: move money between two children under one login, atomically (both accounts"
        " in one transaction, or nothing).",
        transfer,
    )
