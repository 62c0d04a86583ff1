"""tariff_history: an account's tariffs and the monthly fees they cost, over time (issue 12
point 6): every tariff change (the zero tariff from the opening), every monthly fee charged
with its breakdown by tariff and days, what the wallet could not cover (a fee debt) and what
was collected of it later. One row per event, in ledger order."""

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar
from uuid import UUID

import psycopg
from psycopg import Cursor

from domain.account import Account
from domain.kinds import Tariff
from projections import rows
from projections.base import Projection, Tables, Tracked
from projections.directory import Directory

COLUMNS = (
    ("position", "bigint"),
    ("account_id", "uuid"),
    ("occurred_at", "timestamptz"),
    ("kind", "text"),
    ("tariff", "text"),
    ("previous", "text"),
    ("period", "text"),
    ("fee", "bigint"),
    ("amount", "bigint"),
    ("breakdown", "jsonb"),
)


def row_of(e: Any) -> tuple[str, str | None, str | None, str | None, int | None, int | None]:
    """(kind, tariff, previous, period, fee, amount) of one event."""
    if isinstance(e, Account.Opened):
        return "opened", Tariff.ZERO.value, None, None, None, None
    if isinstance(e, Account.TariffChanged):
        return "tariff_changed", e.tariff, e.previous, None, None, None
    if isinstance(e, Account.TariffFeeCharged):
        return "fee_charged", None, None, e.period, e.fee, e.amount
    if isinstance(e, Account.FeeDebtRecorded):
        return "fee_debt_recorded", None, None, e.period, None, e.amount
    return "fee_debt_collected", None, None, None, None, e.amount


class TariffHistory(Projection):
    name = "tariff_history"
    reads = (
        Account.Opened,
        Account.TariffChanged,
        Account.TariffFeeCharged,
        Account.FeeDebtRecorded,
        Account.FeeDebtCollected,
    )
    tables: ClassVar[Mapping[str, str]] = {
        "tariff_history": rows.ddl(
            COLUMNS, ("position",), nullable=("tariff", "previous", "period", "fee", "amount")
        )
    }
    indexes: ClassVar[Mapping[str, Sequence[str]]] = {"tariff_history": ("account_id, position",)}

    def apply(
        self, cur: Cursor[Any], t: Tables, batch: Sequence[Tracked], directory: Directory
    ) -> None:
        lines = [
            (b.position, b.event.originator_id, b.event.timestamp, *row_of(b.event),
             getattr(b.event, "breakdown", None) or [])
            for b in batch
        ]  # fmt: skip
        rows.insert_new(cur, t["tariff_history"], COLUMNS, lines)


def history_of(
    conn: psycopg.Connection[Any], account_id: UUID, limit: int = 500
) -> list[dict[str, Any]]:
    """An account's tariff changes and fees, oldest first."""
    return rows.dicts(
        conn,
        "SELECT * FROM tariff_history WHERE account_id = %s ORDER BY position LIMIT %s",
        (account_id, limit),
    )
