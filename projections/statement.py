"""statement: every money movement of an account, declines included, with its reason.

"Where did 139 ₽ go on Saturday?": each row has UTC and school-local time, what happened
(kind, terminal, items), the signed amount per wallet, the commission, the running balance
after it and a reason in Russian — on every tariff.
"""

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any, ClassVar
from uuid import UUID

import psycopg
from psycopg import Cursor

from projections import rows
from projections.base import Projection, Tables, Tracked
from projections.directory import Directory
from projections.movements import MOVEMENTS, movement

COLUMNS = (
    ("position", "bigint"),
    ("account_id", "uuid"),
    ("occurred_at", "timestamptz"),
    ("local_time", "timestamp"),
    ("local_date", "date"),
    ("kind", "text"),
    ("terminal_id", "uuid"),
    ("terminal_kind", "text"),
    ("items", "jsonb"),
    ("amount", "bigint"),
    ("wallet", "text"),
    ("regular_change", "bigint"),
    ("subsidised_change", "bigint"),
    ("commission", "bigint"),
    ("declined", "boolean"),
    ("refused_amount", "bigint"),
    ("regular_after", "bigint"),
    ("subsidised_after", "bigint"),
    ("reason", "text"),
)
RUNNING = (("account_id", "uuid"), ("regular", "bigint"), ("subsidised", "bigint"))


class Statement(Projection):
    name = "statement"
    reads = tuple(MOVEMENTS)
    tables: ClassVar[Mapping[str, str]] = {
        "statement": "position bigint PRIMARY KEY, account_id uuid NOT NULL,"
        " occurred_at timestamptz NOT NULL, local_time timestamp NOT NULL,"
        " local_date date NOT NULL, kind text NOT NULL, terminal_id uuid, terminal_kind text,"
        " items jsonb NOT NULL, amount bigint NOT NULL, wallet text,"
        " regular_change bigint NOT NULL, subsidised_change bigint NOT NULL,"
        " commission bigint NOT NULL, declined boolean NOT NULL, refused_amount bigint NOT NULL,"
        " regular_after bigint NOT NULL, subsidised_after bigint NOT NULL, reason text NOT NULL",
        "statement_running": "account_id uuid PRIMARY KEY, regular bigint NOT NULL,"
        " subsidised bigint NOT NULL",
    }
    indexes: ClassVar[Mapping[str, Sequence[str]]] = {"statement": ("account_id, position",)}

    def apply(
        self, cur: Cursor[Any], t: Tables, batch: Sequence[Tracked], directory: Directory
    ) -> None:
        accounts = {e.event.originator_id for e in batch}
        directory.load(cur, accounts)
        found = rows.fetch(cur, t["statement_running"], RUNNING, "account_id", accounts)
        running = {a: [r[1], r[2]] for a, r in found.items()}
        lines = []
        for tracked in batch:
            e, moved = tracked.event, movement(tracked.event)
            if moved is None:
                continue
            entry = directory.account(cur, e.originator_id)
            balance = running.setdefault(e.originator_id, [0, 0])
            balance[0] += moved.regular
            balance[1] += moved.subsidised
            local_time = entry.local(moved.occurred_at)
            local_date = (
                date.fromisoformat(moved.local_date) if moved.local_date else local_time.date()
            )
            lines.append(
                (
                    tracked.position, e.originator_id, moved.occurred_at, local_time, local_date,
                    moved.kind, moved.terminal_id, moved.terminal_kind, moved.items, moved.amount,
                    moved.wallet, moved.regular, moved.subsidised, moved.commission,
                    moved.declined, moved.refused_amount, balance[0], balance[1], moved.reason,
                )
            )  # fmt: skip
        rows.insert(cur, t["statement"], COLUMNS, lines)
        rows.upsert(
            cur,
            t["statement_running"],
            RUNNING,
            ("account_id",),
            [(a, r, s) for a, (r, s) in running.items()],
        )


def list_statement(
    conn: psycopg.Connection[Any],
    account_id: UUID,
    since: date | None = None,
    until: date | None = None,
    limit: int = 200,
) -> list[dict[str, Any]]:
    """An account's movements, newest first, optionally within school-local dates."""
    return rows.dicts(
        conn,
        "SELECT * FROM statement WHERE account_id = %s"
        " AND (%s::date IS NULL OR local_date >= %s) AND (%s::date IS NULL OR local_date <= %s)"
        " ORDER BY position DESC LIMIT %s",
        (account_id, since, since, until, until, limit),
    )
