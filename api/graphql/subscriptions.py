"""`accountEvents`: taps, passes and top-ups of one account, live, over graphql-transport-ws.

Fed from the read models (never the write path): the statement's new rows, and the
attendance counters of the school-local day. Polled at a bounded interval; the session is
checked on every round, so logout or a password change ends the subscription.
"""

import asyncio
from collections.abc import AsyncGenerator
from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

import strawberry
from strawberry.types import Info

from api.graphql import permissions as perm
from api.graphql import readmodels
from api.graphql.arguments import ContractNumber
from api.graphql.context import Context
from api.graphql.enums import AccountEventKind, TerminalKind, enum_or_none
from api.graphql.scalars import Kopecks, Position
from api.graphql.services import Services
from api.graphql.types import AccountEvent
from identity.service import Role

KINDS = {
    "top_up": AccountEventKind.TOP_UP,
    "purchase": AccountEventKind.PURCHASE_APPROVED,
    "purchase_declined": AccountEventKind.PURCHASE_DECLINED,
    "offline_purchase": AccountEventKind.OFFLINE_PURCHASE,
}


def movement_event(row: dict[str, Any]) -> AccountEvent:
    return AccountEvent(
        position=Position(row["position"]),
        kind=KINDS.get(row["kind"], AccountEventKind.OTHER_MOVEMENT),
        at=row["occurred_at"],
        amount=Kopecks(row["amount"] if not row["declined"] else row["refused_amount"]),
        regular_after=Kopecks(row["regular_after"]),
        terminal_kind=enum_or_none(TerminalKind, row["terminal_kind"]),
        reason=row["reason"],
    )


def pass_events(
    before: tuple[int, int, int, Any, bool] | None,
    now: tuple[int, int, int, Any, bool],
    position: int,
    clock_now: datetime,
) -> list[AccountEvent]:
    was: tuple[int, int, int, Any, bool] = before or (0, 0, 0, None, False)
    at = now[3] or clock_now
    found = []
    for index, kind, text in (
        (0, AccountEventKind.PASS_IN, "Проход в школу"),
        (1, AccountEventKind.PASS_OUT, "Выход из школы"),
        (2, AccountEventKind.PASS_DENIED, "Проход не разрешён"),
    ):
        for _ in range(max(now[index] - was[index], 0)):
            found.append(
                AccountEvent(
                    position=Position(position),
                    kind=kind,
                    at=at,
                    amount=Kopecks(0),
                    regular_after=None,
                    terminal_kind=TerminalKind.TURNSTILE,
                    reason=text,
                )
            )
    return found


async def passes_on(
    services: Services, account_id: UUID, day: date
) -> tuple[int, int, int, Any, bool] | None:
    """The attendance counters of the account's school-local `day`, if any."""
    days = await services.read(readmodels.attendance_rows, account_id, day, day)
    return days.get(day)


async def still_allowed(services: Services, token: str | None, account_id: UUID) -> bool:
    principal = await services.run(services.identity.authenticate, token) if token else None
    if principal is None:
        return False
    if principal.role in (Role.PARENT, Role.REPRESENTATIVE):
        return account_id in principal.grants
    return True


@strawberry.type(description="Live feeds over WebSocket (graphql-transport-ws).")
class Subscription:
    @strawberry.subscription(
        description="Approved and declined taps, passes and top-ups, live. Money movements "
        "come from `after` on (a position the client already has), else from now on."
    )
    async def account_events(
        self,
        info: Info[Context, None],
        contract_number: ContractNumber,
        after: Annotated[
            Position | None,
            strawberry.argument(
                description="Replay the money movements recorded after this ledger position"
                " (one the client already has) before the live ones; from now on when absent."
            ),
        ] = None,
    ) -> AsyncGenerator[AccountEvent, None]:
        ref = await perm.account(info, "Subscription.accountEvents", contract_number)
        services = info.context.services
        token = info.context.bearer()
        zone = await services.read(readmodels.account_zone, ref.account_id)
        last = (
            int(after)
            if after is not None
            else await services.read(readmodels.head_of_statement, ref.account_id)
        )
        today = services.now().astimezone(zone).date()
        passes = await passes_on(services, ref.account_id, today)
        while True:
            await asyncio.sleep(services.settings.live_poll_seconds)
            if not await still_allowed(services, token, ref.account_id):
                return  # the session ended (logout, password change, expiry): so does the feed
            rows = await services.read(readmodels.statement_after, ref.account_id, last)
            for row in rows:
                last = row["position"]
                yield movement_event(row)
            day = services.now().astimezone(zone).date()
            if day != today:
                today, passes = day, None
            now = await passes_on(services, ref.account_id, today)
            if now is not None and now[:3] != (passes or (0, 0, 0))[:3]:
                reached = await services.read(readmodels.projection_positions)
                for event in pass_events(passes, now, reached.get("attendance", 0), services.now()):
                    yield event
                passes = now
