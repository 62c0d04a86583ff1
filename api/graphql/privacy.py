"""Personal data under 152-FZ in GraphQL (issue 16; docs/PRIVACY.md).

- `myPersonalData`: a parent's (or representative's) own data and their children's, as JSON;
- `acceptConsent` / `withdrawConsent`: the viewer's own consent, for every contract they hold
  (a representative consents here before the first use; the parent at the kiosk); both answer
  a `ConsentPayload` with the login's consent on each contract;
- `requestErasure` (parent) → `approveErasure` / `refuseErasure` (school admin, support), each
  answering an `ErasurePayload` with where the request stands; `privacyRequests` shows it too;
- `accessLog`: who read a contract's personal data or photos (auditors), a Relay connection
  of `AccessLogEntry` nodes, newest first.

Refusals are `userErrors` with the domain's codes (`consent`, `privacy_state`, `invalid_text`)
on the input field at fault.
"""

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, ClassVar, Protocol, cast
from uuid import UUID

import strawberry
from strawberry import relay
from strawberry.scalars import JSON
from strawberry.types import Info

from api.graphql import permissions as perm
from api.graphql.account_mutations import AccountInput
from api.graphql.arguments import After, ContractNumber, First
from api.graphql.connections import (
    PAGING,
    account_nodes,
    connection,
    decode_moment,
    page_size,
)
from api.graphql.context import Context
from api.graphql.payloads import (
    Note,
    Outcome,
    Reason,
    account_mutation,
    attempt,
    input_mutation,
    position_of,
)
from api.graphql.types import from_row
from audit.erasure import refund_refs
from domain.consent import PARENT
from identity.service import Access, Principal, Role
from privacy.office import PrivacyOffice, representative


@strawberry.type(
    description="One reading of personal data or photos. A photo check names the pupil's"
    " record, not the account; the entry is refetched as a node under the access log's rule"
    " (auditors of the contract's school), by the contract whose log listed it."
)
class AccessLogEntry(relay.Node):
    contract_number: strawberry.Private[str]
    entry_id: strawberry.Private[int]
    at: datetime = strawberry.field(description="When it was read.")
    actor: str = strawberry.field(description="Who read it (`role:login id`).")
    operation: str = strawberry.field(description="What was read.")
    account_id: UUID | None = strawberry.field(description="The account whose data was read.")
    subject_ref: str | None = strawberry.field(description="The personal-data record read.")

    @classmethod
    def of(cls, row: dict[str, Any], contract_number: str) -> "AccessLogEntry":
        return from_row(cls, row, contract_number=contract_number)

    @classmethod
    def resolve_id(cls, root: "AccessLogEntry", *, info: Info[Context, None]) -> str:
        return f"{root.contract_number}/{root.entry_id}"

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info[Context, None], node_ids: Iterable[str], required: bool = False
    ) -> list["AccessLogEntry | None"]:
        """Entries by `contract/entry`, each through `Query.accessLog`'s account rule, and only
        while the entry is one of that contract's reads (its account's or its records')."""
        services = info.context.services

        async def fetch(ref: perm.AccountRef, entry: str) -> AccessLogEntry | None:
            if not entry.isdigit() or len(entry) > 18:
                return None

            def read() -> dict[str, Any] | None:
                refs = refund_refs(services.ledger, ref.account_id)
                return office(info).log.entry(int(entry), ref.account_id, refs)

            row = await services.run(read)
            return cls.of(row, ref.contract_number) if row else None

        return await account_nodes(info, node_ids, "Query.accessLog", fetch)


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


@strawberry.type(description="This login's consent on one of its contracts.")
class ContractConsent:
    contract_number: str = strawberry.field(description="The contract number.")
    version: str | None = strawberry.field(
        description="The version of the consent text this login has in force; null when"
        " withdrawn or never recorded."
    )


Fields = Mapping[str, list[str]]  # per refusal code, the path of the input field at fault
UNRECORDED = "its `position` is null too when nothing new was recorded"


@strawberry.type(
    description=f"What a consent command did: this login's consents, or why not ({UNRECORDED})."
)
class ConsentPayload(Outcome):
    consents: list[ContractConsent] = strawberry.field(
        description="This login's consent on each contract the command was for; empty when refused."
    )


@strawberry.type(
    description=f"What an erasure command did: where the request stands, or why not ({UNRECORDED})."
)
class ErasurePayload(Outcome):
    account_id: strawberry.Private[UUID]

    @strawberry.field(
        description="Where the contract's erasure request stands after the command, and its"
        " consents (read from the record itself: no wait); null when refused."
    )
    async def privacy_status(self, info: Info[Context, None]) -> PrivacyStatus | None:
        if self.position is None:
            return None
        return await info.context.services.run(status_of, office(info), self.account_id)


@strawberry.input(description="The version of the consent text accepted.")
class AcceptConsentInput:
    does: ClassVar[str] = (
        "Parents and representatives: accept the consent text of `version` for every contract"
        " of this login (recorded with its time)."
    )
    refusals: ClassVar[Fields] = {
        "consent": ["input", "version"],
        "invalid_text": ["input", "version"],
    }
    version: str = strawberry.field(description="The version of the consent text accepted.")

    def accounts(self, principal: Principal) -> list[UUID]:
        return list(principal.grants)

    def record(self, privacy: PrivacyOffice, account: UUID, holder: str) -> int:
        return privacy.give_consent(account, holder, self.version)


@strawberry.input(description="Why consent is withdrawn.")
class WithdrawConsentInput:
    does: ClassVar[str] = (
        "Parents and representatives: withdraw consent for every contract of this login. A"
        " parent's contacts, photos and representatives are erased at once; what accounting"
        " needs is kept as docs/PRIVACY.md says. A representative loses access."
    )
    refusals: ClassVar[Fields] = {"invalid_text": ["input", "reason"]}
    reason: str = strawberry.field(
        description="Why, in a few words (recorded with the withdrawal)."
    )

    def accounts(self, principal: Principal) -> list[UUID]:
        """A parent withdraws for the contracts they hold; a representative for those shared."""
        if principal.role == Role.PARENT:
            return [g.account_id for g in principal.grants.values() if g.access == Access.MANAGE]
        return list(principal.grants)

    def record(self, privacy: PrivacyOffice, account: UUID, holder: str) -> int:
        return privacy.withdraw_consent(account, holder, self.reason).position


@strawberry.input(description="A parent's request to erase their and their child's data.")
class RequestErasureInput(AccountInput, Note):
    does: ClassVar[str] = "Parents: ask for your and your child's data to be erased."
    refusals: ClassVar[Fields] = {"invalid_text": ["input", "note"]}

    def record(self, privacy: PrivacyOffice, account: UUID) -> int:
        return privacy.request_erasure(account, self.note)


@strawberry.input(description="An erasure request to carry out.")
class ApproveErasureInput(AccountInput):
    does: ClassVar[str] = (
        "School admins and support: carry out an erasure request; the parent is told by SMS"
        " when it is done."
    )
    refusals: ClassVar[Fields] = {}

    def record(self, privacy: PrivacyOffice, account: UUID) -> int:
        return privacy.approve_erasure(account).position


@strawberry.input(description="An erasure request to refuse, with why.")
class RefuseErasureInput(AccountInput, Reason):
    does: ClassVar[str] = "School admins and support: refuse a request, with why."
    refusals: ClassVar[Fields] = {"invalid_text": ["input", "reason"]}

    def record(self, privacy: PrivacyOffice, account: UUID) -> int:
        return privacy.refuse_erasure(account, self.reason)


def holder_of(principal: Principal) -> str:
    return PARENT if principal.role == Role.PARENT else representative(principal.principal_id)


def office(info: Info[Context, None]) -> PrivacyOffice:
    return info.context.services.privacy


def status_of(privacy: PrivacyOffice, account_id: UUID) -> PrivacyStatus:
    found = privacy.requests(account_id)
    steps = [
        PrivacyRequestStep(number=s["number"], status=s["status"],
                           at=datetime.fromisoformat(s["at"]), actor=s["actor"],
                           reason=s.get("reason"))
        for s in (found.history if found else [])
    ]  # fmt: skip
    consents = privacy.consent_events(account_id)
    return PrivacyStatus(status=found.status if found else None, steps=steps,
                         consents=cast(JSON, consents))  # fmt: skip


class ConsentCommand(Protocol):
    """An input that records the viewer's consent (or its withdrawal) on some of the viewer's
    contracts: `does`, what its mutation does (the mutation's description), `refusals`, the
    input field at fault per refusal code, `accounts`, which contracts, and `record`, the
    command on one of them."""

    does: ClassVar[str]
    refusals: ClassVar[Fields]

    def accounts(self, principal: Principal) -> list[UUID]: ...

    def record(self, privacy: PrivacyOffice, account: UUID, holder: str) -> int: ...


def consent_command(name: str, input_type: type[ConsentCommand]) -> Any:
    """The mutation `name(input: input_type): ConsentPayload` recording the input's command
    for each of the viewer's accounts it names, then reading their consents."""

    async def handle(
        info: Info[Context, None], coordinate: str, given: ConsentCommand
    ) -> ConsentPayload:
        principal = await perm.viewer_for(info, coordinate)
        privacy, holder = office(info), holder_of(principal)
        chosen = given.accounts(principal)

        def record() -> int:
            return max([given.record(privacy, a, holder) for a in chosen] or [0])

        at, errors = await attempt(info, record, refusals=given.refusals)
        if errors:
            return ConsentPayload.refusing(errors, consents=[])

        def read() -> list[ContractConsent]:
            found = [(principal.grants[a].contract_number, privacy.consent(a)) for a in chosen]
            return [ContractConsent(contract_number=c, version=r.given.get(holder) if r else None)
                    for c, r in sorted(found)]  # fmt: skip

        consents = await info.context.services.run(read)
        return ConsentPayload.done(at, consents=consents)

    return input_mutation(name, input_type, ConsentPayload, input_type.does, handle)


class ErasureCommand(Protocol):
    """An input that is a command on the erasure request of the contract it names: `does`,
    what its mutation does (the mutation's description), `refusals`, the input field at
    fault per refusal code, and `record`, the command."""

    does: ClassVar[str]
    refusals: ClassVar[Fields]

    def record(self, privacy: PrivacyOffice, account: UUID) -> int: ...


def erasure_command(name: str, input_type: type[ErasureCommand]) -> Any:
    """The mutation `name(input: input_type): ErasurePayload` recording the input's command on
    the contract it names, once the viewer is authorized at the field's rule."""

    async def handle(
        info: Info[Context, None], ref: perm.AccountRef, given: ErasureCommand
    ) -> ErasurePayload:
        at, errors = await attempt(
            info, given.record, office(info), ref.account_id, refusals=given.refusals
        )
        return ErasurePayload(
            account_id=ref.account_id, user_errors=errors, position=position_of(at)
        )

    return account_mutation(name, input_type, ErasurePayload, input_type.does, handle)


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

    @strawberry.field(
        description="Auditors: who read a contract's personal data or photos, newest first,"
        f" {PAGING}"
    )
    async def access_log(
        self,
        info: Info[Context, None],
        contract_number: ContractNumber,
        first: First = 50,
        after: After = None,
    ) -> relay.Connection[AccessLogEntry]:
        ref = await perm.account(info, "Query.accessLog", contract_number)
        first, past = page_size(first), decode_moment(after)
        services = info.context.services

        def read() -> list[dict[str, Any]]:
            refs = refund_refs(services.ledger, ref.account_id)
            return office(info).log.page(ref.account_id, refs, past, first)

        return connection(
            await services.run(read),
            first,
            key=lambda r: (r["at"].isoformat(), str(r["entry_id"])),
            node=lambda r: AccessLogEntry.of(r, ref.contract_number),
        )

    @strawberry.field(description="Where the contract's erasure request stands, and consents.")
    async def privacy_requests(
        self, info: Info[Context, None], contract_number: ContractNumber
    ) -> PrivacyStatus:
        ref = await perm.account(info, "Query.privacyRequests", contract_number)
        return await info.context.services.run(status_of, office(info), ref.account_id)


@strawberry.type
class PrivacyMutation:
    accept_consent = consent_command("acceptConsent", AcceptConsentInput)
    withdraw_consent = consent_command("withdrawConsent", WithdrawConsentInput)
    request_erasure = erasure_command("requestErasure", RequestErasureInput)
    approve_erasure = erasure_command("approveErasure", ApproveErasureInput)
    refuse_erasure = erasure_command("refuseErasure", RefuseErasureInput)
