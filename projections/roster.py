"""roster: who is enrolled where and in which class, who left, and each account's refund
(the refund queue); fleet: every terminal with its name, state, last post and offline taps.

Both change row by row as the school office works, so each event is one statement.
"""

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar
from uuid import UUID

import psycopg
from psycopg import Cursor

from domain.account import Account
from domain.enrolment import ClassMoved, ContractEnded
from domain.fleet import TerminalRenamed
from domain.school import School
from domain.tap import Tap
from projections import rows
from projections.base import Projection, Tables, Tracked
from projections.directory import Directory


class Roster(Projection):
    name = "roster"
    reads = (
        Account.Opened,
        ClassMoved,
        ContractEnded,
        Account.AccountClosed,
        Account.RefundRequested,
        Account.RefundApproved,
        Account.RefundPaid,
        School.TerminalRegistered,
        School.TerminalRevoked,
        TerminalRenamed,
        Tap.Decided,
        Tap.ForeignCardRefused,
    )
    tables: ClassVar[Mapping[str, str]] = {
        "roster": "account_id uuid PRIMARY KEY, school_id uuid NOT NULL,"
        " contract_number text NOT NULL, class_name text NOT NULL, status text NOT NULL,"
        " opened_at timestamptz NOT NULL, left_at timestamptz, left_reason text,"
        " refund_status text, refund_amount bigint, refund_reason text, refund_fee_free boolean,"
        " refund_destination text, refund_requested_at timestamptz, refund_approved_at"
        " timestamptz, refund_paid_at timestamptz, refund_paid bigint, payout_ref text,"
        " position bigint NOT NULL",
        "fleet": "terminal_id uuid PRIMARY KEY, school_id uuid NOT NULL, kind text NOT NULL,"
        " label text NOT NULL, revoked boolean NOT NULL, registered_at timestamptz NOT NULL,"
        " last_post_at timestamptz, taps bigint NOT NULL DEFAULT 0,"
        " offline_taps bigint NOT NULL DEFAULT 0, last_offline_at timestamptz,"
        " last_offline_lag_seconds bigint",
    }
    indexes: ClassVar[Mapping[str, Sequence[str]]] = {
        "roster": (
            "contract_number",
            "school_id, class_name, contract_number",
            "school_id, refund_status, refund_requested_at, contract_number",
        ),
        "fleet": ("school_id, label, terminal_id",),
    }

    def apply(
        self, cur: Cursor[Any], t: Tables, batch: Sequence[Tracked], directory: Directory
    ) -> None:
        posts: dict[UUID, list[Any]] = {}  # terminal → [last post, taps, offline, last offline]
        for tracked in batch:
            e = tracked.event
            if isinstance(e, Tap.Decided):  # many per batch: summed, one statement a terminal
                post = posts.setdefault(e.terminal_id, [e.timestamp, 0, 0, None])
                post[0] = max(post[0], e.timestamp)
                post[1] += 1
                if e.decision.get("offline"):
                    post[2] += 1
                    post[3] = (e.timestamp, int((e.timestamp - e.tapped_at).total_seconds()))
            else:
                self.one(cur, t, e, tracked.position, directory)
        for terminal_id, (last, taps, offline, latest) in sorted(posts.items(), key=str):
            at, lag = latest or (None, None)
            cur.execute(t.sql(
                "UPDATE {fleet} SET last_post_at = greatest(last_post_at, %s), taps = taps + %s,"
                " offline_taps = offline_taps + %s,"
                " last_offline_at = coalesce(%s, last_offline_at),"
                " last_offline_lag_seconds = coalesce(%s, last_offline_lag_seconds)"
                " WHERE terminal_id = %s"),
                (last, taps, offline, at, lag, terminal_id),
            )  # fmt: skip

    def one(self, cur: Cursor[Any], t: Tables, e: Any, at: int, directory: Directory) -> None:
        if isinstance(e, Account.Opened):
            cur.execute(t.sql(
                "INSERT INTO {roster} (account_id, school_id, contract_number, class_name,"
                " status, opened_at, position) VALUES (%s, %s, %s, %s, 'enrolled', %s, %s)"
                " ON CONFLICT DO NOTHING"),
                (e.originator_id, e.school_id, e.contract_number, e.class_name, e.timestamp, at),
            )  # fmt: skip
        elif isinstance(e, ClassMoved):
            self.update(cur, t, e, at, "class_name = %s", e.class_name)
        elif isinstance(e, ContractEnded):
            self.update(cur, t, e, at, "status = 'left', left_at = %s, left_reason = %s",
                        e.timestamp, e.reason)  # fmt: skip
        elif isinstance(e, Account.AccountClosed):
            self.update(cur, t, e, at, "status = 'closed'")
        elif isinstance(e, Account.RefundRequested):
            self.update(cur, t, e, at,
                        "refund_status = 'requested', refund_amount = %s, refund_reason = %s,"
                        " refund_fee_free = %s, refund_destination = %s,"
                        " refund_requested_at = %s, refund_approved_at = NULL,"
                        " refund_paid_at = NULL, refund_paid = NULL, payout_ref = NULL",
                        e.amount, e.reason, e.fee_free, e.destination, e.timestamp)  # fmt: skip
        elif isinstance(e, Account.RefundApproved):
            self.update(cur, t, e, at, "refund_status = 'approved', refund_approved_at = %s",
                        e.timestamp)  # fmt: skip
        elif isinstance(e, Account.RefundPaid):
            self.update(cur, t, e, at, "refund_status = 'paid', refund_paid_at = %s,"
                        " refund_paid = %s, payout_ref = %s",
                        e.timestamp, e.amount, e.payout_ref)  # fmt: skip
        elif isinstance(e, School.TerminalRegistered):
            cur.execute(t.sql(
                "INSERT INTO {fleet} (terminal_id, school_id, kind, label, revoked,"
                " registered_at) VALUES (%s, %s, %s, %s, false, %s) ON CONFLICT DO NOTHING"),
                (e.terminal_id, e.originator_id, e.kind, e.label, e.timestamp),
            )  # fmt: skip
        elif isinstance(e, School.TerminalRevoked):
            cur.execute(t.sql("UPDATE {fleet} SET revoked = true WHERE terminal_id = %s"),
                        (e.terminal_id,))  # fmt: skip
        elif isinstance(e, TerminalRenamed):
            cur.execute(t.sql("UPDATE {fleet} SET label = %s WHERE terminal_id = %s"),
                        (e.label, e.terminal_id))  # fmt: skip

    @staticmethod
    def update(cur: Cursor[Any], t: Tables, e: Any, at: int, sets: str, *args: Any) -> None:
        statement = "UPDATE {roster} SET " + sets + ", position = %s WHERE account_id = %s"  # noqa: S608
        cur.execute(t.sql(statement), (*args, at, e.originator_id))


ROSTER_LINE = (
    "SELECT r.*, (SELECT count(*) FROM cards c WHERE c.account_id = r.account_id"
    " AND c.state <> 'blocked') AS cards FROM roster r WHERE "
)


def roster_page(
    conn: psycopg.Connection[Any],
    school_id: UUID,
    class_name: str | None,
    status: str | None,
    after: tuple[str, ...] | None,
    first: int,
) -> list[dict[str, Any]]:
    """Up to `first + 1` pupils by class and contract, past the key `after`."""
    past = after or (None, None)
    return rows.dicts(
        conn,
        ROSTER_LINE + "r.school_id = %s"
        " AND (%s::text IS NULL OR r.class_name = %s) AND (%s::text IS NULL OR r.status = %s)"
        " AND (%s::text IS NULL OR (r.class_name, r.contract_number) > (%s::text, %s::text))"
        " ORDER BY r.class_name, r.contract_number LIMIT %s",
        (school_id, class_name, class_name, status, status, past[0], past[0], past[1], first + 1),
    )


def roster_entry(conn: psycopg.Connection[Any], contract_number: str) -> dict[str, Any] | None:
    found = rows.dicts(conn, ROSTER_LINE + "r.contract_number = %s LIMIT 1", (contract_number,))
    return found[0] if found else None


REFUND_LINE = (
    "SELECT r.*, b.regular, b.subsidised FROM roster r LEFT JOIN balances b USING"
    " (account_id) WHERE "
)


def refund_case(conn: psycopg.Connection[Any], contract_number: str) -> dict[str, Any] | None:
    found = rows.dicts(
        conn,
        REFUND_LINE + "r.contract_number = %s AND r.refund_status IS NOT NULL LIMIT 1",
        (contract_number,),
    )
    return found[0] if found else None


# Up to `first + 1` refunds, oldest request first, past the key (requested at, contract)
# `after` (a refund's status and its request time are set together).
refunds_page = rows.CaseQueue(
    REFUND_LINE, "r.school_id", "r.refund_status", ("r.refund_requested_at", "r.contract_number")
).page


def fleet_page(
    conn: psycopg.Connection[Any], school_id: UUID, after: tuple[str, ...] | None, first: int
) -> list[dict[str, Any]]:
    """Up to `first + 1` terminals of a school by name, past the key (name, id) `after`."""
    past = after or (None, None)
    return rows.dicts(
        conn,
        "SELECT * FROM fleet WHERE school_id = %s"
        " AND (%s::text IS NULL OR (label, terminal_id) > (%s::text, %s::uuid))"
        " ORDER BY label, terminal_id LIMIT %s",
        (school_id, past[0], past[0], past[1], first + 1),
    )


def fleet_terminal(conn: psycopg.Connection[Any], terminal_id: str) -> dict[str, Any] | None:
    """One terminal by its id (None for a malformed id)."""
    try:
        key = UUID(terminal_id)
    except ValueError:
        return None
    found = rows.dicts(conn, "SELECT * FROM fleet WHERE terminal_id = %s", (key,))
    return found[0] if found else None
