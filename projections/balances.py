"""balances: account → wallets, spent today (school-local), daily limit, tariff, card states."""

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any, ClassVar
from uuid import UUID
from zoneinfo import ZoneInfo

import psycopg
from psycopg import Cursor

from domain.account import DEFAULT_DAILY_LIMIT, Account
from domain.kinds import CardState, Tariff
from projections.base import RowPerKey, Tracked
from projections.cards import CARD_EVENTS
from projections.directory import Directory
from projections.movements import MOVEMENTS, movement

COLUMNS = (
    ("account_id", "uuid"),
    ("contract_number", "text"),
    ("school_id", "uuid"),
    ("time_zone", "text"),
    ("regular", "bigint"),
    ("subsidised", "bigint"),
    ("spent_date", "date"),
    ("spent_today", "bigint"),
    ("daily_limit", "bigint"),
    ("tariff", "text"),
    ("cards", "jsonb"),
    ("position", "bigint"),
)


class Balances(RowPerKey):
    name = "balances"
    reads = (
        Account.Opened,
        Account.TariffChanged,
        Account.DailyLimitChanged,
        *CARD_EVENTS,
        *MOVEMENTS,
    )
    columns = COLUMNS
    key = ("account_id",)
    nullable = ("spent_date",)
    # parents' and staff's reads name an account by its contract number
    indexes: ClassVar[Mapping[str, Sequence[str]]] = {"balances": ("school_id", "contract_number")}

    def key_of(self, event: Any) -> Any:
        return event.originator_id

    def fold(
        self, cur: Cursor[Any], row: list[Any] | None, tracked: Tracked, directory: Directory
    ) -> list[Any]:
        e = tracked.event
        if isinstance(e, Account.Opened):
            zone = directory.zone(cur, e.school_id)
            return [
                e.originator_id, e.contract_number, e.school_id, zone.key, 0, 0, None, 0,
                DEFAULT_DAILY_LIMIT, Tariff.ZERO.value, {}, tracked.position,
            ]  # fmt: skip
        if row is None:
            raise KeyError(e.originator_id)
        fold_change(row, e)
        row[11] = tracked.position
        return row


def fold_change(row: list[Any], e: Any) -> None:
    if isinstance(e, Account.TariffChanged):
        row[9] = e.tariff
    elif isinstance(e, Account.DailyLimitChanged):
        row[8] = e.limit
    if isinstance(e, CARD_EVENTS):
        cards = dict(row[10])
        if isinstance(e, Account.CardIssued):
            cards[e.uid] = e.state
        elif isinstance(e, Account.CardActivated):
            cards[e.uid] = CardState.ACTIVE.value
        elif isinstance(e, Account.CardBlocked):
            cards[e.uid] = CardState.BLOCKED.value
        elif isinstance(e, Account.CardUnblocked):
            cards[e.uid] = e.state
        else:
            cards[e.new_uid] = e.new_state
        row[10] = cards
    moved = movement(e)
    if moved is None:
        return
    row[4] += moved.regular
    row[5] += moved.subsidised
    if moved.spent and moved.local_date:
        day = date.fromisoformat(moved.local_date)
        if row[6] is None or day > row[6]:
            row[6], row[7] = day, moved.spent
        elif day == row[6]:
            row[7] += moved.spent


# Queries


SELECT_BALANCE = (
    "SELECT account_id, contract_number, school_id, time_zone, regular, subsidised,"
    " spent_date, spent_today, daily_limit, tariff, cards, position FROM balances"
)


def get_balance(
    conn: psycopg.Connection[Any], account_id: UUID, now: datetime
) -> dict[str, Any] | None:
    """The balances row, with `today` (the school's local date at `now`) and `spent_today`
    for that date."""
    row = conn.execute(f"{SELECT_BALANCE} WHERE account_id = %s", (account_id,)).fetchone()
    return _as_of(row, now)


def balance_by_contract(
    conn: psycopg.Connection[Any], contract_number: str, now: datetime
) -> dict[str, Any] | None:
    """`get_balance` of the account with this contract number (one statement, by index)."""
    row = conn.execute(
        f"{SELECT_BALANCE} WHERE contract_number = %s LIMIT 1", (contract_number,)
    ).fetchone()
    return _as_of(row, now)


def _as_of(row: tuple[Any, ...] | None, now: datetime) -> dict[str, Any] | None:
    if row is None:
        return None
    found = dict(zip([c for c, _ in COLUMNS], row, strict=True))
    today = now.astimezone(ZoneInfo(found["time_zone"])).date()
    found["spent_today"] = found["spent_today"] if found["spent_date"] == today else 0
    found["today"] = today
    return found
