"""Reads the resolvers make, all on the projections' tables (never the event store).

Simple lookups reuse the projections' query functions; the statement page with cursor and
kind filters and the live tail are written here.
"""

from datetime import date, datetime
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import psycopg

from projections import positions, rows
from projections.balances import balance_by_contract


def account_by_contract(
    conn: psycopg.Connection[Any], contract: str, now: datetime
) -> dict[str, Any] | None:
    """The balances row of the contract (`get_balance`'s), by the contract number's index."""
    return balance_by_contract(conn, contract.strip(), now)


def school_zone(conn: psycopg.Connection[Any], school_id: UUID) -> str | None:
    """The school's IANA time zone; None while the school is not projected (or unknown)."""
    row = conn.execute(
        "SELECT time_zone FROM projection_schools WHERE school_id = %s", (school_id,)
    ).fetchone()
    return str(row[0]) if row else None


def school_today(conn: psycopg.Connection[Any], school_id: UUID, now: datetime) -> date:
    """The school-local date at `now` (UTC while the school is not yet projected)."""
    return now.astimezone(ZoneInfo(school_zone(conn, school_id) or "UTC")).date()


def account_today(conn: psycopg.Connection[Any], account_id: UUID, now: datetime) -> date:
    """The local date at `now` of the account's school."""
    row = conn.execute(
        "SELECT school_id FROM projection_accounts WHERE account_id = %s", (account_id,)
    ).fetchone()
    return school_today(conn, row[0], now) if row else now.date()


def schools_of(conn: psycopg.Connection[Any], account_ids: list[UUID]) -> set[UUID]:
    found = conn.execute(
        "SELECT DISTINCT school_id FROM balances WHERE account_id = ANY(%s)", (account_ids,)
    ).fetchall()
    return {r[0] for r in found}


def statement_page(
    conn: psycopg.Connection[Any],
    account_id: UUID,
    before: int | None,
    first: int,
    since: date | None,
    until: date | None,
    kinds: list[str] | None,
) -> tuple[ZoneInfo, list[dict[str, Any]]]:
    """The time zone of the account's school (UTC while the account is not yet projected)
    and up to `first + 1` rows, newest first, older than position `before`: one statement
    (the zone is read once, as its init plan), on the (account_id, position) index."""
    found = rows.dicts(
        conn,
        "SELECT *, (SELECT time_zone FROM balances WHERE account_id = %s) AS time_zone"
        " FROM statement WHERE account_id = %s"
        " AND (%s::bigint IS NULL OR position < %s)"
        " AND (%s::date IS NULL OR local_date >= %s) AND (%s::date IS NULL OR local_date <= %s)"
        " AND (%s::text[] IS NULL OR kind = ANY(%s))"
        " ORDER BY position DESC LIMIT %s",
        (account_id, account_id, before, before, since, since, until, until, kinds, kinds,
         first + 1),
    )  # fmt: skip
    zone = found[0]["time_zone"] if found else None
    return ZoneInfo(zone or "UTC"), found


def statement_line(
    conn: psycopg.Connection[Any], account_id: UUID, position: int
) -> dict[str, Any] | None:
    """One line of the statement, with its school's time `zone`."""
    found = rows.dicts(
        conn,
        "SELECT * FROM statement WHERE account_id = %s AND position = %s LIMIT 1",
        (account_id, position),
    )
    return {**found[0], "zone": account_zone(conn, account_id)} if found else None


def account_zone(conn: psycopg.Connection[Any], account_id: UUID) -> ZoneInfo:
    """The time zone of the account's school (UTC while the account is not yet projected)."""
    row = conn.execute(
        "SELECT time_zone FROM balances WHERE account_id = %s", (account_id,)
    ).fetchone()
    return ZoneInfo(row[0]) if row else ZoneInfo("UTC")


def statement_after(
    conn: psycopg.Connection[Any], account_id: UUID, after: int, limit: int = 100
) -> list[dict[str, Any]]:
    """The account's movements recorded after `after`, oldest first (the live tail)."""
    return rows.dicts(
        conn,
        "SELECT * FROM statement WHERE account_id = %s AND position > %s"
        " ORDER BY position LIMIT %s",
        (account_id, after, limit),
    )


def head_of_statement(conn: psycopg.Connection[Any], account_id: UUID) -> int:
    row = conn.execute(
        "SELECT max(position) FROM statement WHERE account_id = %s", (account_id,)
    ).fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def attendance_rows(
    conn: psycopg.Connection[Any], account_id: UUID, since: date, until: date
) -> dict[date, tuple[int, int, int, Any, bool]]:
    found = conn.execute(
        "SELECT local_date, passes_in, passes_out, denied, last_pass_at, inside"
        " FROM attendance WHERE account_id = %s AND local_date BETWEEN %s AND %s",
        (account_id, since, until),
    ).fetchall()
    return {r[0]: (r[1], r[2], r[3], r[4], r[5]) for r in found}


def projection_positions(conn: psycopg.Connection[Any]) -> dict[str, int]:
    return positions.positions(conn)
