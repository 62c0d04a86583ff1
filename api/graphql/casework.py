"""Disputes, refunds and the audit trail (issue 7's `domain.casework` and `audit`).

These read the account's own events (the evidence of a charge, the audit trail), not a read
model: they are about what was recorded, event by event.
"""

import json
from datetime import datetime
from enum import Enum
from uuid import UUID, uuid4

import strawberry
from strawberry.types import Info

from api.graphql import permissions as perm
from api.graphql.context import Context
from api.graphql.mutations import on_account, problem, recorded
from api.graphql.scalars import Kopecks, Position
from api.graphql.types import CommandResult
from audit.history import audit_trail, export_text
from domain import casework
from domain.errors import DomainError
from domain.fields import REASON, text
from domain.ledger import Ledger


@strawberry.enum
class RefundDestination(Enum):
    ORIGINAL_METHOD = "original_method"
    BANK_DETAILS = "bank_details"


@strawberry.type
class AuditEntry:
    position: Position
    version: int
    event: str
    at: datetime
    actor: str
    actor_kind: str
    fields_json: str  # the event's own fields, as JSON
    regular_after: Kopecks
    subsidised_after: Kopecks
    reason: str | None


@strawberry.enum
class ExportFormat(Enum):
    JSONL = "jsonl"
    CSV = "csv"


@strawberry.type
class HistoryExport:
    contract_number: str
    file_format: ExportFormat
    entries: int
    content: str


@strawberry.type
class CaseworkQuery:
    @strawberry.field(
        description="Parents (and auditors): the account's whole history, portable, as the "
        "auditors' export gives it."
    )
    async def history_export(
        self,
        info: Info[Context, None],
        contract_number: str,
        file_format: ExportFormat = ExportFormat.JSONL,
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

    @strawberry.field(description="Auditors: every event of an account, with who did it.")
    async def audit_trail(
        self,
        info: Info[Context, None],
        contract_number: str,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[AuditEntry]:
        ref = await perm.account(info, "Query.auditTrail", contract_number)
        services = info.context.services
        found = await services.run(audit_trail, services.ledger, ref.account_id, since, until)
        return [
            AuditEntry(
                position=Position(e.position),
                version=e.version,
                event=e.event,
                at=e.timestamp,
                actor=e.actor,
                actor_kind=e.actor_kind,
                fields_json=json.dumps(e.fields, ensure_ascii=False, sort_keys=True),
                regular_after=Kopecks(e.regular_after),
                subsidised_after=Kopecks(e.subsidised_after),
                reason=e.reason,
            )
            for e in found
        ]


def disputed(ledger: Ledger, account_id: UUID, charge_key: str, claim: str) -> int:
    return casework.dispute_charge(ledger, account_id, charge_key, claim).position


@strawberry.type
class CaseworkMutation:
    @strawberry.mutation(description="Parents: contest a charge; the evidence is recorded with it.")
    async def dispute_charge(
        self, info: Info[Context, None], contract_number: str, charge_key: str, claim: str
    ) -> CommandResult:
        return await on_account(
            info, "Mutation.disputeCharge", contract_number, disputed, charge_key, claim[:2000]
        )

    @strawberry.mutation(description="School admins: the charge goes back to the parent.")
    async def reverse_charge(
        self, info: Info[Context, None], contract_number: str, charge_key: str, note: str = ""
    ) -> CommandResult:
        return await on_account(
            info,
            "Mutation.reverseCharge",
            contract_number,
            casework.reverse_charge,
            charge_key,
            note[:2000],
        )

    @strawberry.mutation(description="School admins: the charge stands, with the reason.")
    async def reject_dispute(
        self, info: Info[Context, None], contract_number: str, charge_key: str, reason: str
    ) -> CommandResult:
        return await on_account(
            info,
            "Mutation.rejectDispute",
            contract_number,
            casework.reject_dispute,
            charge_key,
            reason[:2000],
        )

    @strawberry.mutation(
        description="Parents: return the balance, to the original payment method or to bank "
        "details (kept as personal data, never in the ledger)."
    )
    async def request_refund(
        self,
        info: Info[Context, None],
        contract_number: str,
        destination: RefundDestination = RefundDestination.ORIGINAL_METHOD,
        bank_details: str | None = None,
    ) -> CommandResult:
        ref = await perm.account(info, "Mutation.requestRefund", contract_number)
        services = info.context.services
        destination_ref = ""
        if destination == RefundDestination.BANK_DETAILS:
            try:  # personal data, kept beside the ledger: printable and bounded all the same
                details = text(bank_details or "", REASON, what="the bank details")
            except DomainError as error:
                return problem(error)
            destination_ref = f"subject:{uuid4()}"
            subject = destination_ref
            await services.run(lambda: services.people.put(subject, bank_details=details))
        return await recorded(
            info,
            casework.request_refund,
            services.ledger,
            ref.account_id,
            destination.value,
            destination_ref,
        )
