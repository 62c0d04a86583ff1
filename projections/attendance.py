"""attendance: pupil × school-local date → passes in and out, first entry, last exit, inside.

Offline passes arrive late, so times are compared by the turnstile's own clock (`tapped_at`):
"inside" follows the pass with the latest `tapped_at`, not the last one received.
"""

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any, ClassVar
from uuid import UUID
from zoneinfo import ZoneInfo

import psycopg
from psycopg import Cursor

from domain.account import Account
from domain.kinds import Direction
from projections import rows
from projections.base import RowPerKey, Tracked
from projections.directory import Directory

COLUMNS = (
    ("account_id", "uuid"),
    ("local_date", "date"),
    ("school_id", "uuid"),
    ("passes_in", "integer"),
    ("passes_out", "integer"),
    ("denied", "integer"),
    ("first_entry", "timestamptz"),
    ("last_exit", "timestamptz"),
    ("last_pass_at", "timestamptz"),
    ("inside", "boolean"),
)


class Attendance(RowPerKey):
    name = "attendance"
    reads = (Account.PassRecorded, Account.PassDenied)
    columns = COLUMNS
    key = ("account_id", "local_date")
    nullable = ("first_entry", "last_exit", "last_pass_at")
    indexes: ClassVar[Mapping[str, Sequence[str]]] = {"attendance": ("school_id, local_date",)}

    def key_of(self, event: Any) -> tuple[UUID, date]:
        return event.originator_id, date.fromisoformat(event.local_date)

    def prepare(self, cur: Cursor[Any], keys: set[Any], directory: Directory) -> None:
        directory.load(cur, [a for a, _ in keys])

    def fold(
        self, cur: Cursor[Any], row: list[Any] | None, tracked: Tracked, directory: Directory
    ) -> list[Any]:
        e = tracked.event
        if row is None:
            school = directory.account(cur, e.originator_id).school_id
            row = [*self.key_of(e), school, 0, 0, 0, None, None, None, False]
        fold_pass(row, e)
        return row


def fold_pass(row: list[Any], e: Any) -> None:
    if isinstance(e, Account.PassDenied):
        row[5] += 1
        return
    at, entering = e.tapped_at, e.direction == Direction.IN.value
    if entering:
        row[3] += 1
        row[6] = at if row[6] is None else min(row[6], at)
    else:
        row[4] += 1
        row[7] = at if row[7] is None else max(row[7], at)
    if row[8] is None or at >= row[8]:
        row[8], row[9] = at, entering


# Queries


def attendance_page(
    conn: psycopg.Connection[Any],
    account_id: UUID,
    since: date,
    until: date,
    after: date | None,
    first: int,
) -> list[dict[str, Any]]:
    """Up to `first + 1` days of [since, until] by date, past the day `after`."""
    return rows.dicts(
        conn,
        "SELECT * FROM attendance WHERE account_id = %s AND local_date BETWEEN %s AND %s"
        " AND (%s::date IS NULL OR local_date > %s) ORDER BY local_date LIMIT %s",
        (account_id, since, until, after, after, first + 1),
    )


def attendance_day(
    conn: psycopg.Connection[Any], account_id: UUID, day: date
) -> dict[str, Any] | None:
    found = attendance_page(conn, account_id, day, day, None, 1)
    return found[0] if found else None


def inside_now(
    conn: psycopg.Connection[Any], school_id: UUID, time_zone: str, now: datetime
) -> list[UUID]:
    """Pupils whose latest pass on the school-local day of `now` was an entry."""
    today = now.astimezone(ZoneInfo(time_zone)).date()
    found = conn.execute(
        "SELECT account_id FROM attendance WHERE school_id = %s AND local_date = %s AND inside",
        (school_id, today),
    ).fetchall()
    return [r[0] for r in found]
