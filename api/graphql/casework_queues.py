"""The staff's casework queues (issue 11): flagged charges, open disputes and refunds per
school with their evidence, and the refund's approval and payout.

Queues come from the `casework` and `roster` projections; a charge's full evidence is read
from the account's own events (`domain.casework.dispute_evidence`), as a dispute records it.
"""

import json
from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any, ClassVar
from uuid import UUID

import strawberry
from strawberry import relay
from strawberry.types import Info

from api.graphql import permissions as perm
from api.graphql.account_mutations import account_command
from api.graphql.arguments import (
    After,
    AtLeast,
    ChargeKey,
    ContractNumber,
    First,
    SchoolId,
    Since,
    Until,
)
from api.graphql.connections import PAGING, decode_key, school_node
from api.graphql.context import Context
from api.graphql.enums import DisputeStatus, TerminalKind
from api.graphql.parent_casework import Dispute
from api.graphql.payloads import AccountInput, Outcome
from api.graphql.queries import list_page, school_period
from api.graphql.scalars import Kopecks
from api.graphql.school_commands import SchoolInput, recorded_on, school_mutation
from api.graphql.types import from_row, kopecks_or_none
from domain import casework
from domain.dispute import Evidence
from domain.errors import DomainError
from domain.ledger import Ledger
from projections.casework import dispute_case, disputes_page, flagged_charge, flagged_page
from projections.roster import refund_case, refunds_page

OPEN_REFUNDS = ("requested", "approved")


def as_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


@strawberry.type(description="A charge that looks wrong, with its evidence.")
class FlaggedCharge(relay.Node):
    contract_number: str = strawberry.field(description="The contract.")
    charge_key: str = strawberry.field(description="The charge's key.")
    local_date: date = strawberry.field(description="The school-local date.")
    tapped_at: datetime = strawberry.field(description="When the card was tapped.")
    terminal_id: UUID = strawberry.field(description="The terminal.")
    terminal_kind: TerminalKind = strawberry.field(description="The terminal's kind.")
    amount: Kopecks = strawberry.field(description="What it cost.")
    flags: list[str] = strawberry.field(
        description="Why it looks wrong (`not_inside`, `school_closed`, `after_block`, "
        "`photo_mismatch`, `offline_debt`)."
    )
    evidence_json: str = strawberry.field(description="What the projection saw, as JSON.")
    dispute_status: str | None = strawberry.field(
        description="The dispute's status, when disputed."
    )

    @classmethod
    def of(cls, r: dict[str, Any]) -> "FlaggedCharge":
        return from_row(cls, r, terminal_kind=TerminalKind(r["terminal_kind"]),
                        flags=list(r["flags"]), evidence_json=as_json(r["evidence"]))  # fmt: skip

    resolve_id, resolve_nodes = school_node(flagged_charge, "Query.flaggedCharges", "charge_key")


@strawberry.type(description="A parent's dispute of a charge.")
class DisputeCase(relay.Node, Dispute):
    contract_number: str = strawberry.field(description="The contract.")
    flags: list[str] = strawberry.field(description="Why the charge was flagged, if it was.")
    status: str = strawberry.field(description="`open`, `reversed` or `rejected`.")
    evidence_json: str | None = strawberry.field(
        description="What the projection saw when the charge was flagged, as JSON."
    )  # what the projection saw when the charge was flagged

    @classmethod
    def of(cls, r: dict[str, Any]) -> "DisputeCase":
        evidence = None if r["evidence"] is None else as_json(r["evidence"])
        return from_row(cls, r, flags=list(r["flags"]), evidence_json=evidence)

    resolve_id, resolve_nodes = school_node(dispute_case, "Query.disputes", "charge_key")


@strawberry.type(description="A refund of an account's balance.")
class RefundCase(relay.Node):
    contract_number: str = strawberry.field(description="The contract.")
    class_name: str = strawberry.field(description="The pupil's class.")
    pupil_status: str = strawberry.field(description="The pupil's status.")
    refund_status: str = strawberry.field(description="`requested`, `approved` or `paid`.")
    reason: str | None = strawberry.field(description="Why it was requested.")
    fee_free: bool | None = strawberry.field(
        description="Without the refund fee (the pupil left, the school left)."
    )
    destination: str | None = strawberry.field(description="Where the money goes.")
    requested_amount: Kopecks | None = strawberry.field(description="The balance when requested.")
    regular: Kopecks | None = strawberry.field(description="The parent's wallet now.")
    subsidised: Kopecks | None = strawberry.field(description="The subsidy wallet now.")
    requested_at: datetime | None = strawberry.field(description="When requested.")
    approved_at: datetime | None = strawberry.field(description="When approved.")
    paid_at: datetime | None = strawberry.field(description="When paid.")
    paid: Kopecks | None = strawberry.field(description="What was paid.")
    payout_ref: str | None = strawberry.field(description="The bank's reference of the payout.")

    @classmethod
    def of(cls, r: dict[str, Any]) -> "RefundCase":
        return cls(
            contract_number=r["contract_number"],
            class_name=r["class_name"],
            pupil_status=r["status"],
            refund_status=r["refund_status"],
            reason=r["refund_reason"],
            fee_free=r["refund_fee_free"],
            destination=r["refund_destination"],
            requested_amount=kopecks_or_none(r["refund_amount"]),
            regular=kopecks_or_none(r["regular"]),
            subsidised=kopecks_or_none(r["subsidised"]),
            requested_at=r["refund_requested_at"],
            approved_at=r["refund_approved_at"],
            paid_at=r["refund_paid_at"],
            paid=kopecks_or_none(r["refund_paid"]),
            payout_ref=r["payout_ref"],
        )

    resolve_id, resolve_nodes = school_node(refund_case, "Query.refunds", "contract_number")


@strawberry.type(description="What the account's history says about one charge.")
class ChargeEvidence:
    charge_key: str = strawberry.field(description="The charge's key.")
    local_time: str = strawberry.field(description="The school-local time of the tap.")
    school_open: bool = strawberry.field(description="Whether the school was open that day.")
    inside: bool = strawberry.field(description="Whether the pupil was inside then.")
    photo_check: str | None = strawberry.field(description="The operator's photo check, when made.")
    flags: list[str] = strawberry.field(description="Why it looks wrong, if it does.")
    passes_json: str = strawberry.field(description="The day's turnstile passes, as JSON.")
    other_taps_json: str = strawberry.field(description="The day's other taps, as JSON.")

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


@strawberry.type(description="The outcome of terminating a school.")
class Termination:
    refunds_opened: int = strawberry.field(
        description="Accounts whose refund was opened and approved."
    )
    closed_at_zero: int = strawberry.field(description="Accounts closed at a zero balance.")


@strawberry.type(description="What a school's termination did: its outcome, or why not.")
class TerminationPayload(Outcome):
    termination: Termination | None = strawberry.field(
        description="The outcome; null when refused."
    )


@strawberry.input(description="A requested refund to approve.")
class ApproveRefundInput(AccountInput):
    does: ClassVar[str] = "School admins and support: approve a requested refund."

    def record(self, ledger: Ledger, account: UUID) -> int:
        return casework.approve_refund(ledger, account)


@strawberry.input(description="The payout of an approved refund.")
class PayRefundInput(AccountInput):
    does: ClassVar[str] = (
        "Support: record the payout of an approved refund (the account ends at zero, and is"
        " closed when the pupil has left)."
    )
    payout_ref: str = strawberry.field(description="The bank's reference of the payout.")
    close: bool = strawberry.field(
        default=True, description="Close the account once paid when the pupil has left."
    )

    def record(self, ledger: Ledger, account: UUID) -> int:
        return casework.pay_refund(ledger, account, self.payout_ref[:128], self.close)


@strawberry.input(description="A school leaving the operator.")
class TerminateSchoolInput(SchoolInput):
    reason: str = strawberry.field(description="Why, in a few words (recorded with the event).")


def case_queue(
    name: str,
    node: Any,
    description: str,
    statuses_description: str,
    default: tuple[str, ...],
    read_models: list[str],
    fetch: Callable[..., list[dict[str, Any]]],
    key: Callable[[dict[str, Any]], tuple[str, ...]],
) -> Any:
    """The field `name(school, statuses, first, after, atLeast)`: a page of the school's
    cases in `statuses` (`default` when absent), under `Query.<name>`'s rule."""

    async def resolve(
        info: Info[Context, None],
        school: SchoolId,
        statuses: Annotated[
            list[str] | None, strawberry.argument(description=statuses_description)
        ] = None,
        first: First = 50,
        after: After = None,
        at_least: AtLeast = None,
    ) -> relay.Connection[node]:
        await perm.school(info, f"Query.{name}", school)
        wanted = [s[:20] for s in (statuses or list(default))][:5]
        return await list_page(
            info, read_models, at_least, first,
            fetch, school, wanted, decode_key(after, 2),
            key=key, node=node.of,
        )  # fmt: skip

    return strawberry.field(resolver=resolve, name=name, description=description)


@strawberry.type
class CaseworkQueueQuery:
    @strawberry.field(
        description="Staff: charges flagged when projected (not inside, school closed, after a "
        f"block, photo mismatch, offline debt), newest first, with their evidence, {PAGING}"
    )
    async def flagged_charges(
        self,
        info: Info[Context, None],
        school: SchoolId,
        since: Since = None,
        until: Until = None,
        first: First = 50,
        after: After = None,
        at_least: AtLeast = None,
    ) -> relay.Connection[FlaggedCharge]:
        since, until = await school_period(info, "Query.flaggedCharges", school, since, until, 31)
        return await list_page(
            info, ["casework"], at_least, first,
            flagged_page, school, since, until, decode_key(after, 2),
            key=lambda r: (r["tapped_at"].isoformat(), r["charge_key"]),
            node=FlaggedCharge.of,
        )  # fmt: skip

    disputes = case_queue(
        "disputes",
        DisputeCase,
        f"Staff: the school's disputes (open ones by default), oldest first, {PAGING}",
        "Only disputes in these statuses (`open` when absent).",
        (DisputeStatus.OPEN,),
        ["casework"],
        disputes_page,
        key=lambda r: (r["opened_at"].isoformat(), r["charge_key"]),
    )
    refunds = case_queue(
        "refunds",
        RefundCase,
        "Staff: the school's refunds (requested and approved ones), oldest request first,"
        f" {PAGING}",
        "Only refunds in these statuses (requested and approved when absent).",
        OPEN_REFUNDS,
        ["roster", "balances"],
        refunds_page,
        key=lambda r: (r["refund_requested_at"].isoformat(), r["contract_number"]),
    )

    @strawberry.field(description="Staff: what the account's history says about one charge.")
    async def charge_evidence(
        self, info: Info[Context, None], contract_number: ContractNumber, charge_key: ChargeKey
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


async def terminate(
    info: Info[Context, None], school: UUID, given: TerminateSchoolInput
) -> TerminationPayload:
    done, errors, at = await recorded_on(
        info, school, casework.terminate_contract, given.reason[:500]
    )
    if done is None:
        return TerminationPayload.refusing(errors, termination=None)
    opened, closed = len(done.refunds_opened), len(done.closed_at_zero)
    termination = Termination(refunds_opened=opened, closed_at_zero=closed)
    return TerminationPayload.done(at, termination=termination)


@strawberry.type
class CaseworkQueueMutation:
    approve_refund = account_command("approveRefund", ApproveRefundInput)
    pay_refund = account_command("payRefund", PayRefundInput)

    terminate_school = school_mutation(
        "terminateSchool",
        TerminateSchoolInput,
        TerminationPayload,
        "Support: the school leaves the operator; every account's refund is opened fee-free"
        " and approved (or the account closed at zero). Safe to repeat.",
        terminate,
    )
