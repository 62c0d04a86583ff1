"""Personal data under 152-FZ in GraphQL (issue 16; docs/PRIVACY.md).

- `myPersonalData`: a parent's (or representative's) own data and their children's, as JSON;
- `acceptConsent` / `withdrawConsent`: the viewer's own consent, for every contract they hold
  (a representative consents here before the first use; the parent at the kiosk);
- `requestErasure` (parent) → `approveErasure` / `refuseErasure` (school admin, support);
  `privacyRequests` shows where a request stands;
- `accessLog`: who read a contract's personal data or photos (auditors).
"""

from datetime import datetime
from typing import Annotated, Any, cast
from uuid import UUID

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from api.graphql import permissions as perm
from api.graphql.arguments import ContractNumber, Note, Reason
from api.graphql.context import Context
from api.graphql.mutations import problem
from api.graphql.payloads import command
from api.graphql.scalars import Position
from api.graphql.types import CommandResult, Done
from audit.erasure import refund_refs
from domain.consent import PARENT
from domain.errors import DomainError
from identity.service import Access, Principal, Role
from privacy.office import PrivacyOffice, representative


@strawberry.type(description="One reading of personal data or photos.")
class AccessLogEntry:
    at: datetime = strawberry.field(description="When it was read.")
    actor: str = strawberry.field(description="Who read it (`role:login id`).")
    operation: str = strawberry.field(description="What was read.")
    account_id: UUID | None = strawberry.field(description="The account whose data was read.")
    subject_ref: str | None = strawberry.field(description="The personal-data record read.")


@strawberry.type(description="A step of an erasure request.")
class PrivacyRequestStep:
    number: int = strawberry.field(description="Its order.")
    status: str = strawberry.field(description="Where the request stood after it.")
    at: datetime = strawberry.field(description="When.")
    actor: str = strawberry.field(description="Who took it.")
    reason: str | None = strawberry.field(default=None, description="Why, when refused.")


@strawberry.type(description="Where a contract's erasure request stands, and its consents.")
class PrivacyStatus:
    status: str | None = strawberry.field(
        description="`requested`, `approved`, `refused` or `completed`; absent before any request."
    )  # requested, approved, refused, completed; None before any request
    steps: list[PrivacyRequestStep] = strawberry.field(description="The request's steps.")
    consents: JSON = strawberry.field(description="The consents given and withdrawn.")


def holder_of(principal: Principal) -> str:
    return PARENT if principal.role == Role.PARENT else representative(principal.principal_id)


def office(info: Info[Context, None]) -> PrivacyOffice:
    return info.context.services.privacy


async def done(info: Info[Context, None], fn: Any, *args: Any) -> CommandResult:
    try:
        at = await command(info, fn, *args)
    except DomainError as error:
        return problem(error)
    return Done(position=Position(at if isinstance(at, int) else at.position))


@strawberry.type
class PrivacyQuery:
    @strawberry.field(
        description="Parents and representatives: everything personal the system holds about "
        "them and (parents) their children, as JSON: a subject access answer (152-FZ art. 14)."
    )
    async def my_personal_data(self, info: Info[Context, None]) -> JSON:
        principal = await perm.viewer_for(info, "Query.myPersonalData")
        grants = principal.grants.values()
        managed = [g.account_id for g in grants if g.access == Access.MANAGE]
        shared = [g.account_id for g in grants if g.access != Access.MANAGE]
        actor = f"{principal.role}:{principal.principal_id}"
        found: dict[str, Any] = await info.context.services.run(
            office(info).export, actor, principal.principal_id, managed, shared
        )
        return cast(JSON, found)

    @strawberry.field(description="Auditors: who read a contract's personal data or photos.")
    async def access_log(
        self, info: Info[Context, None], contract_number: ContractNumber
    ) -> list[AccessLogEntry]:
        ref = await perm.account(info, "Query.accessLog", contract_number)
        services = info.context.services

        def read() -> list[AccessLogEntry]:
            refs = refund_refs(services.ledger, ref.account_id)
            return [
                AccessLogEntry(at=e.at, actor=e.actor, operation=e.operation,
                               account_id=e.account_id, subject_ref=e.subject_ref)
                for e in office(info).log.entries(ref.account_id, refs)
            ]  # fmt: skip

        return await services.run(read)

    @strawberry.field(description="Where the contract's erasure request stands, and consents.")
    async def privacy_requests(
        self, info: Info[Context, None], contract_number: ContractNumber
    ) -> PrivacyStatus:
        ref = await perm.account(info, "Query.privacyRequests", contract_number)
        privacy = office(info)

        def read() -> PrivacyStatus:
            found = privacy.requests(ref.account_id)
            steps = [
                PrivacyRequestStep(number=s["number"], status=s["status"],
                                   at=datetime.fromisoformat(s["at"]), actor=s["actor"],
                                   reason=s.get("reason"))
                for s in (found.history if found else [])
            ]  # fmt: skip
            consents = privacy.consent_events(ref.account_id)
            return PrivacyStatus(status=found.status if found else None, steps=steps,
                                 consents=cast(JSON, consents))  # fmt: skip

        return await info.context.services.run(read)


@strawberry.type
class PrivacyMutation:
    @strawberry.mutation(
        description="Parents and representatives: accept the consent text of `version` for "
        "every contract of this login (recorded with its time)."
    )
    async def accept_consent(
        self,
        info: Info[Context, None],
        version: Annotated[
            str, strawberry.argument(description="The version of the consent text accepted.")
        ],
    ) -> CommandResult:
        principal = await perm.viewer_for(info, "Mutation.acceptConsent")
        privacy, holder = office(info), holder_of(principal)

        def give() -> int:
            return max([privacy.give_consent(a, holder, version) for a in principal.grants] or [0])

        return await done(info, give)

    @strawberry.mutation(
        description="Parents and representatives: withdraw consent for every contract of this "
        "login. A parent's contacts, photos and representatives are erased at once; what "
        "accounting needs is kept as docs/PRIVACY.md says. A representative loses access."
    )
    async def withdraw_consent(self, info: Info[Context, None], reason: Reason) -> CommandResult:
        principal = await perm.viewer_for(info, "Mutation.withdrawConsent")
        privacy, holder = office(info), holder_of(principal)
        if principal.role == Role.PARENT:
            accounts = [g.account_id for g in principal.grants.values()
                        if g.access == Access.MANAGE]  # fmt: skip
        else:
            accounts = list(principal.grants)

        def withdraw() -> int:
            return max([privacy.withdraw_consent(a, holder, reason).position for a in accounts]
                       or [0])  # fmt: skip

        return await done(info, withdraw)

    @strawberry.mutation(description="Parents: ask for your and your child's data to be erased.")
    async def request_erasure(
        self, info: Info[Context, None], contract_number: ContractNumber, note: Note = ""
    ) -> CommandResult:
        ref = await perm.account(info, "Mutation.requestErasure", contract_number)
        return await done(info, office(info).request_erasure, ref.account_id, note)

    @strawberry.mutation(
        description="School admins and support: carry out an erasure request; the parent is "
        "told by SMS when it is done."
    )
    async def approve_erasure(
        self, info: Info[Context, None], contract_number: ContractNumber
    ) -> CommandResult:
        ref = await perm.account(info, "Mutation.approveErasure", contract_number)
        return await done(info, office(info).approve_erasure, ref.account_id)

    @strawberry.mutation(description="School admins and support: refuse a request, with why.")
    async def refuse_erasure(
        self, info: Info[Context, None], contract_number: ContractNumber, reason: Reason
    ) -> CommandResult:
        ref = await perm.account(info, "Mutation.refuseErasure", contract_number)
        return await done(info, office(info).refuse_erasure, ref.account_id, reason)
