"""preorders: every pre-order with what is still to serve, what was served and refunded.

One row per pre-order: the lines ordered, the lines still open, what was paid, what came
back and why, its status (`placed`, `served`, `cancelled`) and its cut-off. A parent lists
their child's; the kitchen counts the portions of a day.
"""

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any, ClassVar
from uuid import UUID

import psycopg
from psycopg import Cursor

from domain.preorder_events import CANCELLED, PLACED, SERVED, PreOrderCancelled, PreOrderPlaced
from domain.preorder_events import PreOrderServed as Served
from projections import rows
from projections.base import RowPerKey, Tracked
from projections.directory import Directory

PREORDER_LINE = "SELECT * FROM preorders WHERE account_id = %s"
COLUMNS = (
    ("preorder_id", "text"),
    ("account_id", "uuid"),
    ("school_id", "uuid"),
    ("meal_date", "date"),
    ("items", "jsonb"),
    ("open_items", "jsonb"),
    ("amount", "bigint"),
    ("refunded", "bigint"),
    ("status", "text"),
    ("cancel_reason", "text"),
    ("cutoff_at", "timestamptz"),
    ("placed_at", "timestamptz"),
    ("position", "bigint"),
)


def taken(lines: list[dict[str, Any]], items: Sequence[Mapping[str, Any]]) -> list[Any]:
    left = {str(line["code"]): dict(line) for line in lines}
    for item in items:
        line = left.get(str(item["code"]))
        if line is not None:
            line["quantity"] -= int(item["quantity"])
            if line["quantity"] <= 0:
                del left[str(item["code"])]
    return list(left.values())


class PreOrdersView(RowPerKey):
    name = "preorders"
    reads = (PreOrderPlaced, PreOrderCancelled, Served)
    columns = COLUMNS
    key = ("preorder_id",)
    nullable = ("cancel_reason",)
    indexes: ClassVar[Mapping[str, Sequence[str]]] = {
        "preorders": ("account_id, meal_date, placed_at, preorder_id", "school_id, meal_date")
    }

    def key_of(self, event: Any) -> str:
        return str(event.preorder_id)

    def fold(
        self, cur: Cursor[Any], row: list[Any] | None, tracked: Tracked, directory: Directory
    ) -> list[Any]:
        e = tracked.event
        if isinstance(e, PreOrderPlaced):
            return [
                e.preorder_id, e.originator_id, e.school_id, date.fromisoformat(e.meal_date),
                e.items, e.items, e.amount, 0, PLACED, None, e.cutoff_at, e.timestamp,
                tracked.position,
            ]  # fmt: skip
        if row is None:
            raise KeyError(e.preorder_id)
        row[5] = taken(row[5], e.items)
        if isinstance(e, PreOrderCancelled):
            row[7] += e.to_regular + e.to_subsidised
            row[9] = e.reason
        if not row[5]:
            row[8] = CANCELLED if isinstance(e, PreOrderCancelled) else SERVED
        row[12] = tracked.position
        return row


def preorders_page(
    conn: psycopg.Connection[Any],
    account_id: UUID,
    since: date | None,
    after: tuple[date, datetime, str] | None,
    first: int,
) -> list[dict[str, Any]]:
    """Up to `first + 1` of a child's pre-orders from `since` on (all when None), the latest
    meal first (then the latest placed), past the key (meal date, placed at, id) `after`."""
    past = after or (None, None, None)
    return rows.dicts(
        conn,
        PREORDER_LINE + " AND (%s::date IS NULL OR meal_date >= %s)"
        " AND (%s::date IS NULL"
        " OR (meal_date, placed_at, preorder_id) < (%s::date, %s::timestamptz, %s::text))"
        " ORDER BY meal_date DESC, placed_at DESC, preorder_id DESC LIMIT %s",
        (account_id, since, since, past[0], past[0], past[1], past[2], first + 1),
    )


def preorder_of(
    conn: psycopg.Connection[Any], account_id: UUID, preorder_id: str
) -> dict[str, Any] | None:
    """One pre-order of a child by its id."""
    found = rows.dicts(conn, PREORDER_LINE + " AND preorder_id = %s", (account_id, preorder_id))
    return found[0] if found else None


def portions(conn: psycopg.Connection[Any], school_id: UUID, day: date) -> list[dict[str, Any]]:
    """The kitchen's count for a day: per dish, the portions ordered and still to serve."""
    return rows.dicts(
        conn,
        "SELECT o.line->>'code' AS code, max(o.line->>'name') AS name,"
        " sum((o.line->>'quantity')::int) AS ordered"
        " FROM preorders p, jsonb_array_elements(p.open_items) AS o(line)"
        " WHERE p.school_id = %s AND p.meal_date = %s GROUP BY 1 ORDER BY 1",
        (school_id, day),
    )
