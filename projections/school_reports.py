"""school_reports: school × local date × terminal kind → turnover, purchases, meals, pupils;
and school × local date × channel → top-ups and commission.

Counters are added as per-batch deltas; distinct pupils are counted by inserting
(school, date, kind, pupil) rows and counting the ones that were new.
"""

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any, ClassVar
from uuid import UUID

import psycopg
from psycopg import Cursor

from domain.account import Account
from domain.kinds import TerminalKind
from projections import rows
from projections.base import Projection, Tables, Tracked
from projections.directory import Directory
from projections.movements import MOVEMENTS, movement

REPORT = (
    ("school_id", "uuid"),
    ("local_date", "date"),
    ("terminal_kind", "text"),
    ("turnover", "bigint"),
    ("purchases", "integer"),
    ("declines", "integer"),
    ("meals_served", "integer"),
    ("passes", "integer"),
    ("pupils", "integer"),
)
PUPILS = (
    ("school_id", "uuid"),
    ("local_date", "date"),
    ("terminal_kind", "text"),
    ("account_id", "uuid"),
)
TOPUPS = (
    ("school_id", "uuid"),
    ("local_date", "date"),
    ("channel", "text"),
    ("topups", "integer"),
    ("amount", "bigint"),
    ("commission", "bigint"),
)
PURCHASES = frozenset({"purchase", "offline_purchase", "preorder_served"})  # served: paid before


class SchoolReports(Projection):
    name = "school_reports"
    reads = (Account.PassRecorded, *MOVEMENTS)
    tables: ClassVar[Mapping[str, str]] = {
        "school_reports": "school_id uuid NOT NULL, local_date date NOT NULL,"
        " terminal_kind text NOT NULL, turnover bigint NOT NULL, purchases integer NOT NULL,"
        " declines integer NOT NULL, meals_served integer NOT NULL, passes integer NOT NULL,"
        " pupils integer NOT NULL, PRIMARY KEY (school_id, local_date, terminal_kind)",
        "school_report_pupils": "school_id uuid NOT NULL, local_date date NOT NULL,"
        " terminal_kind text NOT NULL, account_id uuid NOT NULL,"
        " PRIMARY KEY (school_id, local_date, terminal_kind, account_id)",
        "school_topups": "school_id uuid NOT NULL, local_date date NOT NULL,"
        " channel text NOT NULL, topups integer NOT NULL, amount bigint NOT NULL,"
        " commission bigint NOT NULL, PRIMARY KEY (school_id, local_date, channel)",
    }

    def apply(
        self, cur: Cursor[Any], t: Tables, batch: Sequence[Tracked], directory: Directory
    ) -> None:
        directory.load(cur, [e.event.originator_id for e in batch])
        report: dict[tuple[Any, ...], list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0, 0])
        topups: dict[tuple[Any, ...], list[int]] = defaultdict(lambda: [0, 0, 0])
        pupils: set[tuple[Any, ...]] = set()
        for tracked in batch:
            e = tracked.event
            entry = directory.account(cur, e.originator_id)
            if isinstance(e, Account.PassRecorded):
                key = (
                    entry.school_id,
                    date.fromisoformat(e.local_date),
                    TerminalKind.TURNSTILE.value,
                )
                report[key][4] += 1
                pupils.add((*key, e.originator_id))
                continue
            moved = movement(e)
            if moved is None:
                continue
            day = (
                date.fromisoformat(moved.local_date)
                if moved.local_date
                else entry.local(moved.occurred_at).date()
            )
            if moved.kind == "top_up":
                sums = topups[(entry.school_id, day, moved.channel)]
                sums[0] += 1
                sums[1] += moved.amount
                sums[2] += moved.commission
            elif moved.terminal_kind is not None and (moved.kind in PURCHASES or moved.declined):
                key = (entry.school_id, day, moved.terminal_kind)
                if moved.declined:
                    report[key][2] += 1
                    continue
                report[key][0] -= moved.amount
                report[key][1] += 1
                if moved.terminal_kind == TerminalKind.CANTEEN_POS:
                    report[key][3] += sum(
                        int(i.get("quantity", 1)) for i in moved.items if i.get("meal")
                    )
                pupils.add((*key, e.originator_id))
        for new in rows.insert_new(cur, t["school_report_pupils"], PUPILS, sorted(pupils, key=str)):
            report[new[:3]][5] += 1
        rows.add(cur, t["school_reports"], REPORT, [c for c, _ in REPORT[:3]],
                 sorted(((*k, *v) for k, v in report.items()), key=str))  # fmt: skip
        rows.add(cur, t["school_topups"], TOPUPS, [c for c, _ in TOPUPS[:3]],
                 sorted(((*k, *v) for k, v in topups.items()), key=str))  # fmt: skip


def get_school_report(
    conn: psycopg.Connection[Any], school_id: UUID, day: date
) -> dict[str, list[dict[str, Any]]]:
    """One school-local day: per terminal kind, and top-ups per channel."""
    terminals = rows.dicts(
        conn,
        "SELECT * FROM school_reports WHERE school_id = %s AND local_date = %s"
        " ORDER BY terminal_kind",
        (school_id, day),
    )
    topups = rows.dicts(
        conn,
        "SELECT * FROM school_topups WHERE school_id = %s AND local_date = %s ORDER BY channel",
        (school_id, day),
    )
    return {"terminals": terminals, "topups": topups}
