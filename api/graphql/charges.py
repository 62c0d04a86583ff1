"""What a parent was charged and why (issue 12 point 6): `charges` over any period with
filters, a connection of `Charge` nodes (global id `contract/key`, refetched under
`Query.charges`'s account rule), each with its evidence, and `tariffHistory`, the tariffs and
monthly fees over time. Both read the projections `charges` and `tariff_history`, never the
aggregate."""

from datetime import date, datetime
from enum import Enum
from functools import partial
from typing import Annotated, Any

import strawberry
from strawberry import relay
from strawberry.types import Info

from api.graphql import permissions as perm
from api.graphql.arguments import After, ContractNumber, First, Since, Until
from api.graphql.connections import PAGING, account_node, bad_input, decode_moment
from api.graphql.context import Context
from api.graphql.enums import PayingWallet, Tariff, TerminalKind, convert, enum_or_none
from api.graphql.queries import account_period, list_page
from api.graphql.scalars import Kopecks
from api.graphql.types import LineItem, from_row, kopecks_or_none
from projections.charges import charge_of, charges_page
from projections.tariff_history import history_of

DEFAULT_DAYS = 30  # the period when neither `since` nor `on` is given
CHARGE_KEY = "[0-9a-f-]{36}/.+"  # a terminal's id and the tap's id (`domain.dispute.charge_key`)


@strawberry.enum(description="Where a dispute of a charge stands.")
class ChargeDisputeStatus(Enum):
    NONE = strawberry.enum_value("none", description="Never disputed.")
    OPEN = strawberry.enum_value("open", description="Disputed, waiting for the school.")
    REVERSED = strawberry.enum_value("reversed", description="The money went back.")
    REJECTED = strawberry.enum_value("rejected", description="The charge stands.")


@strawberry.type(description="A turnstile pass of the charge's school day, before the charge.")
class PassBefore:
    direction: str = strawberry.field(description="`in` or `out`.")
    local_time: str = strawberry.field(description="School-local time, YYYY-MM-DD HH:MM:SS.")


@strawberry.type(description="What the history said about a charge when it was recorded.")
class ChargeFacts:
    local_time: str = strawberry.field(description="School-local time of the charge.")
    inside: bool = strawberry.field(
        description="Whether the pupil was inside by the turnstile's passes recorded before it."
    )
    school_open: bool = strawberry.field(description="Whether the school's calendar was open.")
    passes: list[PassBefore] = strawberry.field(description="That day's passes before it.")
    photo_check: str | None = strawberry.field(
        description="The operator's photo check: `confirmed`, `mismatch`, or none."
    )
    offline: bool = strawberry.field(description="Decided by the reader while offline.")
    online_reason: str | None = strawberry.field(
        description="Offline: why the server would have declined it online."
    )


@strawberry.type(description="A charge: an approved purchase that took money, with its evidence.")
class Charge(relay.Node):
    contract_number: strawberry.Private[str]
    key: str = strawberry.field(description="What `disputeCharge` takes.")
    tapped_at: datetime = strawberry.field(description="When the card was tapped (UTC).")
    local_date: date = strawberry.field(description="The school-local day.")
    terminal_kind: TerminalKind = strawberry.field(description="The kind of terminal.")
    terminal_name: str | None = strawberry.field(description="The terminal's name then.")
    amount: Kopecks = strawberry.field(description="What the purchase cost.")
    from_regular: Kopecks = strawberry.field(description="Paid from the regular wallet.")
    from_subsidised: Kopecks = strawberry.field(description="Paid from the subsidy.")
    paying_wallet: PayingWallet | None = strawberry.field(
        description="The wallet the till operator chose, when the usual split was overridden."
    )
    offline: bool = strawberry.field(description="Decided by the reader while offline.")
    items: list[LineItem] = strawberry.field(description="What was bought.")
    photo_check: str | None = strawberry.field(description="The operator's photo check.")
    inside: bool = strawberry.field(description="Inside the school at that moment.")
    flags: list[str] = strawberry.field(
        description="What the history argues against the charge (`pupil_not_inside`, "
        "`school_closed`, `photo_mismatch`, `after_block`, `offline_debt`)."
    )
    evidence: ChargeFacts = strawberry.field(description="The whole evidence.")
    dispute_status: ChargeDisputeStatus = strawberry.field(description="Where a dispute stands.")

    resolve_id, resolve_nodes = account_node(charge_of, "Query.charges", "key", CHARGE_KEY)

    @classmethod
    def of(cls, row: dict[str, Any], contract_number: str) -> "Charge":
        evidence = row["evidence"]
        return from_row(
            cls,
            row,
            contract_number=contract_number,
            key=row["charge_key"],
            terminal_kind=TerminalKind(row["terminal_kind"]),
            paying_wallet=enum_or_none(PayingWallet, row["paying_wallet"]),
            items=[LineItem.of(i) for i in row["items"]],
            flags=list(row["flags"]),
            evidence=ChargeFacts(
                local_time=evidence["local_time"],
                inside=evidence["inside"],
                school_open=evidence["school_open"],
                passes=[PassBefore(**p) for p in evidence["passes"]],
                photo_check=evidence.get("photo_check"),
                offline=evidence.get("offline", False),
                online_reason=evidence.get("online_reason"),
            ),
            dispute_status=ChargeDisputeStatus(row["dispute_status"] or "none"),
        )


@strawberry.enum(description="What changed in the tariff history.")
class TariffHistoryKind(Enum):
    OPENED = strawberry.enum_value("opened", description="The contract opened (zero tariff).")
    TARIFF_CHANGED = strawberry.enum_value("tariff_changed", description="A new tariff.")
    FEE_CHARGED = strawberry.enum_value("fee_charged", description="A month's fee was taken.")
    FEE_DEBT_RECORDED = strawberry.enum_value(
        "fee_debt_recorded", description="What the wallet could not cover became a debt."
    )
    FEE_DEBT_COLLECTED = strawberry.enum_value(
        "fee_debt_collected", description="Part of the fee debt was taken from a top-up."
    )
    OTHER = strawberry.enum_value("other", description="A kind newer than this schema.")


@strawberry.type(description="One part of a month's fee: a tariff for some days of it.")
class FeePart:
    tariff: Tariff | None = strawberry.field(description="The tariff of those days.")
    days: int | None = strawberry.field(description="How many days of the month.")
    monthly: Kopecks | None = strawberry.field(description="That tariff's full monthly fee.")


@strawberry.type(description="A tariff change or a monthly fee, in ledger order.")
class TariffHistoryEntry:
    at: datetime = strawberry.field(description="When it was recorded (UTC).")
    kind: TariffHistoryKind = strawberry.field(description="What happened.")
    tariff: Tariff | None = strawberry.field(description="The tariff from then on.")
    previous_tariff: Tariff | None = strawberry.field(description="The tariff before.")
    period: str | None = strawberry.field(description="The month of a fee (YYYY-MM).")
    fee: Kopecks | None = strawberry.field(description="The month's fee due.")
    amount: Kopecks | None = strawberry.field(description="What moved: taken, or owed.")
    breakdown: list[FeePart] = strawberry.field(description="How a fee was computed.")

    @classmethod
    def of(cls, row: dict[str, Any]) -> "TariffHistoryEntry":
        return cls(
            at=row["occurred_at"],
            kind=convert(TariffHistoryKind, row["kind"], TariffHistoryKind.OTHER),
            tariff=enum_or_none(Tariff, row["tariff"]),
            previous_tariff=enum_or_none(Tariff, row["previous"]),
            period=row["period"],
            fee=kopecks_or_none(row["fee"]),
            amount=kopecks_or_none(row["amount"]),
            breakdown=[
                FeePart(tariff=enum_or_none(Tariff, p.get("tariff")), days=p.get("days"),
                        monthly=kopecks_or_none(p.get("monthly")))
                for p in row["breakdown"]
            ],
        )  # fmt: skip


@strawberry.type
class ChargesQuery:
    @strawberry.field(
        description="Charges of a contract over school-local days, newest first, each with "
        f"its evidence and the key to dispute it; by default the last {DEFAULT_DAYS} days; {PAGING}"
    )
    async def charges(
        self,
        info: Info[Context, None],
        contract_number: ContractNumber,
        on: Annotated[
            date | None,
            strawberry.argument(description="One school-local day (instead of since/until)."),
        ] = None,
        since: Since = None,
        until: Until = None,
        terminal_kinds: Annotated[
            list[TerminalKind] | None,
            strawberry.argument(description="Only charges at these kinds of terminal."),
        ] = None,
        flagged_only: Annotated[
            bool, strawberry.argument(description="Only charges the history argues against.")
        ] = False,
        dispute_statuses: Annotated[
            list[ChargeDisputeStatus] | None,
            strawberry.argument(
                description="Only charges whose dispute stands so (NONE: undisputed)."
            ),
        ] = None,
        min_amount: Annotated[
            Kopecks | None, strawberry.argument(description="Only charges of at least this much.")
        ] = None,
        max_amount: Annotated[
            Kopecks | None, strawberry.argument(description="Only charges of at most this much.")
        ] = None,
        first: First = 50,
        after: After = None,
    ) -> relay.Connection[Charge]:
        ref = await perm.account(info, "Query.charges", contract_number)
        if on is not None:
            if since is not None or until is not None:
                raise bad_input("give either on, or since and until")
            since = until = on
        since, until = await account_period(info, ref, since, until, DEFAULT_DAYS)
        low = None if min_amount is None else int(min_amount)
        high = None if max_amount is None else int(max_amount)
        if (low is not None and low < 0) or (high is not None and high < 0):
            raise bad_input("amounts are not negative")
        if low is not None and high is not None and low > high:
            raise bad_input("minAmount is above maxAmount")
        kinds = [k.value for k in terminal_kinds] if terminal_kinds else None
        statuses = [str(s.value) for s in dispute_statuses] if dispute_statuses else None
        filtered = partial(
            charges_page,
            terminal_kinds=kinds,
            flagged_only=flagged_only,
            dispute_statuses=statuses,
            min_amount=low,
            max_amount=high,
        )
        return await list_page(
            info, [], None, first,
            filtered, ref.account_id, since, until, decode_moment(after),
            key=lambda r: (r["tapped_at"].isoformat(), str(r["position"])),
            node=lambda r: Charge.of(r, ref.contract_number),
        )  # fmt: skip

    @strawberry.field(
        description="The contract's tariffs and monthly fees over time, oldest first: each "
        "tariff change, each fee taken with its breakdown, fee debts and their collection."
    )
    async def tariff_history(
        self, info: Info[Context, None], contract_number: ContractNumber
    ) -> list[TariffHistoryEntry]:
        ref = await perm.account(info, "Query.tariffHistory", contract_number)
        found = await info.context.services.read(history_of, ref.account_id)
        return [TariffHistoryEntry.of(r) for r in found]
