"""casework: charges the history argues against, flagged as they are projected, and the
disputes of each school, for the staff's queues.

A charge (an approved purchase that took money, from its `Tap` record) is flagged when the
pupil was not inside by the turnstile's passes of that day so far, when the school was closed
that day (its calendar in effect then), when the card had been blocked before an offline tap,
when the operator saw another child than the card's photo, or when it is an offline debt (a
reader allowed what the server would have declined). Flags use the same rules as a dispute's
evidence (`domain.dispute.flags_for`), so what a parent sees on a charge is what staff see.
"""

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any, ClassVar
from uuid import UUID

import psycopg
from psycopg import Cursor
from psycopg.types.json import Jsonb

from domain.account import Account
from domain.dispute import charge_key
from domain.kinds import DisputeStatus
from projections import rows
from projections.base import Tables, Tracked
from projections.directory import Directory
from projections.evidence import (
    AFTER_BLOCK,
    CALENDARS_DDL,
    EVENTS,
    OFFLINE_DEBT,
    PASSES_DDL,
    ChargeEvidence,
)

__all__ = ["AFTER_BLOCK", "OFFLINE_DEBT", "Casework"]


class Casework(ChargeEvidence):
    name = "casework"
    passes, calendars = "casework_passes", "casework_calendars"
    reads = (*EVENTS, Account.ChargeDisputed, Account.ChargeReversed, Account.DisputeRejected)
    tables: ClassVar[Mapping[str, str]] = {
        "casework_passes": PASSES_DDL,
        "casework_calendars": CALENDARS_DDL,
        "casework_flags": "account_id uuid NOT NULL, charge_key text NOT NULL,"
        " school_id uuid NOT NULL, contract_number text NOT NULL, local_date date NOT NULL,"
        " tapped_at timestamptz NOT NULL, terminal_id uuid NOT NULL, terminal_kind text NOT NULL,"
        " amount bigint NOT NULL, flags jsonb NOT NULL, evidence jsonb NOT NULL,"
        " position bigint NOT NULL, PRIMARY KEY (account_id, charge_key)",
        "casework_disputes": "account_id uuid NOT NULL, charge_key text NOT NULL,"
        " school_id uuid NOT NULL, contract_number text NOT NULL, local_date date NOT NULL,"
        " amount bigint NOT NULL, claim text NOT NULL, flags jsonb NOT NULL,"
        " status text NOT NULL, opened_at timestamptz NOT NULL, decided_at timestamptz,"
        " decision text, position bigint NOT NULL, PRIMARY KEY (account_id, charge_key)",
    }
    indexes: ClassVar[Mapping[str, Sequence[str]]] = {
        "casework_flags": (
            "school_id, local_date",
            "school_id, tapped_at, charge_key",
            "charge_key",
        ),
        "casework_disputes": ("school_id, status, opened_at, charge_key", "charge_key"),
    }

    def apply(
        self, cur: Cursor[Any], t: Tables, batch: Sequence[Tracked], directory: Directory
    ) -> None:
        charges = self.record(cur, t, batch)
        for tracked in batch:
            e = tracked.event
            if isinstance(e, Account.ChargeDisputed):
                entry = directory.account(cur, e.originator_id)
                cur.execute(t.sql(
                    "INSERT INTO {casework_disputes} VALUES (%s, %s, %s, %s, %s, %s, %s, %s,"
                    " %s, %s, NULL, NULL, %s) ON CONFLICT DO NOTHING"),
                    (e.originator_id, e.charge, entry.school_id, entry.contract_number,
                     date.fromisoformat(e.local_date), e.amount, e.claim, Jsonb(list(e.flags)),
                     DisputeStatus.OPEN, e.timestamp, tracked.position),
                )  # fmt: skip
            elif isinstance(e, Account.ChargeReversed | Account.DisputeRejected):
                if isinstance(e, Account.ChargeReversed):
                    status, decision = DisputeStatus.REVERSED, e.note
                else:
                    status, decision = DisputeStatus.REJECTED, e.reason
                cur.execute(t.sql(
                    "UPDATE {casework_disputes} SET status = %s, decided_at = %s, decision = %s,"
                    " position = %s WHERE account_id = %s AND charge_key = %s"),
                    (status, e.timestamp, decision, tracked.position, e.originator_id, e.charge),
                )  # fmt: skip
        flagged = [
            (
                j.account_id, charge_key(j.event.terminal_id, j.event.decision["tap_id"]),
                j.entry.school_id, j.entry.contract_number, j.day, j.event.tapped_at,
                j.event.terminal_id, j.event.decision.get("kind"),
                int(j.event.decision["amount"]), Jsonb(j.flags), Jsonb(j.evidence), j.position,
            )
            for j in self.judge(cur, t, charges, directory)
            if j.flags
        ]  # fmt: skip
        cur.executemany(t.sql(
            "INSERT INTO {casework_flags} VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT DO NOTHING"), flagged,
        )  # fmt: skip


FLAG_LINE = (
    "SELECT f.*, d.status AS dispute_status FROM casework_flags f LEFT JOIN"
    " casework_disputes d USING (account_id, charge_key) WHERE "
)


def flagged_page(
    conn: psycopg.Connection[Any],
    school_id: UUID,
    since: date,
    until: date,
    before: tuple[str, ...] | None,
    first: int,
) -> list[dict[str, Any]]:
    """Up to `first + 1` flagged charges of a school, newest first, before the key (tapped at,
    charge key) `before`, with whether a dispute is open on them."""
    past = before or (None, None)
    return rows.dicts(conn,
        FLAG_LINE + "f.school_id = %s AND f.local_date BETWEEN %s AND %s"
        " AND (%s::text IS NULL OR (f.tapped_at, f.charge_key) < (%s::timestamptz, %s::text))"
        " ORDER BY f.tapped_at DESC, f.charge_key DESC LIMIT %s",
        (school_id, since, until, past[0], past[0], past[1], first + 1),
    )  # fmt: skip


def flagged_charge(conn: psycopg.Connection[Any], charge_key: str) -> dict[str, Any] | None:
    found = rows.dicts(conn, FLAG_LINE + "f.charge_key = %s LIMIT 1", (charge_key,))
    return found[0] if found else None


def flags_of_account(
    conn: psycopg.Connection[Any], account_id: UUID, day: date
) -> dict[str, list[str]]:
    """Charge key → flags, for one account's charges of one day (shown to the parent)."""
    found = conn.execute(
        "SELECT charge_key, flags FROM casework_flags WHERE account_id = %s AND local_date = %s",
        (account_id, day),
    ).fetchall()
    return {key: list(flags) for key, flags in found}


DISPUTE_LINE = (
    "SELECT d.*, f.evidence FROM casework_disputes d LEFT JOIN casework_flags f USING"
    " (account_id, charge_key) WHERE "
)


# Up to `first + 1` disputes, oldest first, past the key (opened at, charge key) `after`.
disputes_page = rows.CaseQueue(
    DISPUTE_LINE, "d.school_id", "d.status", ("d.opened_at", "d.charge_key")
).page


def dispute_case(conn: psycopg.Connection[Any], charge_key: str) -> dict[str, Any] | None:
    found = rows.dicts(conn, DISPUTE_LINE + "d.charge_key = %s LIMIT 1", (charge_key,))
    return found[0] if found else None
