"""Tamper evidence: a hash chain over the ledger's event table, kept beside it.

`audit_chain(notification_id, prev_hash, entry_hash)`: each entry's hash covers the previous
entry's hash and the stored event exactly as recorded (notification id, originator id and
version, topic, state bytes). The keeper extends the chain in one transaction per page: its
position is the chain's own last row, so it is stored with the rows, exactly once.
Recomputing the chain from the stored events names the first position where the table no
longer is what was chained: an UPDATE, a DELETE, two rows swapped, or a row INSERTed.
"""

import hashlib
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import psycopg
from psycopg import sql

GENESIS = bytes(32)
PAGE = 5000
DDL = (
    "CREATE TABLE IF NOT EXISTS audit_chain ("
    " notification_id bigint PRIMARY KEY, prev_hash bytea NOT NULL, entry_hash bytea NOT NULL)"
)


def entry_hash(
    prev: bytes, notification_id: int, originator_id: UUID, version: int, topic: str, state: bytes
) -> bytes:
    """sha256(prev ‖ id ‖ originator ‖ version ‖ len‖topic ‖ len‖state), fixed-width ints."""
    h = hashlib.sha256(prev)
    topic_bytes = topic.encode()
    h.update(struct.pack(">q", notification_id))
    h.update(originator_id.bytes)
    h.update(struct.pack(">qI", version, len(topic_bytes)))
    h.update(topic_bytes)
    h.update(struct.pack(">Q", len(state)))
    h.update(state)
    return h.digest()


def setup(conn: psycopg.Connection[Any]) -> None:
    conn.execute(DDL)


def head(conn: psycopg.Connection[Any]) -> tuple[int, bytes]:
    """The last chained notification id and its hash ((0, GENESIS) for an empty chain)."""
    row = conn.execute(
        "SELECT notification_id, entry_hash FROM audit_chain ORDER BY notification_id DESC LIMIT 1"
    ).fetchone()
    return (int(row[0]), bytes(row[1])) if row else (0, GENESIS)


def extend(
    conn: psycopg.Connection[Any],
    events_table: str,
    page: int = PAGE,
    progress: Callable[[int, int], None] = lambda position, head: None,
) -> int:
    """Chain every committed event not chained yet; returns the chain's new head position.

    Ids at or below the table's visible maximum are all committed or never will be (the
    recorder inserts under a table lock), so nothing is skipped and later filled in.
    """
    setup(conn)
    while True:
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(hashtextextended('infoshkola.audit', 0))")
            position, prev = head(conn)
            rows = conn.execute(
                sql.SQL(
                    "SELECT notification_id, originator_id, originator_version, topic, state"
                    " FROM {} WHERE notification_id > %s ORDER BY notification_id LIMIT %s"
                ).format(sql.Identifier(events_table)),
                (position, page),
            ).fetchall()
            chained = []
            for n, oid, version, topic, state in rows:
                h = entry_hash(prev, n, oid, version, topic, bytes(state))
                chained.append((n, prev, h))
                prev = h
            if chained:
                with conn.cursor().copy(
                    "COPY audit_chain (notification_id, prev_hash, entry_hash) FROM STDIN"
                ) as copy:
                    for entry in chained:
                        copy.write_row(entry)
        if chained:
            position = chained[-1][0]
            progress(position, position + (page if len(rows) == page else 0))
        if len(rows) < page:
            return position


@dataclass(frozen=True)
class ChainReport:
    checked: int  # entries compared
    head: int  # the chain's last position
    head_hash: str
    unchained: int  # events after the head, not chained yet
    first_bad: int | None  # the first notification id where the table departs from the chain
    problem: str | None

    @property
    def ok(self) -> bool:
        return self.first_bad is None


def verify(
    conn: psycopg.Connection[Any],
    events_table: str,
    page: int = PAGE,
    progress: Callable[[int, int], None] = lambda position, head: None,
) -> ChainReport:
    """Recompute the chain from the stored events up to its head; stop at the first break."""
    setup(conn)
    last, last_hash = head(conn)
    table = sql.Identifier(events_table)
    query = sql.SQL(
        "SELECT notification_id, e.originator_id, e.originator_version, e.topic, e.state,"
        " e.present, c.prev_hash, c.entry_hash"
        " FROM (SELECT *, true AS present FROM {} WHERE notification_id > %s"
        "       AND notification_id <= %s) e"
        " FULL JOIN (SELECT * FROM audit_chain WHERE notification_id > %s"
        "       AND notification_id <= %s) c"
        " USING (notification_id) ORDER BY notification_id"
    ).format(table)
    position, expected_prev, checked = 0, GENESIS, 0
    while position < last:
        # A window of `page` chain entries; every event with an id inside it is compared.
        row = conn.execute(
            "SELECT notification_id FROM audit_chain WHERE notification_id > %s"
            " ORDER BY notification_id OFFSET %s LIMIT 1",
            (position, page - 1),
        ).fetchone()
        upto = int(row[0]) if row else last
        rows = conn.execute(query, (position, upto, position, upto)).fetchall()
        for n, oid, version, topic, state, present, prev_hash, stored in rows:
            bad = _check(n, oid, version, topic, state, present, prev_hash, stored, expected_prev)
            if bad is not None:
                return ChainReport(
                    checked, last, last_hash.hex(), _after(conn, table, last), n, bad
                )
            expected_prev = bytes(stored)
            checked += 1
        position = upto
        progress(position, last)
    return ChainReport(checked, last, last_hash.hex(), _after(conn, table, last), None, None)


def _check(
    n: int,
    oid: UUID | None,
    version: int | None,
    topic: str | None,
    state: bytes | None,
    present: bool | None,
    prev_hash: bytes | None,
    stored: bytes | None,
    expected_prev: bytes,
) -> str | None:
    if stored is None:
        return f"event {n} is not in the chain: inserted after the fact"
    if not present or oid is None or version is None or topic is None or state is None:
        return f"event {n} was chained but is missing: deleted"
    if bytes(prev_hash or b"") != expected_prev:
        return f"chain entry {n} does not follow the previous entry: the chain was altered"
    if entry_hash(expected_prev, n, oid, version, topic, bytes(state)) != bytes(stored):
        return f"event {n} differs from what was chained: altered or moved"
    return None


def _after(conn: psycopg.Connection[Any], table: sql.Identifier, last: int) -> int:
    row = conn.execute(
        sql.SQL("SELECT count(*) FROM {} WHERE notification_id > %s").format(table), (last,)
    ).fetchone()
    return int(row[0]) if row else 0


def hash_at(conn: psycopg.Connection[Any], notification_id: int) -> bytes | None:
    row = conn.execute(
        "SELECT entry_hash FROM audit_chain WHERE notification_id = %s", (notification_id,)
    ).fetchone()
    return bytes(row[0]) if row else None
