"""A parent follows their own disputes and refund (issue 13: "dispute a charge and follow it"),
read from the account's own events: what was claimed, and what the school decided and why."""

from datetime import date, datetime
from typing import Any

import strawberry
from strawberry.types import Info

from api.graphql.context import Context
from api.graphql.enums import DisputeStatus
from api.graphql.queries import account_query
from api.graphql.scalars import Kopecks
from domain.account import Account
from domain.ledger import Ledger


@strawberry.type(description="A parent's dispute of a charge.")
class Dispute:
    """What a dispute is, as its parent follows it (`MyDispute`) or the school decides it
    (`DisputeCase`): the charge contested, the parent's claim, and the school's decision."""

    charge_key: str = strawberry.field(description="The disputed charge.")
    local_date: date = strawberry.field(description="The school-local day of the charge.")
    amount: Kopecks = strawberry.field(description="What the charge took.")
    claim: str = strawberry.field(description="What the parent said was wrong.")
    opened_at: datetime = strawberry.field(description="When the parent disputed it.")
    decided_at: datetime | None = strawberry.field(description="When the school decided.")
    decision: str | None = strawberry.field(description="The school's note or reason.")


@strawberry.type(description="A charge the parent contested, and what became of it.")
class MyDispute(Dispute):
    status: DisputeStatus = strawberry.field(description="Where it stands.")


@strawberry.type(description="The parent's refund request, if any.")
class MyRefund:
    status: str = strawberry.field(description="`requested`, `approved` or `paid`.")
    requested_at: datetime | None = strawberry.field(description="When it was asked for.")
    destination: str | None = strawberry.field(description="`original_method` or `bank_details`.")


@strawberry.type(description="A contract's disputes and refund, as its parent follows them.")
class MyCasework:
    disputes: list[MyDispute] = strawberry.field(description="Newest first.")
    refund: MyRefund | None = strawberry.field(description="The refund under way or paid.")


def casework_of(ledger: Ledger, account_id: Any) -> MyCasework:
    found: dict[str, MyDispute] = {}
    events: list[Any] = list(ledger.repository.event_store.get(account_id))
    for e in events:
        if isinstance(e, Account.ChargeDisputed):
            found[e.charge] = MyDispute(
                charge_key=e.charge, local_date=date.fromisoformat(e.local_date),
                amount=Kopecks(e.amount), claim=e.claim, status=DisputeStatus.OPEN,
                opened_at=e.timestamp, decided_at=None, decision=None,
            )  # fmt: skip
        elif isinstance(e, Account.ChargeReversed | Account.DisputeRejected) and e.charge in found:
            case = found[e.charge]
            case.status = (
                DisputeStatus.REVERSED
                if isinstance(e, Account.ChargeReversed)
                else DisputeStatus.REJECTED
            )
            case.decided_at = e.timestamp
            case.decision = e.note if isinstance(e, Account.ChargeReversed) else e.reason
    account = ledger.account(account_id)
    refund = account.refund
    return MyCasework(
        disputes=sorted(found.values(), key=lambda d: d.opened_at, reverse=True),
        refund=MyRefund(
            status=str(refund["status"]),
            requested_at=refund.get("requested_at"),
            destination=refund.get("destination"),
        )
        if refund
        else None,
    )


async def my_casework_of(info: Info[Context, None], account_id: Any) -> MyCasework:
    services = info.context.services
    return await services.run(casework_of, services.ledger, account_id)


@strawberry.type
class ParentCaseworkQuery:
    my_casework = account_query(
        "myCasework",
        MyCasework,
        "Parents: their disputes with support's decisions, and refund.",
        my_casework_of,
    )
