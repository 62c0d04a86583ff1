"""Object types, built from read-model rows. Money is `Kopecks`, times carry their offset."""

import dataclasses
import datetime as dt
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any, TypeVar
from uuid import UUID
from zoneinfo import ZoneInfo

import strawberry
from strawberry import relay
from strawberry.types import Info

from api.graphql import permissions as perm
from api.graphql import readmodels
from api.graphql.connections import account_node, position_key
from api.graphql.context import Context
from api.graphql.enums import (
    Access,
    AccountEventKind,
    CardState,
    Channel,
    MovementKind,
    Role,
    Tariff,
    TerminalKind,
    convert,
    enum_or_none,
)
from api.graphql.scalars import Kopecks, Position
from identity.service import Issued, Principal
from projections.attendance import attendance_day
from projections.menus import get_menu

T = TypeVar("T")


def from_row(cls: type[T], row: Mapping[str, Any], **given: Any) -> T:
    """An object type from a read-model row whose columns bear its fields' names: every
    field not `given` takes its column's value as it stands (money columns are kopecks)."""
    fields = dataclasses.fields(cls)  # type: ignore[arg-type]
    names = [f.name for f in fields if f.init and f.name not in given]
    return cls(**{name: row[name] for name in names}, **given)


def kopecks_or_none(value: int | None) -> Kopecks | None:
    """Money of a column or a field that may be absent."""
    return None if value is None else Kopecks(int(value))


def day_key(text: str) -> dt.date | None:
    """The school-local date an attendance day's id names; None when malformed."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


@strawberry.type(description="A contract a login sees, and how.")
class ContractAccess:
    contract_number: str = strawberry.field(description="The contract number.")
    access: Access = strawberry.field(description="Read only, or read and change.")


@strawberry.type(description="Who is logged in.")
class Viewer:
    id: UUID = strawberry.field(description="The login's id.")
    role: Role = strawberry.field(description="The login's role.")
    contracts: list[ContractAccess] = strawberry.field(
        description="The contracts it sees (parents, representatives)."
    )
    school_ids: list[UUID] = strawberry.field(description="The schools it works in (staff).")
    all_schools: bool = strawberry.field(description="It spans every school (support, auditors).")

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


@strawberry.type(description="A pupil's card.")
class Card:
    uid: str = strawberry.field(description="The card's UID.")
    state: CardState = strawberry.field(description="Where the card stands.")


@strawberry.type(description="A school's own day: what today means for it, wherever one reads.")
class SchoolToday:
    date: dt.date = strawberry.field(description="The school's local date now.")
    time_zone: str = strawberry.field(
        description="The school's IANA time zone (e.g. Asia/Novosibirsk), in which its days turn."
    )


@strawberry.type(description="A pupil's account under a contract: balances, limit, tariff, cards.")
class Account(relay.Node):
    contract_number: str = strawberry.field(description="The contract number.")
    school_id: UUID = strawberry.field(description="The school's id.")
    regular: Kopecks = strawberry.field(description="The parent's wallet.")
    subsidised: Kopecks = strawberry.field(description="The subsidy wallet (meals only).")
    spent_today: Kopecks = strawberry.field(description="Spent in this school-local day.")
    today: dt.date = strawberry.field(
        description="The school's local date now: the day `spentToday` counts, and what"
        " today means for the school's menus, limits and reports wherever the reader is."
    )
    daily_limit: Kopecks = strawberry.field(
        description="The most the card may spend per school day."
    )
    tariff: Tariff = strawberry.field(description="The parent's tariff.")
    cards: list[Card] = strawberry.field(description="The account's cards.")
    position: Position = strawberry.field(
        description="The ledger position the read model had applied when read."
    )

    @classmethod
    def of(cls, row: dict[str, Any]) -> "Account":
        return from_row(
            cls,
            row,
            tariff=Tariff(row["tariff"]),
            cards=[Card(uid=u, state=CardState(s)) for u, s in sorted(row["cards"].items())],
        )

    @classmethod
    async def read(
        cls, info: Info[Context, None], ref: perm.AccountRef, fresh: bool = False
    ) -> "Account | None":
        """The account of `ref` as its read model has it now; none while not yet projected.
        Read once per request (`Context.account_row`); `fresh` reads again after a wait."""
        row = await info.context.account_row(ref.contract_number, fresh=fresh)
        return cls.of(row) if row else None

    @classmethod
    def resolve_id(cls, root: "Account", *, info: Info[Context, None]) -> str:
        return root.contract_number

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info[Context, None], node_ids: Iterable[str], required: bool = False
    ) -> list["Account | None"]:
        """Accounts by contract number, each through `Query.node`'s account rule."""
        return [
            await cls.read(info, await perm.account(info, "Query.node", contract))
            for contract in node_ids
        ]


@strawberry.type(description="An item of a purchase.")
class LineItem:
    code: str = strawberry.field(description="The item's code.")
    name: str = strawberry.field(description="The item's name.")
    price: Kopecks | None = strawberry.field(description="Its price, when the terminal sent it.")
    quantity: int = strawberry.field(description="How many.")

    @classmethod
    def of(cls, item: Mapping[str, Any]) -> "LineItem":
        """From an item as the terminal sent it (code, name, price and quantity optional)."""
        return cls(
            code=str(item.get("code", "")),
            name=str(item.get("name", item.get("code", ""))),
            price=Kopecks(item["price"]) if isinstance(item.get("price"), int) else None,
            quantity=int(item.get("quantity", 1)),
        )


@strawberry.type(description="One money movement of an account, as the statement lists it.")
class StatementLine(relay.Node):
    contract_number: strawberry.Private[str]
    position: Position = strawberry.field(description="Its ledger position.")
    at: datetime = strawberry.field(description="When (UTC).")
    local_at: datetime = strawberry.field(description="When, in the school's time zone.")
    local_date: date = strawberry.field(description="The school-local date.")
    kind: MovementKind = strawberry.field(description="What kind of movement.")
    terminal_kind: TerminalKind | None = strawberry.field(
        description="The terminal's kind, for taps."
    )
    items: list[LineItem] = strawberry.field(description="What was bought.")
    amount: Kopecks = strawberry.field(description="The money moved (negative when spent).")
    regular_change: Kopecks = strawberry.field(description="The change of the parent's wallet.")
    subsidised_change: Kopecks = strawberry.field(description="The change of the subsidy wallet.")
    commission: Kopecks = strawberry.field(description="The commission of a top-up.")
    declined: bool = strawberry.field(description="A refused purchase: nothing moved.")
    refused_amount: Kopecks = strawberry.field(
        description="What a refused purchase would have cost."
    )
    regular_after: Kopecks = strawberry.field(description="The parent's wallet after it.")
    subsidised_after: Kopecks = strawberry.field(description="The subsidy wallet after it.")
    reason: str = strawberry.field(description="What happened, in Russian, for people.")

    resolve_id, resolve_nodes = account_node(
        readmodels.statement_line, "Query.node", "position", parse=position_key
    )

    @classmethod
    def of(
        cls, row: dict[str, Any], contract_number: str, zone: ZoneInfo | None = None
    ) -> "StatementLine":
        """From a `statement` row; `zone` the school's (by default the row's `zone`, as
        `readmodels.statement_line` gives it)."""
        return from_row(
            cls,
            row,
            contract_number=contract_number,
            at=row["occurred_at"],
            local_at=row["occurred_at"].astimezone(zone or row["zone"]),
            kind=convert(MovementKind, row["kind"], MovementKind.OTHER),
            terminal_kind=enum_or_none(TerminalKind, row["terminal_kind"]),
            items=[LineItem.of(i) for i in row["items"] or []],
        )


@strawberry.type(description="Turnstile passes of one school-local day.")
class AttendanceDay(relay.Node):
    contract_number: strawberry.Private[str]
    date: dt.date = strawberry.field(description="The school-local date.")
    passes_in: int = strawberry.field(description="Passes in.")
    passes_out: int = strawberry.field(description="Passes out.")
    denied: int = strawberry.field(description="Passes the turnstile refused.")
    inside: bool = strawberry.field(description="Inside after the day's last pass.")
    last_pass_at: datetime | None = strawberry.field(description="The day's last pass.")

    resolve_id, resolve_nodes = account_node(
        attendance_day, "Query.attendance", "date", parse=day_key
    )

    @classmethod
    def of(cls, r: dict[str, Any], contract_number: str) -> "AttendanceDay":
        return from_row(cls, r, contract_number=contract_number, date=r["local_date"])


@strawberry.type(description="Nutrition facts of a menu item (absent when unknown).")
class Nutrition:
    """The facts a menu item has, each absent when unknown; a published menu's input gives
    the same (`NutritionInput`)."""

    kcal: float | None = strawberry.field(default=None, description="Energy, kcal.")
    proteins: float | None = strawberry.field(default=None, description="Proteins, g.")
    fats: float | None = strawberry.field(default=None, description="Fats, g.")
    carbohydrates: float | None = strawberry.field(default=None, description="Carbohydrates, g.")


@strawberry.type(description="A dish as a menu lists it.")
class Dish:
    """What a menu item is, read (`MenuItem`) or published (`MenuItemInput`), but for its
    nutrition facts, which a publisher may leave out."""

    code: str = strawberry.field(description="The item's code, as the till sends it.")
    name: str = strawberry.field(description="The item's name, as parents see it.")
    price: Kopecks = strawberry.field(description="Its price.")
    allergens: list[str] = strawberry.field(
        default_factory=list, description="Allergens it contains."
    )


@strawberry.type(description="An item of a menu.")
class MenuItem(Dish):
    nutrition: Nutrition = strawberry.field(description="Its nutrition facts.")

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


@strawberry.type(description="A school's menu for one day.")
class Menu:
    school_id: UUID = strawberry.field(description="The school.")
    date: dt.date = strawberry.field(description="The school-local date.")
    items: list[MenuItem] = strawberry.field(description="The items, in order.")

    @classmethod
    async def read(cls, info: Info[Context, None], school: UUID, day: dt.date) -> "Menu":
        """The menu of `school` on `day` as its read model has it now (no items: none)."""
        items = await info.context.services.read(get_menu, school, day)
        return cls(school_id=school, date=day, items=[MenuItem.of(i) for i in items])


@strawberry.type(description="A day's traffic of one kind of terminal.")
class TerminalKindReport:
    terminal_kind: TerminalKind = strawberry.field(description="The terminal kind.")
    turnover: Kopecks = strawberry.field(description="Money taken.")
    purchases: int = strawberry.field(description="Purchases.")
    declines: int = strawberry.field(description="Declined taps.")
    meals_served: int = strawberry.field(description="Meals served.")
    passes: int = strawberry.field(description="Turnstile passes.")
    pupils: int = strawberry.field(description="Distinct pupils.")


@strawberry.type(description="Top-ups of one channel in one day.")
class ChannelReport:
    channel: Channel = strawberry.field(description="The channel.")
    topups: int = strawberry.field(description="How many.")
    amount: Kopecks = strawberry.field(description="Their sum.")
    commission: Kopecks = strawberry.field(description="The commission on them.")


@strawberry.type(description="A school's terminals and top-ups on one school-local day.")
class SchoolDay:
    date: dt.date = strawberry.field(description="The school-local date.")
    terminals: list[TerminalKindReport] = strawberry.field(description="Per terminal kind.")
    topups: list[ChannelReport] = strawberry.field(description="Per top-up channel.")


@strawberry.type(description="A school's report, per day.")
class SchoolReport:
    school_id: UUID = strawberry.field(description="The school.")
    days: list[SchoolDay] = strawberry.field(description="Days with any traffic.")


@strawberry.type(description="A tariff and its monthly fee.")
class TariffInfo:
    tariff: Tariff = strawberry.field(description="The tariff.")
    monthly_fee: Kopecks = strawberry.field(description="Its monthly fee.")
    description: str = strawberry.field(description="What it gives, in Russian.")


@strawberry.type(description="A logged-in session's tokens.")
class Session:
    access_token: str = strawberry.field(description="The bearer token for requests.")
    refresh_token: str = strawberry.field(description="What `refreshToken` takes for a new one.")
    expires_at: datetime = strawberry.field(
        description="When the access token expires, on the server's clock: a client renews it"
        " by the token's lifetime counted on its own clock."
    )
    viewer: Viewer = strawberry.field(description="Who logged in.")

    @classmethod
    def of(cls, issued: Issued) -> "Session":
        return cls(
            access_token=issued.access_token,
            refresh_token=issued.refresh_token,
            expires_at=issued.expires_at,
            viewer=Viewer.of(issued.principal),
        )


@strawberry.type(description="Something that just happened on an account (the live feed).")
class AccountEvent:
    position: Position = strawberry.field(
        description="Its ledger position (resume from it with `after`)."
    )
    kind: AccountEventKind = strawberry.field(description="What happened.")
    at: datetime = strawberry.field(description="When (UTC).")
    amount: Kopecks = strawberry.field(description="The money moved (0 for passes).")
    regular_after: Kopecks | None = strawberry.field(
        description="The parent's wallet after it (money movements only)."
    )
    terminal_kind: TerminalKind | None = strawberry.field(
        description="The terminal's kind, for taps."
    )
    reason: str = strawberry.field(description="What happened, in Russian, for people.")
