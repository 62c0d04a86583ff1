"""Disputes, refunds and the audit trail (issue 7's `domain.casework` and `adapters.audit`).

These read the account's own events (the evidence of a charge, the audit trail), not a read
model: they are about what was recorded, event by event.
"""

import json
from datetime import date, datetime
from enum import Enum
from uuid import uuid4

import strawberry
from strawberry.types import Info

from adapters.audit.history import audit_trail, export_text
from api.graphql import permissions as perm
from api.graphql.context import Context
from api.graphql.enums import TerminalKind
from api.graphql.mutations import command, problem
from api.graphql.scalars import Kopecks, Position
from api.graphql.types import CommandResult, Done, LineItem
from domain import casework
from domain.dispute import Charge as DomainCharge
from domain.errors import DomainError
from domain.fields import REASON, text
from projections.casework import flags_of_account


@strawberry.enum
class RefundDestination(Enum):
    ORIGINAL_METHOD = "original_method"
    BANK_DETAILS = "bank_details"


@strawberry.type
class Charge:
    key: str  # what `disputeCharge` takes
    tapped_at: datetime
    terminal_kind: TerminalKind
    amount: Kopecks
    from_regular: Kopecks
    from_subsidised: Kopecks
    offline: bool
    items: list[LineItem]
    flags: list[str]  # computed when the charge was projected (projections/casework.py)

    @classmethod
    def of(cls, c: DomainCharge, flags: list[str] | None = None) -> "Charge":
        return cls(
            flags=list(flags or []),
            key=c.key,
            tapped_at=c.tapped_at,
            terminal_kind=TerminalKind(c.terminal_kind),
            amount=Kopecks(c.amount),
            from_regular=Kopecks(c.from_regular),
            from_subsidised=Kopecks(c.from_subsidised),
            offline=c.offline,
            items=[
                LineItem(
                    code=str(i.get("code", "")),
                    name=str(i.get("name", i.get("code", ""))),
                    price=Kopecks(i["price"]) if isinstance(i.get("price"), int) else None,
                    quantity=int(i.get("quantity", 1)),
                )
                for i in c.items
            ],
        )


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

    @strawberry.field(description="Charges of one school-local day, with the keys to dispute.")
    async def charges(
        self, info: Info[Context, None], contract_number: str, on: date
    ) -> list[Charge]:
        ref = await perm.account(info, "Query.charges", contract_number)
        services = info.context.services
        found = await services.run(casework.charges, services.ledger, ref.account_id, on)
        flags = await services.read(flags_of_account, ref.account_id, on)
        return [Charge.of(c, flags.get(c.key)) for c in found]

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


@strawberry.type
class CaseworkMutation:
    @strawberry.mutation(description="Parents: contest a charge; the evidence is recorded with it.")
    async def dispute_charge(
        self, info: Info[Context, None], contract_number: str, charge_key: str, claim: str
    ) -> CommandResult:
        ref = await perm.account(info, "Mutation.disputeCharge", contract_number)
        ledger = info.context.services.ledger
        try:
            disputed = await command(
                info, casework.dispute_charge, ledger, ref.account_id, charge_key, claim[:2000]
            )
        except DomainError as error:
            return problem(error)
        return Done(position=Position(disputed.position))

    @strawberry.mutation(description="School admins: the charge goes back to the parent.")
    async def reverse_charge(
        self, info: Info[Context, None], contract_number: str, charge_key: str, note: str = ""
    ) -> CommandResult:
        ref = await perm.account(info, "Mutation.reverseCharge", contract_number)
        ledger = info.context.services.ledger
        try:
            at = await command(
                info, casework.reverse_charge, ledger, ref.account_id, charge_key, note[:2000]
            )
        except DomainError as error:
            return problem(error)
        return Done(position=Position(at))

    @strawberry.mutation(description="School admins: the charge stands, with the reason.")
    async def reject_dispute(
        self, info: Info[Context, None], contract_number: str, charge_key: str, reason: str
    ) -> CommandResult:
        ref = await perm.account(info, "Mutation.rejectDispute", contract_number)
        ledger = info.context.services.ledger
        try:
            at = await command(
                info, casework.reject_dispute, ledger, ref.account_id, charge_key, reason[:2000]
            )
        except DomainError as error:
            return problem(error)
        return Done(position=Position(at))

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
        try:
            at = await command(
                info,
                casework.request_refund,
                services.ledger,
                ref.account_id,
                destination.value,
                destination_ref,
            )
        except DomainError as error:
            return problem(error)
        return Done(position=Position(at))
