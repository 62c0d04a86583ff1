"""The staff's casework queues (issue 11): flagged charges, open disputes and refunds per
school with their evidence, and the refund's approval and payout.

Queues come from the `casework` and `roster` projections; a charge's full evidence is read
from the account's own events (`domain.casework.dispute_evidence`), as a dispute records it.
"""

import json
from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

import strawberry
from strawberry.types import Info

from api.graphql import permissions as perm
from api.graphql.context import Context
from api.graphql.enums import TerminalKind
from api.graphql.mutations import command, problem, recorded
from api.graphql.queries import caught_up, date_range
from api.graphql.readmodels import school_today
from api.graphql.scalars import AtLeast, Kopecks
from api.graphql.types import CommandResult, Problem
from domain import casework
from domain.dispute import Evidence
from domain.errors import DomainError
from projections.casework import disputes_of, flagged_of
from projections.roster import refunds_of

OPEN_REFUNDS = ("requested", "approved")


def as_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


@strawberry.type
class FlaggedCharge:
    contract_number: str
    charge_key: str
    local_date: date
    tapped_at: datetime
    terminal_id: UUID
    terminal_kind: TerminalKind
    amount: Kopecks
    flags: list[str]
    evidence_json: str
    dispute_status: str | None


@strawberry.type
class DisputeCase:
    contract_number: str
    charge_key: str
    local_date: date
    amount: Kopecks
    claim: str
    flags: list[str]
    status: str  # open, reversed, rejected
    opened_at: datetime
    decided_at: datetime | None
    decision: str | None
    evidence_json: str | None  # what the projection saw when the charge was flagged


@strawberry.type
class RefundCase:
    contract_number: str
    class_name: str
    pupil_status: str
    refund_status: str
    reason: str | None
    fee_free: bool | None
    destination: str | None
    requested_amount: Kopecks | None
    regular: Kopecks | None
    subsidised: Kopecks | None
    requested_at: datetime | None
    approved_at: datetime | None
    paid_at: datetime | None
    paid: Kopecks | None
    payout_ref: str | None


@strawberry.type
class ChargeEvidence:
    charge_key: str
    local_time: str
    school_open: bool
    inside: bool
    photo_check: str | None
    flags: list[str]
    passes_json: str
    other_taps_json: str

    @classmethod
    def of(cls, e: Evidence) -> "ChargeEvidence":
        return cls(
            charge_key=e.charge.key,
            local_time=e.local_time,
            school_open=e.school_open,
            inside=e.inside,
            photo_check=e.photo_check,
            flags=list(e.flags),
            passes_json=as_json(e.passes),
            other_taps_json=as_json(e.other_taps),
        )


@strawberry.type
class Termination:
    refunds_opened: int
    closed_at_zero: int


TerminationResult = Annotated[Termination | Problem, strawberry.union("TerminationResult")]


def kopecks(value: int | None) -> Kopecks | None:
    return None if value is None else Kopecks(int(value))


@strawberry.type
class CaseworkQueueQuery:
    @strawberry.field(
        description="Staff: charges flagged when projected (not inside, school closed, after a "
        "block, photo mismatch, offline debt), newest first, with their evidence."
    )
    async def flagged_charges(
        self,
        info: Info[Context, None],
        school: UUID,
        since: date | None = None,
        until: date | None = None,
        at_least: AtLeast = None,
    ) -> list[FlaggedCharge]:
        await perm.school(info, "Query.flaggedCharges", school)
        services = info.context.services
        today = await services.read(school_today, school, services.now())
        since, until = date_range(since, until, 31, today)
        await caught_up(info, ["casework"], at_least)
        found = await services.read(flagged_of, school, since, until)
        return [
            FlaggedCharge(
                contract_number=r["contract_number"],
                charge_key=r["charge_key"],
                local_date=r["local_date"],
                tapped_at=r["tapped_at"],
                terminal_id=r["terminal_id"],
                terminal_kind=TerminalKind(r["terminal_kind"]),
                amount=Kopecks(r["amount"]),
                flags=list(r["flags"]),
                evidence_json=as_json(r["evidence"]),
                dispute_status=r["dispute_status"],
            )
            for r in found
        ]

    @strawberry.field(description="Staff: the school's disputes (open ones by default).")
    async def disputes(
        self,
        info: Info[Context, None],
        school: UUID,
        statuses: list[str] | None = None,
        at_least: AtLeast = None,
    ) -> list[DisputeCase]:
        await perm.school(info, "Query.disputes", school)
        await caught_up(info, ["casework"], at_least)
        wanted = [s[:20] for s in (statuses or ["open"])][:5]
        found = await info.context.services.read(disputes_of, school, wanted)
        return [
            DisputeCase(
                contract_number=r["contract_number"],
                charge_key=r["charge_key"],
                local_date=r["local_date"],
                amount=Kopecks(r["amount"]),
                claim=r["claim"],
                flags=list(r["flags"]),
                status=r["status"],
                opened_at=r["opened_at"],
                decided_at=r["decided_at"],
                decision=r["decision"],
                evidence_json=None if r["evidence"] is None else as_json(r["evidence"]),
            )
            for r in found
        ]

    @strawberry.field(description="Staff: the school's refunds (requested and approved ones).")
    async def refunds(
        self,
        info: Info[Context, None],
        school: UUID,
        statuses: list[str] | None = None,
        at_least: AtLeast = None,
    ) -> list[RefundCase]:
        await perm.school(info, "Query.refunds", school)
        await caught_up(info, ["roster", "balances"], at_least)
        wanted = [s[:20] for s in (statuses or list(OPEN_REFUNDS))][:5]
        found = await info.context.services.read(refunds_of, school, wanted)
        return [
            RefundCase(
                contract_number=r["contract_number"],
                class_name=r["class_name"],
                pupil_status=r["status"],
                refund_status=r["refund_status"],
                reason=r["refund_reason"],
                fee_free=r["refund_fee_free"],
                destination=r["refund_destination"],
                requested_amount=kopecks(r["refund_amount"]),
                regular=kopecks(r["regular"]),
                subsidised=kopecks(r["subsidised"]),
                requested_at=r["refund_requested_at"],
                approved_at=r["refund_approved_at"],
                paid_at=r["refund_paid_at"],
                paid=kopecks(r["refund_paid"]),
                payout_ref=r["payout_ref"],
            )
            for r in found
        ]

    @strawberry.field(description="Staff: what the account's history says about one charge.")
    async def charge_evidence(
        self, info: Info[Context, None], contract_number: str, charge_key: str
    ) -> ChargeEvidence | None:
        ref = await perm.account(info, "Query.chargeEvidence", contract_number)
        services = info.context.services
        try:
            found = await services.run(
                casework.dispute_evidence, services.ledger, ref.account_id, charge_key[:200]
            )
        except DomainError:
            return None
        return ChargeEvidence.of(found)


@strawberry.type
class CaseworkQueueMutation:
    @strawberry.mutation(description="School admins and support: approve a requested refund.")
    async def approve_refund(
        self, info: Info[Context, None], contract_number: str
    ) -> CommandResult:
        ref = await perm.account(info, "Mutation.approveRefund", contract_number)
        ledger = info.context.services.ledger
        return await recorded(info, casework.approve_refund, ledger, ref.account_id)

    @strawberry.mutation(
        description="Support: the school leaves the operator; every account's refund is "
        "opened fee-free and approved (or the account closed at zero). Safe to repeat."
    )
    async def terminate_school(
        self, info: Info[Context, None], school: UUID, reason: str
    ) -> TerminationResult:
        await perm.school(info, "Mutation.terminateSchool", school)
        ledger = info.context.services.ledger
        try:
            done = await command(info, casework.terminate_contract, ledger, school, reason[:500])
        except DomainError as error:
            return problem(error)
        return Termination(
            refunds_opened=len(done.refunds_opened), closed_at_zero=len(done.closed_at_zero)
        )

    @strawberry.mutation(
        description="Support: record the payout of an approved refund (the account ends at "
        "zero, and is closed when the pupil has left)."
    )
    async def pay_refund(
        self, info: Info[Context, None], contract_number: str, payout_ref: str, close: bool = True
    ) -> CommandResult:
        ref = await perm.account(info, "Mutation.payRefund", contract_number)
        ledger = info.context.services.ledger
        return await recorded(info, casework.pay_refund, ledger, ref.account_id, payout_ref[:128],
                              close)  # fmt: skip
