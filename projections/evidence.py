"""The evidence of a charge, as it stood when the charge was projected: the turnstile passes
of that school day recorded before it (inside or not at that moment), the school's calendar
then (open or closed), the operator's photo check, offline facts and the flags they raise.

Two read models judge charges this way: `casework` (the flagged ones, for staff) and `charges`
(every charge, for parents). Each keeps its own passes and calendars, so each is rebuilt on
its own; `ChargeEvidence` is what they share: it records passes and calendars from a batch
and judges its charges against them, the same way whatever the batches.
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, ClassVar
from uuid import UUID
from zoneinfo import ZoneInfo

from psycopg import Cursor, sql
from psycopg.types.json import Jsonb

from domain.dispute import Calendar, flags_for
from domain.kinds import Outcome, TerminalKind
from domain.school import School
from domain.school_settings import CALENDAR, SettingScheduled
from domain.tap import Tap
from projections import rows
from projections.base import Projection, Tables, Tracked
from projections.directory import AccountEntry, Directory

AFTER_BLOCK, OFFLINE_DEBT = "after_block", "offline_debt"
BASE = date(1, 1, 1)  # the calendar set directly: in effect until a scheduled one
PASSES = (
    ("account_id", "uuid"),
    ("local_date", "date"),
    ("tapped_at", "timestamptz"),
    ("direction", "text"),
    ("position", "bigint"),
)
PASSES_DDL = (
    "account_id uuid NOT NULL, local_date date NOT NULL, tapped_at timestamptz NOT NULL,"
    " direction text NOT NULL, position bigint NOT NULL,"
    " PRIMARY KEY (account_id, local_date, tapped_at, direction)"
)
CALENDARS_DDL = (
    "school_id uuid NOT NULL, effective_from date NOT NULL, weekend_days jsonb NOT NULL,"
    " holidays jsonb NOT NULL, PRIMARY KEY (school_id, effective_from)"
)
EVENTS = (Tap.Decided, School.CalendarSet, SettingScheduled)


@dataclass(frozen=True)
class Judged:
    """One charge (an approved `Tap.Decided` that took money) and what it was judged on."""

    event: Any
    position: int
    account_id: UUID
    day: date
    entry: AccountEntry
    inside: bool
    school_open: bool
    flags: list[str]
    evidence: dict[str, Any]


class ChargeEvidence(Projection):
    """A read model that judges charges: `passes` and `calendars` name its own tables."""

    passes: ClassVar[str]
    calendars: ClassVar[str]

    def record(self, cur: Cursor[Any], t: Tables, batch: Sequence[Tracked]) -> list[Tracked]:
        """Store the batch's passes and calendars; return its charges, in order."""
        charges: list[Tracked] = []
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
                    charges.append(tracked)
            elif isinstance(e, School.CalendarSet):
                self.calendar(cur, t, e.originator_id, BASE, e.weekend_days, e.holidays)
            elif isinstance(e, SettingScheduled) and e.setting == CALENDAR:
                self.calendar(cur, t, e.originator_id, date.fromisoformat(e.effective_from),
                              e.value["weekend_days"], e.value["holidays"])  # fmt: skip
        rows.insert_new(cur, t[self.passes], PASSES, sorted(set(passes), key=str))
        return charges

    def calendar(
        self, cur: Cursor[Any], t: Tables, school: UUID, since: date, weekend: Any, holidays: Any
    ) -> None:
        cur.execute(
            sql.SQL(
                "INSERT INTO {} VALUES (%s, %s, %s, %s) ON CONFLICT (school_id, effective_from)"
                " DO UPDATE SET weekend_days = EXCLUDED.weekend_days, holidays = EXCLUDED.holidays"
            ).format(sql.Identifier(t[self.calendars])),
            (school, since, Jsonb(list(weekend)), Jsonb(list(holidays))),
        )

    def judge(
        self, cur: Cursor[Any], t: Tables, charges: Sequence[Tracked], directory: Directory
    ) -> list[Judged]:
        """Judge the batch's charges: the passes and calendars they need, read at once."""
        if not charges:
            return []
        accounts = [UUID(c.event.decision["account_id"]) for c in charges]
        days = [date.fromisoformat(c.event.decision["local_date"]) for c in charges]
        directory.load(cur, accounts)
        wanted = sorted(set(zip(accounts, days, strict=True)), key=str)  # each (account, day) once
        pairs = ([a for a, _ in wanted], [d for _, d in wanted])
        day_passes: dict[tuple[UUID, date], list[tuple[str, datetime, int]]] = defaultdict(list)
        for account_id, day, direction, tapped_at, position in cur.execute(sql.SQL(
            "SELECT p.account_id, p.local_date, p.direction, p.tapped_at, p.position"
            " FROM {} p JOIN unnest(%s::uuid[], %s::date[]) AS w(account_id, local_date)"
            " USING (account_id, local_date) ORDER BY p.tapped_at"
        ).format(sql.Identifier(t[self.passes])), pairs).fetchall():  # fmt: skip
            day_passes[(account_id, day)].append((direction, tapped_at, position))
        schools = list({directory.account(cur, a).school_id for a in accounts})
        calendars: dict[UUID, list[tuple[date, Calendar]]] = defaultdict(list)
        for school_id, since, weekend, holidays in cur.execute(sql.SQL(
            "SELECT school_id, effective_from, weekend_days, holidays FROM {}"
            " WHERE school_id = ANY(%s) ORDER BY effective_from"
        ).format(sql.Identifier(t[self.calendars])), (schools,)).fetchall():  # fmt: skip
            calendars[school_id].append((since, Calendar(tuple(weekend), frozenset(holidays))))
        judged = []
        for tracked, account_id, day in zip(charges, accounts, days, strict=True):
            e, at = tracked.event, tracked.position
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
            judged.append(
                Judged(e, at, account_id, day, entry, inside, school_open, flags, evidence)
            )
        return judged


def local_time(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")
