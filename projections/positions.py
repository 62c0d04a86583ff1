"""Where each projection stands: one row per projection, written with its rows.

`wait_for` is the read side of read-your-writes: a command returns its notification id and a
reader waits (bounded) until the projection has passed it. Projections record the position
of every event they saw, ignored ones included, so a wait never hangs on an event a
projection does not care about.

A projection that fails records its error and, when one event is to blame, that event's
position (`failed_position`); both stay until the projection has got past that event.
"""

import time
from typing import Any

import psycopg
from psycopg import Cursor, sql

PROGRESS_CHANNEL = "projection_progress"

DDL = (
    "CREATE TABLE IF NOT EXISTS projection_positions ("
    " name text PRIMARY KEY, position bigint NOT NULL DEFAULT 0,"
    " updated_at timestamptz NOT NULL DEFAULT now(), last_error text)",
    "ALTER TABLE projection_positions ADD COLUMN IF NOT EXISTS failed_position bigint",
)

# `projections status` and `audit verify` call a projection lagging when it is more than this
# many events behind the newest notification (a healthy runner stays within one batch).
MAX_LAG = 1000


def ensure_position(cur: Cursor[Any], name: str) -> None:
    cur.execute(
        "INSERT INTO projection_positions (name) VALUES (%s) ON CONFLICT DO NOTHING", (name,)
    )


def lock_position(cur: Cursor[Any], name: str) -> int:
    """The stored position, row-locked until the transaction ends."""
    row = cur.execute(
        "SELECT position FROM projection_positions WHERE name = %s FOR UPDATE", (name,)
    ).fetchone()
    if row is None:
        raise LookupError(f"projection {name} has no position row")
    return int(row[0])


def store_position(cur: Cursor[Any], name: str, position: int) -> None:
    """The new position; a recorded failure is cleared once the position is past its event."""
    cur.execute(
        "UPDATE projection_positions SET position = %(position)s, updated_at = now(),"
        " last_error = CASE WHEN failed_position > %(position)s THEN last_error END,"
        " failed_position = CASE WHEN failed_position > %(position)s THEN failed_position END"
        " WHERE name = %(name)s",
        {"position": position, "name": name},
    )
    cur.execute(
        sql.SQL("NOTIFY {}, {}").format(
            sql.Identifier(PROGRESS_CHANNEL), sql.Literal(f"{name}:{position}")
        )
    )


def record_error(
    conn: psycopg.Connection[Any], name: str, error: str, failed_position: int | None = None
) -> None:
    """The projection's last error and, when one event is to blame, that event's position."""
    conn.execute(
        "UPDATE projection_positions SET last_error = %s, failed_position = %s WHERE name = %s",
        (error[:2000], failed_position, name),
    )


def positions(conn: psycopg.Connection[Any]) -> dict[str, int]:
    """Every projection's stored position (none before the runner first set up its tables)."""
    try:
        rows = conn.execute("SELECT name, position FROM projection_positions").fetchall()
    except psycopg.errors.UndefinedTable:
        return {}
    return {name: int(pos) for name, pos in rows}


def max_notification_id(conn: psycopg.Connection[Any], events_table: str) -> int:
    try:
        row = conn.execute(
            sql.SQL("SELECT max(notification_id) FROM {}").format(sql.Identifier(events_table))
        ).fetchone()
    except psycopg.errors.UndefinedTable:
        return 0
    return int(row[0]) if row and row[0] is not None else 0


def wait_for(database_url: str, name: str, position: int, timeout: float = 5.0) -> int:
    """Block until projection `name` has reached `position`; TimeoutError after `timeout` s."""
    deadline = time.monotonic() + timeout
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(PROGRESS_CHANNEL)))
        while True:
            current = positions(conn).get(name, 0)
            if current >= position:
                return current
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(
                    f"projection {name} is at {current}, not yet at {position} after {timeout}s"
                )
            # Wake on the runner's NOTIFY; re-read at least every 0.25 s regardless.
            for _ in conn.notifies(timeout=min(left, 0.25), stop_after=1):
                pass


def status(conn: psycopg.Connection[Any], events_table: str) -> list[dict[str, Any]]:
    """Each projection's position, lag behind the ledger, last update, last error and the
    position of the event it fails on (None when no single event is to blame)."""
    head = max_notification_id(conn, events_table)
    try:
        found = conn.execute(
            "SELECT name, position, updated_at, last_error, failed_position"
            " FROM projection_positions ORDER BY name"
        ).fetchall()
    except psycopg.errors.UndefinedTable:
        return []
    return [
        {
            "name": name,
            "position": position,
            "head": head,
            "lag": max(head - position, 0),
            "updated_at": updated_at,
            "last_error": error,
            "failed_position": failed,
        }
        for name, position, updated_at, error, failed in found
    ]


def problem(row: dict[str, Any], max_lag: int = MAX_LAG) -> str | None:
    """Why a `status` row needs an operator, or None when the projection is healthy."""
    if row["last_error"]:
        at = row["failed_position"]
        where = f"fails on event {at}" if at is not None else "fails"
        return f"{row['name']} {where} (stuck at {row['position']}): {row['last_error']}"
    if row["lag"] > max_lag:
        return f"{row['name']} lags {row['lag']} events behind the head {row['head']}"
    return None
