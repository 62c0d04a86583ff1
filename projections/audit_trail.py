"""audit_trail: every event of every account in ledger order, with who did it, its fields and
both wallets after it: the auditors' trail (`Query.auditTrail`), a page of which is one keyset
query on (account, position) instead of a replay of the account's history.

The running balances are folded here in ledger order: a row's wallets are those of the
account's last row before the batch plus the movements (`projections/movements.py`) up to it,
so applying a batch again gives the same rows, and a rebuild from zero gives what the live
build gave. `audit.history.audit_trail` replays the event store on its own and must agree
(`tests/audit/test_trail_read_model.py`).
"""

import json
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar
from uuid import UUID

import psycopg
from eventsourcing.domain import CanMutateAggregate
from eventsourcing.utils import get_topic
from psycopg import Cursor
from psycopg.rows import dict_row

import domain.ledger  # noqa: F401 - imports every module that defines an account event
from domain.account import Account
from domain.account.state import AccountState
from projections import rows
from projections.base import Projection, Tables, Tracked
from projections.directory import Directory
from projections.movements import movement

HIDDEN = {"originator_id", "originator_version", "timestamp", "actor"}

COLUMNS = (
    ("position", "bigint"),
    ("account_id", "uuid"),
    ("version", "bigint"),
    ("event", "text"),
    ("topic", "text"),
    ("at", "timestamptz"),
    ("actor", "text"),
    ("actor_kind", "text"),
    ("fields_json", "text"),
    ("regular_after", "bigint"),
    ("subsidised_after", "bigint"),
    ("reason", "text"),
)


def account_events() -> tuple[type, ...]:
    """Every event class an account records, one per stored topic: those declared on
    `Account` (and its parts) and those declared beside other concerns (transfers,
    pre-orders, protection, enrolment …) as subclasses of its base event."""
    found: dict[str, type] = {}
    for name, member in vars(Account).items():
        if isinstance(member, type) and issubclass(member, CanMutateAggregate) and name != "Event":
            found.setdefault(get_topic(member), member)
    todo: list[type] = [AccountState.Event]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if "TOPIC" in vars(cls) and cls.__name__ != "Event":
            found.setdefault(str(vars(cls)["TOPIC"]), cls)
    return tuple(found[topic] for topic in sorted(found))


def plain(value: Any) -> Any:
    """Make a decoded field JSON-friendly (UUIDs, datetimes, decimals as strings)."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, UUID | Decimal):
        return str(value)
    return value


def described(event: Any) -> dict[str, Any]:
    """What the trail says of an event besides its place and the wallets: its name, topic,
    actor (`role:id`, `terminal:id`, `system`), kind of actor and own fields."""
    actor = str(getattr(event, "actor", "system"))
    return {
        "event": type(event).__name__,
        "topic": str(getattr(type(event), "TOPIC", type(event).__qualname__)),
        "actor": actor,
        "actor_kind": actor.split(":", 1)[0],
        "fields": {k: plain(v) for k, v in vars(event).items() if k not in HIDDEN},
    }


def fields_json(fields: dict[str, Any]) -> str:
    return json.dumps(fields, ensure_ascii=False, sort_keys=True)


class AuditTrail(Projection):
    name = "audit_trail"
    reads = account_events()
    tables: ClassVar[Mapping[str, str]] = {
        "audit_trail": rows.ddl(COLUMNS, ("position",), nullable=("reason",))
    }
    indexes: ClassVar[Mapping[str, Sequence[str]]] = {"audit_trail": ("account_id, position",)}

    def apply(
        self, cur: Cursor[Any], t: Tables, batch: Sequence[Tracked], directory: Directory
    ) -> None:
        accounts = list({b.event.originator_id for b in batch})
        before = cur.execute(
            t.sql(
                "SELECT a, last.regular_after, last.subsidised_after FROM unnest(%s::uuid[]) a"
                " CROSS JOIN LATERAL (SELECT regular_after, subsidised_after FROM {audit_trail}"
                " WHERE account_id = a AND position < %s ORDER BY position DESC LIMIT 1) last"
            ),
            (accounts, batch[0].position),
        ).fetchall()
        running = {a: [regular, subsidised] for a, regular, subsidised in before}
        lines = []
        for tracked in batch:
            e, moved = tracked.event, movement(tracked.event)
            wallets = running.setdefault(e.originator_id, [0, 0])
            if moved is not None:
                wallets[0] += moved.regular
                wallets[1] += moved.subsidised
            said = described(e)
            lines.append(
                (
                    tracked.position, e.originator_id, e.originator_version, said["event"],
                    said["topic"], e.timestamp, said["actor"], said["actor_kind"],
                    fields_json(said["fields"]), wallets[0], wallets[1],
                    moved.reason if moved else None,
                )
            )  # fmt: skip
        rows.upsert(cur, t["audit_trail"], COLUMNS, ("position",), lines)


# Queries


def trail_page(
    conn: psycopg.Connection[Any],
    account_id: UUID,
    after: int | None,
    first: int,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[dict[str, Any]]:
    """Up to `first + 1` events of the account, oldest first, after position `after`,
    optionally recorded within [since, until]."""
    return rows.dicts(
        conn,
        "SELECT * FROM audit_trail WHERE account_id = %s"
        " AND (%s::bigint IS NULL OR position > %s)"
        " AND (%s::timestamptz IS NULL OR at >= %s) AND (%s::timestamptz IS NULL OR at <= %s)"
        " ORDER BY position LIMIT %s",
        (account_id, after, after, since, since, until, until, first + 1),
    )


def trail_entry(
    conn: psycopg.Connection[Any], account_id: UUID, position: int
) -> dict[str, Any] | None:
    """One event of the account's trail by its ledger position."""
    query = "SELECT * FROM audit_trail WHERE account_id = %s AND position = %s"
    return conn.cursor(row_factory=dict_row).execute(query, (account_id, position)).fetchone()
