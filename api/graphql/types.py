"""Object types, built from read-model rows. Money is `Kopecks`, times carry their offset."""

from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID
from zoneinfo import ZoneInfo

import strawberry

from api.graphql.enums import (
    Access,
    AccountEventKind,
    CardState,
    Channel,
    MovementKind,
    ProblemCode,
    Role,
    Tariff,
    TerminalKind,
    convert,
)
from api.graphql.scalars import Kopecks, Position
from identity.service import Issued, Principal


@strawberry.type
class ContractAccess:
    contract_number: str
    access: Access


@strawberry.type
class Viewer:
    id: UUID
    role: Role
    contracts: list[ContractAccess]
    school_ids: list[UUID]
    all_schools: bool

    @classmethod
    def of(cls, p: Principal) -> "Viewer":
        contracts = [
            ContractAccess(contract_number=g.contract_number, access=Access(g.access))
            for g in p.grants.values()
        ]
        return cls(
            id=p.principal_id,
            role=Role(p.role),
            contracts=contracts,
            school_ids=sorted(p.school_ids),
            all_schools=p.all_schools,
        )


@strawberry.type
class Card:
    uid: str
    state: CardState


@strawberry.type
class Account:
    contract_number: str
    school_id: UUID
    regular: Kopecks
    subsidised: Kopecks
    spent_today: Kopecks
    daily_limit: Kopecks
    tariff: Tariff
    cards: list[Card]
    position: Position

    @classmethod
    def of(cls, row: dict[str, Any]) -> "Account":
        return cls(
            contract_number=row["contract_number"],
            school_id=row["school_id"],
            regular=Kopecks(row["regular"]),
            subsidised=Kopecks(row["subsidised"]),
            spent_today=Kopecks(row["spent_today"]),
            daily_limit=Kopecks(row["daily_limit"]),
            tariff=Tariff(row["tariff"]),
            cards=[Card(uid=u, state=CardState(s)) for u, s in sorted(row["cards"].items())],
            position=Position(row["position"]),
        )


@strawberry.type
class LineItem:
    code: str
    name: str
    price: Kopecks | None
    quantity: int


@strawberry.type
class StatementLine:
    position: Position
    at: datetime
    local_at: datetime
    local_date: date
    kind: MovementKind
    terminal_kind: TerminalKind | None
    items: list[LineItem]
    amount: Kopecks
    regular_change: Kopecks
    subsidised_change: Kopecks
    commission: Kopecks
    declined: bool
    refused_amount: Kopecks
    regular_after: Kopecks
    subsidised_after: Kopecks
    reason: str

    @classmethod
    def of(cls, row: dict[str, Any], zone: ZoneInfo) -> "StatementLine":
        items = [
            LineItem(
                code=str(i.get("code", "")),
                name=str(i.get("name", i.get("code", ""))),
                price=Kopecks(i["price"]) if isinstance(i.get("price"), int) else None,
                quantity=int(i.get("quantity", 1)),
            )
            for i in row["items"] or []
        ]
        kind = row["terminal_kind"]
        return cls(
            position=Position(row["position"]),
            at=row["occurred_at"],
            local_at=row["occurred_at"].astimezone(zone),
            local_date=row["local_date"],
            kind=convert(MovementKind, row["kind"], MovementKind.OTHER),
            terminal_kind=TerminalKind(kind) if kind else None,
            items=items,
            amount=Kopecks(row["amount"]),
            regular_change=Kopecks(row["regular_change"]),
            subsidised_change=Kopecks(row["subsidised_change"]),
            commission=Kopecks(row["commission"]),
            declined=row["declined"],
            refused_amount=Kopecks(row["refused_amount"]),
            regular_after=Kopecks(row["regular_after"]),
            subsidised_after=Kopecks(row["subsidised_after"]),
            reason=row["reason"],
        )


@strawberry.type
class StatementPage:
    lines: list[StatementLine]
    next_cursor: str | None
    has_more: bool


@strawberry.type
class AttendanceDay:
    date: date
    passes_in: int
    passes_out: int
    denied: int
    inside: bool
    last_pass_at: datetime | None


@strawberry.type
class Nutrition:
    kcal: float | None
    proteins: float | None
    fats: float | None
    carbohydrates: float | None


@strawberry.type
class MenuItem:
    code: str
    name: str
    price: Kopecks
    allergens: list[str]
    nutrition: Nutrition

    @classmethod
    def of(cls, item: dict[str, Any]) -> "MenuItem":
        n = item.get("nutrition") or {}
        return cls(
            code=item["code"],
            name=item["name"],
            price=Kopecks(item["price"]),
            allergens=list(item.get("allergens", [])),
            nutrition=Nutrition(
                kcal=n.get("kcal"),
                proteins=n.get("proteins"),
                fats=n.get("fats"),
                carbohydrates=n.get("carbohydrates"),
            ),
        )


@strawberry.type
class Menu:
    school_id: UUID
    date: date
    items: list[MenuItem]


@strawberry.type
class TerminalKindReport:
    terminal_kind: TerminalKind
    turnover: Kopecks
    purchases: int
    declines: int
    meals_served: int
    passes: int
    pupils: int


@strawberry.type
class ChannelReport:
    channel: Channel
    topups: int
    amount: Kopecks
    commission: Kopecks


@strawberry.type
class SchoolDay:
    date: date
    terminals: list[TerminalKindReport]
    topups: list[ChannelReport]


@strawberry.type
class SchoolReport:
    school_id: UUID
    days: list[SchoolDay]


@strawberry.type
class TariffInfo:
    tariff: Tariff
    monthly_fee: Kopecks
    description: str


# Results of commands


@strawberry.type
class Done:
    """The command was recorded at `position`: pass it as `atLeast` to read your write."""

    position: Position


@strawberry.type
class Problem:
    code: ProblemCode
    message: str


@strawberry.type
class Accepted:
    """Taken into account; deliberately says nothing more (no contract enumeration)."""

    ok: bool


@strawberry.type
class Session:
    access_token: str
    refresh_token: str
    expires_at: datetime
    viewer: Viewer

    @classmethod
    def of(cls, issued: Issued) -> "Session":
        return cls(
            access_token=issued.access_token,
            refresh_token=issued.refresh_token,
            expires_at=issued.expires_at,
            viewer=Viewer.of(issued.principal),
        )


@strawberry.type
class TerminalRegistered:
    terminal_id: UUID
    secret: str  # shown once, like `infoshkola terminal register`
    position: Position


CommandResult = Annotated[Done | Problem, strawberry.union("CommandResult")]
LoginResult = Annotated[Session | Problem, strawberry.union("LoginResult")]
RequestResult = Annotated[Accepted | Problem, strawberry.union("RequestResult")]
RegisterTerminalResult = Annotated[
    TerminalRegistered | Problem, strawberry.union("RegisterTerminalResult")
]


@strawberry.type
class AccountEvent:
    position: Position
    kind: AccountEventKind
    at: datetime
    amount: Kopecks
    regular_after: Kopecks | None
    terminal_kind: TerminalKind | None
    reason: str
