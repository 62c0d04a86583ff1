"""casework: charges the history argues against, flagged as they are projected, and the
disputes of each school, for the staff's queues.

A charge (an approved purchase that took money, from its `Tap` record) is flagged when the
pupil was not inside by the turnstile's passes of that day so far, when the school was closed
that day (its calendar in effect then), when the card had been blocked before an offline tap,
when the operator saw another child than the card's photo, or when it is an offline debt (a
reader allowed what the server would have declined). Flags use the same rules as a dispute's
evidence (`domain.dispute.flags_for`), so what a parent sees on a charge is what staff see.
"""

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any, ClassVar
from uuid import UUID
from zoneinfo import ZoneInfo

import psycopg
from psycopg import Cursor
from psycopg.types.json import Jsonb

from domain.account import Account
from domain.dispute import Calendar, charge_key, flags_for
from domain.kinds import Outcome, TerminalKind
from domain.school import School
from domain.school_settings import CALENDAR, SettingScheduled
from domain.tap import Tap
from projections import rows
from projections.base import Projection, Tables, Tracked
from projections.directory import Directory

AFTER_BLOCK, OFFLINE_DEBT = "after_block", "offline_debt"
BASE = date(1, 1, 1)  # the calendar set directly: in effect until a scheduled one
PASSES = (
    ("account_id", "uuid"),
    ("local_date", "date"),
    ("tapped_at", "timestamptz"),
    ("direction", "text"),
    ("position", "bigint"),
)


class Casework(Projection):
    name = "casework"
    reads = (
        Tap.Decided,
        School.CalendarSet,
        SettingScheduled,
        Account.ChargeDisputed,
        Account.ChargeReversed,
        Account.DisputeRejected,
    )
    tables: ClassVar[Mapping[str, str]] = {
        "casework_passes": "account_id uuid NOT NULL, local_date date NOT NULL,"
        " tapped_at timestamptz NOT NULL, direction text NOT NULL, position bigint NOT NULL,"
        " PRIMARY KEY (account_id, local_date, tapped_at, direction)",
        "casework_calendars": "school_id uuid NOT NULL, effective_from date NOT NULL,"
        " weekend_days jsonb NOT NULL, holidays jsonb NOT NULL,"
        " PRIMARY KEY (school_id, effective_from)",
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
        charges: list[tuple[Any, int]] = []
        passes: list[tuple[UUID, date, datetime, str, int]] = []
        for tracked in batch:
            e = tracked.event
            if isinstance(e, Tap.Decided):
                d = e.decision
                if d.get("outcome") != Outcome.APPROVED.value or not d.get("account_id"):
                    continue
                if d.get("kind") == TerminalKind.TURNSTILE.value:
                    passes.append((UUID(d["account_id"]), date.fromisoformat(d["local_date"]),
                                   e.tapped_at, d.get("direction") or "in",
                                   tracked.position))  # fmt: skip
                elif int(d.get("amount") or 0) > 0:
                    charges.append((e, tracked.position))
            elif isinstance(e, School.CalendarSet):
                self.calendar(cur, t, e.originator_id, BASE, e.weekend_days, e.holidays)
            elif isinstance(e, SettingScheduled):
                if e.setting == CALENDAR:
                    self.calendar(cur, t, e.originator_id, date.fromisoformat(e.effective_from),
                                  e.value["weekend_days"], e.value["holidays"])  # fmt: skip
            elif isinstance(e, Account.ChargeDisputed):
                entry = directory.account(cur, e.originator_id)
                cur.execute(t.sql(
                    "INSERT INTO {casework_disputes} VALUES (%s, %s, %s, %s, %s, %s, %s, %s,"
                    " 'open', %s, NULL, NULL, %s) ON CONFLICT DO NOTHING"),
                    (e.originator_id, e.charge, entry.school_id, entry.contract_number,
                     date.fromisoformat(e.local_date), e.amount, e.claim, Jsonb(list(e.flags)),
                     e.timestamp, tracked.position),
                )  # fmt: skip
            elif isinstance(e, Account.ChargeReversed | Account.DisputeRejected):
                if isinstance(e, Account.ChargeReversed):
                    status, decision = "reversed", e.note
                else:
                    status, decision = "rejected", e.reason
                cur.execute(t.sql(
                    "UPDATE {casework_disputes} SET status = %s, decided_at = %s, decision = %s,"
                    " position = %s WHERE account_id = %s AND charge_key = %s"),
                    (status, e.timestamp, decision, tracked.position, e.originator_id, e.charge),
                )  # fmt: skip
        rows.insert_new(cur, t["casework_passes"], PASSES, sorted(set(passes), key=str))
        if charges:
            self.flag(cur, t, charges, directory)

    def calendar(
        self, cur: Cursor[Any], t: Tables, school: UUID, since: date, weekend: Any, holidays: Any
    ) -> None:
        cur.execute(t.sql(
            "INSERT INTO {casework_calendars} VALUES (%s, %s, %s, %s) ON CONFLICT"
            " (school_id, effective_from) DO UPDATE SET weekend_days = EXCLUDED.weekend_days,"
            " holidays = EXCLUDED.holidays"),
            (school, since, Jsonb(list(weekend)), Jsonb(list(holidays))),
        )  # fmt: skip

    def flag(
        self, cur: Cursor[Any], t: Tables, charges: list[tuple[Any, int]], directory: Directory
    ) -> None:
        """Flag the batch's charges: the passes and calendars they need, read at once."""
        accounts = [UUID(e.decision["account_id"]) for e, _ in charges]
        days = [date.fromisoformat(e.decision["local_date"]) for e, _ in charges]
        directory.load(cur, accounts)
        day_passes: dict[tuple[UUID, date], list[tuple[str, datetime, int]]] = defaultdict(list)
        for account_id, day, direction, tapped_at, position in cur.execute(t.sql(
            "SELECT p.account_id, p.local_date, p.direction, p.tapped_at, p.position"
            " FROM {casework_passes} p"
            " JOIN unnest(%s::uuid[], %s::date[]) AS w(account_id, local_date)"
            " USING (account_id, local_date) ORDER BY p.tapped_at"), (accounts, days),
        ).fetchall():  # fmt: skip
            day_passes[(account_id, day)].append((direction, tapped_at, position))
        schools = list({directory.account(cur, a).school_id for a in accounts})
        calendars: dict[UUID, list[tuple[date, Calendar]]] = defaultdict(list)
        for school_id, since, weekend, holidays in cur.execute(t.sql(
            "SELECT school_id, effective_from, weekend_days, holidays FROM {casework_calendars}"
            " WHERE school_id = ANY(%s) ORDER BY effective_from"), (schools,),
        ).fetchall():  # fmt: skip
            calendars[school_id].append((since, Calendar(tuple(weekend), frozenset(holidays))))
        flagged = []
        for (e, at), account_id, day in zip(charges, accounts, days, strict=True):
            d, entry = e.decision, directory.account(cur, account_id)
            # The passes recorded before the charge, whatever batch they came in, so a replay
            # and the live projection agree; inside means the last of those before it was "in".
            seen = [p for p in day_passes[(account_id, day)] if p[2] < at]
            before = [p for p in seen if p[1] <= e.tapped_at]
            inside = bool(before) and before[-1][0] == "in"
            in_effect = [c for since, c in calendars[entry.school_id] if since <= day]
            school_open = (in_effect[-1] if in_effect else Calendar()).is_open(day)
            flags = flags_for(inside, school_open, d.get("photo_check"))
            if d.get("after_block"):
                flags.append(AFTER_BLOCK)
            if d.get("offline") and d.get("reason"):
                flags.append(OFFLINE_DEBT)
            if not flags:
                continue
            evidence = {
                "local_time": local_time(e.tapped_at, entry.zone),
                "school_open": school_open,
                "inside": inside,
                "passes": [
                    {"direction": p[0], "local_time": local_time(p[1], entry.zone)} for p in seen
                ],
                "offline": bool(d.get("offline")),
                "online_reason": d.get("reason"),
                "photo_check": d.get("photo_check"),
                "items": d.get("items") or [],
            }
            flagged.append((
                account_id, charge_key(e.terminal_id, d["tap_id"]), entry.school_id,
                entry.contract_number, day, e.tapped_at, e.terminal_id, d.get("kind"),
                int(d["amount"]), Jsonb(flags), Jsonb(evidence), at,
            ))  # fmt: skip
        cur.executemany(t.sql(
            "INSERT INTO {casework_flags} VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT DO NOTHING"), flagged,
        )  # fmt: skip


def local_time(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")


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


def disputes_page(
    conn: psycopg.Connection[Any],
    school_id: UUID,
    statuses: Sequence[str],
    after: tuple[str, ...] | None,
    first: int,
) -> list[dict[str, Any]]:
    """Up to `first + 1` disputes, oldest first, past the key (opened at, charge key) `after`."""
    past = after or (None, None)
    return rows.dicts(conn,
        DISPUTE_LINE + "d.school_id = %s AND d.status = ANY(%s)"
        " AND (%s::text IS NULL OR (d.opened_at, d.charge_key) > (%s::timestamptz, %s::text))"
        " ORDER BY d.opened_at, d.charge_key LIMIT %s",
        (school_id, list(statuses), past[0], past[0], past[1], first + 1),
    )  # fmt: skip


def dispute_case(conn: psycopg.Connection[Any], charge_key: str) -> dict[str, Any] | None:
    found = rows.dicts(conn, DISPUTE_LINE + "d.charge_key = %s LIMIT 1", (charge_key,))
    return found[0] if found else None
