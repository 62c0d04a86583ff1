"""Disputes, refunds and the audit trail (issue 7's `domain.casework` and `audit`).

The export reads the account's own events (what was recorded, event by event); the audit
trail reads the `audit_trail` read model, which holds the same events with the wallets after
each, so it pages like every list (`audit.history` replays the events to check it).
"""

from datetime import UTC, datetime
from enum import Enum
from functools import partial
from typing import Annotated, Any, ClassVar
from uuid import UUID

import strawberry
from strawberry import relay
from strawberry.types import Info

from api.graphql import permissions as perm
from api.graphql.account_mutations import AccountInput, AccountPayload, account_command, recorded
from api.graphql.arguments import After, AtLeast, ContractNumber, First
from api.graphql.connections import PAGING, account_node, decode_cursor, position_key
from api.graphql.context import Context
from api.graphql.enums import RefundDestination
from api.graphql.payloads import Note, account_mutation, kept_personal, user_error
from api.graphql.queries import list_page
from api.graphql.scalars import Kopecks, Position
from api.graphql.types import from_row
from audit.history import export_text
from domain import casework
from domain.errors import DomainError
from domain.fields import REASON, text
from domain.ledger import Ledger
from projections.audit_trail import trail_entry, trail_page


@strawberry.type(description="One event of an account's history, with who did it.")
class AuditEntry(relay.Node):
    contract_number: strawberry.Private[str]
    position: Position = strawberry.field(description="Its ledger position.")
    version: int = strawberry.field(description="The account's version it made.")
    event: str = strawberry.field(description="The event's name.")
    at: datetime = strawberry.field(description="When (UTC).")
    actor: str = strawberry.field(description="Who (`role:login id`, `terminal:id`, `system`).")
    actor_kind: str = strawberry.field(description="The kind of actor.")
    fields_json: str = strawberry.field(description="The event's own fields, as JSON.")
    regular_after: Kopecks = strawberry.field(description="The parent's wallet after it.")
    subsidised_after: Kopecks = strawberry.field(description="The subsidy wallet after it.")
    reason: str | None = strawberry.field(
        description="What happened, in Russian, when it moved money."
    )

    resolve_id, resolve_nodes = account_node(
        trail_entry, "Query.auditTrail", "position", parse=position_key
    )

    @classmethod
    def of(cls, row: dict[str, Any], contract_number: str) -> "AuditEntry":
        """From a row of the `audit_trail` read model."""
        return from_row(cls, row, contract_number=contract_number, at=row["at"].astimezone(UTC))


@strawberry.enum(description="The format of an exported history.")
class ExportFormat(Enum):
    JSONL = strawberry.enum_value("jsonl", description="JSON lines, one event a line.")
    CSV = strawberry.enum_value("csv", description="CSV, one event a line.")


@strawberry.type(description="An account's whole history, as a file.")
class HistoryExport:
    contract_number: str = strawberry.field(description="The contract.")
    file_format: ExportFormat = strawberry.field(description="The file's format.")
    entries: int = strawberry.field(description="How many events.")
    content: str = strawberry.field(description="The file's text.")


@strawberry.type
class CaseworkQuery:
    @strawberry.field(
        description="Parents (and auditors): the account's whole history, portable, as the "
        "auditors' export gives it."
    )
    async def history_export(
        self,
        info: Info[Context, None],
        contract_number: ContractNumber,
        file_format: Annotated[
            ExportFormat, strawberry.argument(description="JSON lines or CSV.")
        ] = ExportFormat.JSONL,
    ) -> HistoryExport:
        ref = await perm.account(info, "Query.historyExport", contract_number)
        services = info.context.services
        content, entries = await services.run(
            export_text, services.ledger, ref.account_id, file_format.value
        )
        return HistoryExport(
            contract_number=contract_number.strip(),
            file_format=file_format,
            entries=entries,
            content=content,
        )

    @strawberry.field(
        description="Auditors: every event of an account with who did it and both wallets after"
        f" it, oldest first, {PAGING}"
    )
    async def audit_trail(
        self,
        info: Info[Context, None],
        contract_number: ContractNumber,
        since: Annotated[
            datetime | None, strawberry.argument(description="From this time (inclusive).")
        ] = None,
        until: Annotated[
            datetime | None, strawberry.argument(description="Up to this time (inclusive).")
        ] = None,
        first: First = 50,
        after: After = None,
        at_least: AtLeast = None,
    ) -> relay.Connection[AuditEntry]:
        ref = await perm.account(info, "Query.auditTrail", contract_number)
        return await list_page(
            info, ["audit_trail"], at_least, first,
            partial(trail_page, since=since, until=until), ref.account_id, decode_cursor(after),
            key=lambda r: int(r["position"]),
            node=lambda r: AuditEntry.of(r, ref.contract_number),
        )  # fmt: skip


@strawberry.input(description="A charge the parent contests.")
class DisputeChargeInput(AccountInput):
    does: ClassVar[str] = "Parents: contest a charge; the evidence is recorded with it."
    charge_key: str = strawberry.field(description="The charge's key, as `charges` lists it.")
    claim: str = strawberry.field(
        description="What is wrong with the charge, in the parent's words."
    )

    def record(self, ledger: Ledger, account: UUID) -> int:
        disputed = casework.dispute_charge(ledger, account, self.charge_key, self.claim[:2000])
        return disputed.position


@strawberry.input(description="A support decision on one disputed charge.")
class ChargeInput(AccountInput):
    charge_key: str = strawberry.field(description="The charge's key.")


@strawberry.input(description="A disputed charge given back to the parent.")
class ReverseChargeInput(ChargeInput, Note):
    does: ClassVar[str] = "School admins: the charge goes back to the parent."

    def record(self, ledger: Ledger, account: UUID) -> int:
        return casework.reverse_charge(ledger, account, self.charge_key, self.note[:2000])


@strawberry.input(description="A disputed charge that stands.")
class RejectDisputeInput(ChargeInput):
    does: ClassVar[str] = "School admins: the charge stands, with the reason."
    reason: str = strawberry.field(description="Why it stands (the parent is told).")

    def record(self, ledger: Ledger, account: UUID) -> int:
        return casework.reject_dispute(ledger, account, self.charge_key, self.reason[:2000])


@strawberry.input(description="A refund of the balance.")
class RequestRefundInput(AccountInput):
    destination: RefundDestination = strawberry.field(
        default=RefundDestination.ORIGINAL_METHOD, description="Where the money goes."
    )
    bank_details: str | None = strawberry.field(
        default=None,
        description="Bank details for `BANK_DETAILS` (kept as personal data, never in the ledger).",
    )


async def refund(
    info: Info[Context, None], ref: perm.AccountRef, given: RequestRefundInput
) -> AccountPayload:
    destination_ref = ""
    if given.destination == RefundDestination.BANK_DETAILS:
        try:  # personal data, kept beside the ledger: printable and bounded all the same
            details = text(given.bank_details or "", REASON, what="the bank details")
        except DomainError as error:
            errors = [user_error(error, ["input", "bankDetails"])]
            return AccountPayload.refusing(errors, contract_number=ref.contract_number)
        destination_ref = await kept_personal(info, bank_details=details)
    return await recorded(
        info, ref, casework.request_refund, given.destination.value, destination_ref
    )


@strawberry.type
class CaseworkMutation:
    dispute_charge = account_command("disputeCharge", DisputeChargeInput)
    reverse_charge = account_command("reverseCharge", ReverseChargeInput)
    reject_dispute = account_command("rejectDispute", RejectDisputeInput)

    request_refund = account_mutation(
        "requestRefund",
        RequestRefundInput,
        AccountPayload,
        "Parents: return the balance, to the original payment method or to bank details (kept"
        " as personal data, never in the ledger).",
        refund,
    )
