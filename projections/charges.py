"""charges: every charge of an account with its evidence, for the parent's "why was I
charged?" over any period (issue 12 point 6).

A charge is an approved purchase that took money, from its `Tap.Decided` record, as in
`casework`: judged the same way (`projections/evidence.py`): inside or not at that moment by
the passes recorded before it, the school open or closed, the photo check, offline facts, the
flags. Each row also keeps the terminal's name as it was then, the items, how the wallets
paid, the till operator's choice of wallet, and the state of a dispute on it.
"""

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, ClassVar
from uuid import UUID

import psycopg
from psycopg import Cursor

from domain.account import Account
from domain.dispute import charge_key
from domain.fleet import TerminalRenamed
from domain.kinds import DisputeStatus
from domain.school import School
from domain.tap import Tap
from projections import rows
from projections.base import Tables, Tracked
from projections.directory import Directory
from projections.evidence import CALENDARS_DDL, EVENTS, PASSES_DDL, ChargeEvidence

COLUMNS = (
    ("account_id", "uuid"),
    ("charge_key", "text"),
    ("local_date", "date"),
    ("tapped_at", "timestamptz"),
    ("terminal_id", "uuid"),
    ("terminal_kind", "text"),
    ("terminal_name", "text"),
    ("amount", "bigint"),
    ("from_regular", "bigint"),
    ("from_subsidised", "bigint"),
    ("paying_wallet", "text"),
    ("offline", "boolean"),
    ("items", "jsonb"),
    ("inside", "boolean"),
    ("school_open", "boolean"),
    ("photo_check", "text"),
    ("flags", "jsonb"),
    ("evidence", "jsonb"),
    ("position", "bigint"),
)
NAMES = (("terminal_id", "uuid"), ("label", "text"))
ONE_DAY = timedelta(days=1)
CHARGE_LINE = "SELECT * FROM charges WHERE account_id = %s"
DISPUTES = {
    Account.ChargeDisputed: DisputeStatus.OPEN,
    Account.ChargeReversed: DisputeStatus.REVERSED,
    Account.DisputeRejected: DisputeStatus.REJECTED,
}


class Charges(ChargeEvidence):
    name = "charges"
    passes, calendars = "charge_passes", "charge_calendars"
    reads = (*EVENTS, School.TerminalRegistered, TerminalRenamed, *DISPUTES)
    tables: ClassVar[Mapping[str, str]] = {
        "charges": "account_id uuid NOT NULL, charge_key text NOT NULL,"
        " local_date date NOT NULL, tapped_at timestamptz NOT NULL, terminal_id uuid NOT NULL,"
        " terminal_kind text NOT NULL, terminal_name text, amount bigint NOT NULL,"
        " from_regular bigint NOT NULL, from_subsidised bigint NOT NULL, paying_wallet text,"
        " offline boolean NOT NULL, items jsonb NOT NULL, inside boolean NOT NULL,"
        " school_open boolean NOT NULL, photo_check text, flags jsonb NOT NULL,"
        " evidence jsonb NOT NULL, position bigint NOT NULL, dispute_status text,"
        " PRIMARY KEY (account_id, charge_key)",
        "charge_passes": PASSES_DDL,
        "charge_calendars": CALENDARS_DDL,
        "charge_terminals": "terminal_id uuid PRIMARY KEY, label text NOT NULL",
    }
    indexes: ClassVar[Mapping[str, Sequence[str]]] = {
        "charges": ("account_id, tapped_at, position",)
    }

    def apply(
        self, cur: Cursor[Any], t: Tables, batch: Sequence[Tracked], directory: Directory
    ) -> None:
        charges = self.record(cur, t, batch)
        named_then = self.names(cur, t, batch)
        lines = []
        for j in self.judge(cur, t, charges, directory):
            e, d = j.event, j.event.decision
            lines.append((
                j.account_id, charge_key(e.terminal_id, d["tap_id"]), j.day, e.tapped_at,
                e.terminal_id, d.get("kind"), named_then.get(j.position), int(d["amount"]),
                int(d.get("from_regular") or 0), int(d.get("from_subsidised") or 0),
                d.get("paying_wallet"), bool(d.get("offline")), d.get("items") or [], j.inside,
                j.school_open, d.get("photo_check"), j.flags, j.evidence, j.position,
            ))  # fmt: skip
        rows.insert_new(cur, t["charges"], COLUMNS, lines)
        for tracked in batch:  # after the charges: a dispute always follows its charge
            e = tracked.event
            status = DISPUTES.get(type(e))
            if status is not None:
                cur.execute(
                    t.sql(
                        "UPDATE {charges} SET dispute_status = %s"
                        " WHERE account_id = %s AND charge_key = %s"
                    ),
                    (status, e.originator_id, e.charge),
                )

    def names(self, cur: Cursor[Any], t: Tables, batch: Sequence[Tracked]) -> dict[int, str]:
        """Each charge's terminal name as it was at the charge (position → name), walking the
        batch in order; the names known after it are stored."""
        wanted = {b.event.terminal_id for b in batch if isinstance(b.event, Tap.Decided)}
        known = rows.fetch(cur, t["charge_terminals"], NAMES, "terminal_id", wanted)
        labels = {tid: row[1] for tid, row in known.items()}
        changed: dict[UUID, str] = {}
        then: dict[int, str] = {}
        for tracked in batch:
            e = tracked.event
            if isinstance(e, School.TerminalRegistered | TerminalRenamed):
                labels[e.terminal_id] = changed[e.terminal_id] = e.label
            elif isinstance(e, Tap.Decided) and e.terminal_id in labels:
                then[tracked.position] = labels[e.terminal_id]
        rows.upsert(cur, t["charge_terminals"], NAMES, ("terminal_id",), list(changed.items()))
        return then


def utc_span(since: date, until: date) -> tuple[datetime, datetime]:
    """UTC instants that hold every moment of the school-local days [since, until] in any
    zone (offsets are within a day), so the index on `tapped_at` serves the range too."""
    return (
        datetime.combine(since - ONE_DAY, time(), UTC),
        datetime.combine(until + 2 * ONE_DAY, time(), UTC),
    )


def charges_page(
    conn: psycopg.Connection[Any],
    account_id: UUID,
    since: date,
    until: date,
    after: tuple[datetime, int] | None,
    first: int,
    *,
    terminal_kinds: Sequence[str] | None = None,
    flagged_only: bool = False,
    dispute_statuses: Sequence[str] | None = None,
    min_amount: int | None = None,
    max_amount: int | None = None,
) -> list[dict[str, Any]]:
    """Up to `first + 1` of an account's charges within school-local dates, newest first, past
    the key (tapped at, position) `after`, filtered: by terminal kind, flagged only, by dispute
    status ("none" for undisputed), by amount (inclusive)."""
    statuses = list(dispute_statuses) if dispute_statuses is not None else None
    past = after or (None, None)
    return rows.dicts(
        conn,
        CHARGE_LINE + " AND local_date BETWEEN %s AND %s AND tapped_at >= %s AND tapped_at < %s"
        " AND (%s::timestamptz IS NULL OR (tapped_at, position) < (%s::timestamptz, %s::bigint))"
        " AND (%s::text[] IS NULL OR terminal_kind = ANY(%s))"
        " AND (NOT %s OR jsonb_array_length(flags) > 0)"
        " AND (%s::text[] IS NULL OR coalesce(dispute_status, 'none') = ANY(%s))"
        " AND (%s::bigint IS NULL OR amount >= %s) AND (%s::bigint IS NULL OR amount <= %s)"
        " ORDER BY tapped_at DESC, position DESC LIMIT %s",
        (account_id, since, until, *utc_span(since, until), past[0], past[0], past[1],
         terminal_kinds, terminal_kinds, flagged_only, statuses, statuses,
         min_amount, min_amount, max_amount, max_amount, first + 1),
    )  # fmt: skip


def charge_of(
    conn: psycopg.Connection[Any], account_id: UUID, charge_key: str
) -> dict[str, Any] | None:
    """One charge of an account by its key."""
    found = rows.dicts(conn, CHARGE_LINE + " AND charge_key = %s", (account_id, charge_key))
    return found[0] if found else None
