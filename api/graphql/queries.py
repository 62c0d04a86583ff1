"""Queries: read models only, each through its authorization rule (see permissions.py)."""

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import date, timedelta
from typing import Annotated, Any, TypeVar
from uuid import UUID
from zoneinfo import ZoneInfo

import strawberry
from graphql import GraphQLError
from strawberry import relay
from strawberry.types import Info

from api.graphql import permissions as perm
from api.graphql import readmodels
from api.graphql.arguments import After, AtLeast, ContractNumber, First, SchoolId, Since, Until
from api.graphql.connections import (
    PAGING,
    bad_input,
    connection,
    decode_cursor,
    decode_key,
    page_size,
)
from api.graphql.context import Context
from api.graphql.enums import Channel, MovementKind, Tariff, TerminalKind
from api.graphql.scalars import Kopecks
from api.graphql.types import (
    Account,
    AttendanceDay,
    ChannelReport,
    Menu,
    SchoolDay,
    SchoolReport,
    SchoolToday,
    StatementLine,
    TariffInfo,
    TerminalKindReport,
    Viewer,
    from_row,
)
from domain.errors import DomainError
from domain.fees import MONTHLY_FEES
from projections.attendance import attendance_page
from projections.school_reports import get_school_report

N = TypeVar("N", bound=relay.Node)
MAX_DAYS = 92
TARIFFS_RU = {
    "zero": "Нулевой: без абонентской платы, уведомления только в приложении",
    "mobile": "Мобильный: push-уведомления о каждой покупке и проходе",
    "sms_plus": "SMS+: SMS о каждой покупке и проходе",
}


async def caught_up(info: Info[Context, None], names: Sequence[str], at_least: int | None) -> None:
    """Wait (bounded) until the read models reach `at_least`: read-your-writes."""
    if not at_least:
        return
    services = info.context.services
    deadline = time.monotonic() + services.settings.read_wait_seconds
    while True:
        reached = await services.read(readmodels.projection_positions)
        if all(reached.get(n, 0) >= at_least for n in names):
            return
        if time.monotonic() > deadline:
            raise GraphQLError(
                "the read model has not reached that position yet; retry",
                extensions={"code": "NOT_YET_CONSISTENT"},
            )
        await asyncio.sleep(0.05)


def account_query(
    name: str,
    result: type,
    description: str,
    read: Callable[[Info[Context, None], UUID], Awaitable[Any]],
) -> Any:
    """The field `name(contractNumber): result` on one contract, answered by
    `read(info, account_id)` once `Query.<name>`'s rule lets the viewer see the contract."""

    async def resolve(info: Info[Context, None], contract_number: ContractNumber) -> result:  # type: ignore[valid-type]
        ref = await perm.account(info, f"Query.{name}", contract_number)
        return await read(info, ref.account_id)  # type: ignore[no-any-return]

    return strawberry.field(resolver=resolve, name=name, description=description)


async def list_page(
    info: Info[Context, None],
    read_models: Sequence[str],
    at_least: int | None,
    first: int,
    fetch: Callable[..., Sequence[dict[str, Any]]],
    *args: Any,
    key: Callable[[dict[str, Any]], int | tuple[str, ...]],
    node: Callable[[dict[str, Any]], N],
) -> relay.Connection[N]:
    """The one shape of a list field once its rule let the viewer in: a page of at most
    `first` nodes, read with `fetch(conn, *args, first)` (its `first + 1` rows past the
    cursor's key) once the read models `read_models` have applied `at_least`."""
    first = page_size(first)
    await caught_up(info, read_models, at_least)
    rows = await info.context.services.read(fetch, *args, first)
    return connection(rows, first, key=key, node=node)


def date_range(
    since: date | None,
    until: date | None,
    default_days: int,
    today: date,
    max_days: int = MAX_DAYS,
) -> tuple[date, date]:
    """The days from `since` to `until` (until today, and `default_days` long, when absent),
    at most `max_days` of them."""
    until = until or today
    since = since or until - timedelta(days=default_days - 1)
    if since > until:
        raise bad_input("since is after until")
    if (until - since).days >= max_days:
        raise bad_input(f"at most {max_days} days at once")
    return since, until


async def school_period(
    info: Info[Context, None],
    coordinate: str,
    school: UUID,
    since: date | None,
    until: date | None,
    default_days: int,
    max_days: int = MAX_DAYS,
) -> tuple[date, date]:
    """The one shape of a field over a school's days: the viewer authorized for `school` at
    `coordinate`, then the `date_range` asked for, today being the school's local date."""
    await perm.school(info, coordinate, school)
    services = info.context.services
    today = await services.read(readmodels.school_today, school, services.now())
    return date_range(since, until, default_days, today, max_days)


async def account_period(
    info: Info[Context, None],
    ref: perm.AccountRef,
    since: date | None,
    until: date | None,
    default_days: int,
) -> tuple[date, date]:
    """The `date_range` asked for of an account's days, today being its school's local date."""
    services = info.context.services
    today = await services.read(readmodels.account_today, ref.account_id, services.now())
    return date_range(since, until, default_days, today)


def school_period_field(
    name: str,
    result: type,
    description: str,
    read_models: Sequence[str],
    days: tuple[int, int],
    read: Callable[[Info[Context, None], UUID, date, date], Awaitable[Any]],
) -> Any:
    """The field `name(school, since, until, atLeast): result` over a school's days (`days`:
    how many by default, and at most): `read(info, school, since, until)` once
    `Query.<name>`'s rule let the viewer in and the read models `read_models` have applied
    `atLeast`."""

    async def resolve(
        info: Info[Context, None],
        school: SchoolId,
        since: Since = None,
        until: Until = None,
        at_least: AtLeast = None,
    ) -> result:  # type: ignore[valid-type]
        first, last = await school_period(info, f"Query.{name}", school, since, until, *days)
        await caught_up(info, read_models, at_least)
        return await read(info, school, first, last)  # type: ignore[no-any-return]

    return strawberry.field(resolver=resolve, name=name, description=description)


def day_after(cursor: str | None) -> date | None:
    """The day an attendance page's `after` cursor stands for."""
    past = decode_key(cursor, 1)
    try:
        return date.fromisoformat(past[0]) if past else None
    except ValueError:
        raise bad_input("malformed cursor") from None


async def read_school_report(
    info: Info[Context, None], school: UUID, since: date, until: date
) -> SchoolReport:
    days = []
    day = since
    while day <= until:
        found = await info.context.services.read(get_school_report, school, day)
        if found["terminals"] or found["topups"]:
            days.append(school_day(day, found))
        day += timedelta(days=1)
    return SchoolReport(school_id=school, days=days)


def school_day(day: date, found: dict[str, list[dict[str, Any]]]) -> SchoolDay:
    return SchoolDay(
        date=day,
        terminals=[
            from_row(TerminalKindReport, t, terminal_kind=TerminalKind(t["terminal_kind"]))
            for t in found["terminals"]
        ],
        topups=[from_row(ChannelReport, c, channel=Channel(c["channel"])) for c in found["topups"]],
    )


@strawberry.type
class Query:
    @strawberry.field(
        description="Any object with a global `id` (an account, a statement line, an"
        " attendance day, a charge, a pre-order, a roster entry, a terminal, a flagged charge,"
        " a dispute, a refund, an audit-trail entry, an access-log entry),"
        " as client caches refetch it; the viewer must see it under its list's rule."
    )
    async def node(
        self,
        info: Info[Context, None],
        id: Annotated[relay.GlobalID, strawberry.argument(description="The object's global id.")],
    ) -> relay.Node | None:
        await perm.viewer_for(info, "Query.node")
        try:
            node_type = id.resolve_type(info)
        except relay.GlobalIDValueError:
            raise perm.ForbiddenError() from None  # as for an object one may not see
        found = node_type.resolve_node(id.node_id, info=info)
        return await found if inspect.isawaitable(found) else found

    @strawberry.field(description="Who is logged in, with the contracts and schools they see.")
    async def viewer(self, info: Info[Context, None]) -> Viewer:
        return Viewer.of(await perm.viewer_for(info, "Query.viewer"))

    @strawberry.field(description="The tariff catalogue with monthly fees.")
    async def tariffs(self, info: Info[Context, None]) -> list[TariffInfo]:
        await perm.viewer_for(info, "Query.tariffs")
        return [
            TariffInfo(tariff=Tariff(t), monthly_fee=Kopecks(fee), description=TARIFFS_RU[t])
            for t, fee in MONTHLY_FEES.items()
        ]

    @strawberry.field(description="Balances, limits, tariff and cards of one contract.")
    async def account(
        self, info: Info[Context, None], contract_number: ContractNumber, at_least: AtLeast = None
    ) -> Account | None:
        ref = await perm.account(info, "Query.account", contract_number)
        await caught_up(info, ["balances"], at_least)
        return await Account.read(info, ref, fresh=bool(at_least))

    @strawberry.field(description=f"Money movements, newest first, {PAGING}")
    async def statement(
        self,
        info: Info[Context, None],
        contract_number: ContractNumber,
        since: Since = None,
        until: Until = None,
        kinds: Annotated[
            list[MovementKind] | None,
            strawberry.argument(description="Only movements of these kinds (all when absent)."),
        ] = None,
        first: First = 50,
        after: After = None,
        at_least: AtLeast = None,
    ) -> relay.Connection[StatementLine]:
        ref = await perm.account(info, "Query.statement", contract_number)
        first = page_size(first)
        await caught_up(info, ["statement", "balances"], at_least)
        zone, rows = await info.context.services.read(
            readmodels.statement_page,
            ref.account_id,
            decode_cursor(after),
            first,
            since,
            until,
            [k.value for k in kinds] if kinds else None,
        )
        return connection(
            rows,
            first,
            key=lambda r: int(r["position"]),
            node=lambda r: StatementLine.of(r, ref.contract_number, zone),
        )

    @strawberry.field(description=f"Turnstile passes per school-local day, oldest first, {PAGING}")
    async def attendance(
        self,
        info: Info[Context, None],
        contract_number: ContractNumber,
        since: Since = None,
        until: Until = None,
        first: First = 50,
        after: After = None,
        at_least: AtLeast = None,
    ) -> relay.Connection[AttendanceDay]:
        ref = await perm.account(info, "Query.attendance", contract_number)
        since, until = await account_period(info, ref, since, until, 7)
        return await list_page(
            info, ["attendance"], at_least, first,
            attendance_page, ref.account_id, since, until, day_after(after),
            key=lambda r: (r["local_date"].isoformat(),),
            node=lambda r: AttendanceDay.of(r, ref.contract_number),
        )  # fmt: skip

    @strawberry.field(description="A school's menu for one school-local date.")
    async def menu(
        self,
        info: Info[Context, None],
        school: SchoolId,
        date: Annotated[date, strawberry.argument(description="The school-local date.")],
        at_least: AtLeast = None,
    ) -> Menu:
        await perm.school(info, "Query.menu", school)
        await caught_up(info, ["menus"], at_least)
        return await Menu.read(info, school, date)

    @strawberry.field(
        description="A school's local date and time zone now: what today means for its menus,"
        " limits, pre-orders and reports, wherever the reader is."
    )
    async def school_today(self, info: Info[Context, None], school: SchoolId) -> SchoolToday:
        await perm.school(info, "Query.schoolToday", school)
        services = info.context.services
        zone = await services.read(readmodels.school_zone, school)
        if zone is None:  # not projected yet: the ledger knows it, or no one does
            try:
                zone = await services.run(lambda: services.ledger.school(school).time_zone)
            except DomainError as error:
                raise bad_input(str(error)) from None
        return SchoolToday(date=services.now().astimezone(ZoneInfo(zone)).date(), time_zone=zone)

    school_report = school_period_field(
        "schoolReport",
        SchoolReport,
        "Per school-local day: terminal kinds and top-up channels.",
        ["school_reports"],
        (7, MAX_DAYS),
        read_school_report,
    )
