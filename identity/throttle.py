"""Login throttling per account name and per client address, in PostgreSQL.

Every attempt is counted *before* the password is checked (under an advisory lock on its
keys), so concurrent or batched attempts cannot slip past the limit. A success forgets the
name's attempts and takes its own attempt back from the address: an address is limited by its
failures, so the parents of a school behind one carrier's NAT all log in at the lunch break,
while one address guessing across names is stopped. Unknown names are counted exactly like
known ones: the answer never tells whether a contract exists.
The window is measured by the injected clock (`now`), like every other time in the system.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import psycopg

from adapters import metrics


@dataclass(frozen=True)
class Limits:
    per_name: int = 5
    per_address: int = 30
    window: timedelta = timedelta(minutes=15)


def name_key(scope: str, name: str) -> str:
    return f"{scope}:name:{name.strip().lower()}"


def address_key(scope: str, address: str) -> str:
    return f"{scope}:addr:{address}"


def admit(
    conn: psycopg.Connection[Any], keys: dict[str, int], window: timedelta, now: datetime
) -> bool:
    """Record one attempt at `now` on every key unless one of them is at its limit within the
    `window` before it; True if admitted."""
    with conn.transaction():
        for key in sorted(keys):
            conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 7))", (key,))
        for key, limit in keys.items():
            row = conn.execute(
                "SELECT count(*) FROM identity_attempts WHERE key = %s AND at > %s",
                (key, now - window),
            ).fetchone()
            if row is not None and row[0] >= limit:
                metrics.LOGINS_THROTTLED.labels(key.partition(":")[0]).inc()
                return False
        for key in keys:
            conn.execute("INSERT INTO identity_attempts (key, at) VALUES (%s, %s)", (key, now))
    return True


def forget(conn: psycopg.Connection[Any], key: str) -> None:
    conn.execute("DELETE FROM identity_attempts WHERE key = %s", (key,))


def take_back_one(conn: psycopg.Connection[Any], key: str) -> None:
    """Remove one attempt of `key`: a success's own, counted before its password was checked."""
    conn.execute(
        "DELETE FROM identity_attempts WHERE ctid = (SELECT ctid FROM identity_attempts"
        " WHERE key = %s ORDER BY at DESC LIMIT 1)",
        (key,),
    )


def prune(conn: psycopg.Connection[Any], window: timedelta, now: datetime) -> None:
    conn.execute("DELETE FROM identity_attempts WHERE at < %s", (now - window,))
