"""cards: card UID → account and state, for the terminals' deny list and for support."""

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar
from uuid import UUID

import psycopg
from psycopg import Cursor

from domain.account import Account
from domain.kinds import CardState
from projections import rows
from projections.base import Projection, Tables, Tracked
from projections.directory import Directory

COLUMNS = (
    ("uid", "text"),
    ("account_id", "uuid"),
    ("school_id", "uuid"),
    ("state", "text"),
    ("changed_at", "timestamptz"),
    ("position", "bigint"),
)


CARD_EVENTS = (  # every event that changes a card's state (the balances read them too)
    Account.CardIssued,
    Account.CardActivated,
    Account.CardBlocked,
    Account.CardUnblocked,
    Account.DuplicateCardOrdered,
)


class Cards(Projection):
    name = "cards"
    reads = CARD_EVENTS
    tables: ClassVar[Mapping[str, str]] = {
        "cards": "uid text PRIMARY KEY, account_id uuid NOT NULL, school_id uuid NOT NULL,"
        " state text NOT NULL, changed_at timestamptz NOT NULL, position bigint NOT NULL"
    }
    indexes: ClassVar[Mapping[str, Sequence[str]]] = {"cards": ("school_id, state",)}

    def apply(
        self, cur: Cursor[Any], t: Tables, batch: Sequence[Tracked], directory: Directory
    ) -> None:
        directory.load(cur, [e.event.originator_id for e in batch])
        latest: dict[str, tuple[Any, ...]] = {}
        for tracked in batch:
            e = tracked.event
            if isinstance(e, Account.CardIssued):
                uid, state = e.uid, e.state
            elif isinstance(e, Account.CardActivated):
                uid, state = e.uid, CardState.ACTIVE.value
            elif isinstance(e, Account.CardBlocked):
                uid, state = e.uid, CardState.BLOCKED.value
            elif isinstance(e, Account.CardUnblocked):
                uid, state = e.uid, e.state
            else:
                uid, state = e.new_uid, e.new_state
            school = directory.account(cur, e.originator_id).school_id
            latest[uid] = (uid, e.originator_id, school, state, e.timestamp, tracked.position)
        rows.upsert(cur, t["cards"], COLUMNS, ("uid",), list(latest.values()))


def get_card(conn: psycopg.Connection[Any], uid: str) -> dict[str, Any] | None:
    row = conn.execute("SELECT * FROM cards WHERE uid = %s", (uid,)).fetchone()
    return dict(zip([c for c, _ in COLUMNS], row, strict=True)) if row else None


def deny_list(conn: psycopg.Connection[Any], school_id: UUID) -> list[str]:
    """UIDs of the school's blocked cards, for terminals deciding offline."""
    found = conn.execute(
        "SELECT uid FROM cards WHERE school_id = %s AND state = %s ORDER BY uid",
        (school_id, CardState.BLOCKED.value),
    ).fetchall()
    return [r[0] for r in found]
