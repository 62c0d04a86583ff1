"""terminal_reports: per school-local day and terminal, what it sold, net of reversals; per
school and day, the refunds paid and the subsidised wallet (credited, spent, meals).

Counters are per-batch deltas added to the rows; distinct participants are counted by
inserting (school, date, terminal, pupil) rows and counting the ones that were new.
"""

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any, ClassVar
from uuid import UUID

from psycopg import Cursor

from domain.account import Account
from domain.kinds import Outcome, TerminalKind
from domain.tap import Tap
from projections import rows
from projections.base import Projection, Tables, Tracked
from projections.directory import Directory

TERMINAL_DAY = (
    ("school_id", "uuid"),
    ("local_date", "date"),
    ("terminal_id", "uuid"),
    ("gross", "bigint"),
    ("reversals", "bigint"),
    ("operations", "integer"),
    ("declines", "integer"),
    ("meals", "integer"),
    ("participants", "integer"),
)
PUPILS = (
    ("school_id", "uuid"),
    ("local_date", "date"),
    ("terminal_id", "uuid"),
    ("account_id", "uuid"),
)
SCHOOL_DAY = (
    ("school_id", "uuid"),
    ("local_date", "date"),
    ("refunds", "integer"),
    ("refunded", "bigint"),
    ("subsidy_credits", "integer"),
    ("subsidy_credited", "bigint"),
    ("subsidised_spent", "bigint"),
    ("subsidised_meals", "integer"),
    ("subsidised_pupils", "integer"),
)
SUBSIDISED = (("school_id", "uuid"), ("local_date", "date"), ("account_id", "uuid"))


def credited_day(period: str, at: datetime) -> date:
    try:
        return date.fromisoformat(period)
    except ValueError:  # a credit for a month or another period: the day it was made
        return at.date()


def meals_in(items: Sequence[dict[str, Any]]) -> int:
    return sum(int(i.get("quantity", 1)) for i in items if i.get("meal"))


class TerminalReports(Projection):
    name = "terminal_reports"
    reads = (Tap.Decided, Account.ChargeReversed, Account.RefundPaid, Account.SubsidyCredited)
    tables: ClassVar[Mapping[str, str]] = {
        "terminal_days": "school_id uuid NOT NULL, local_date date NOT NULL,"
        " terminal_id uuid NOT NULL, gross bigint NOT NULL, reversals bigint NOT NULL,"
        " operations integer NOT NULL, declines integer NOT NULL, meals integer NOT NULL,"
        " participants integer NOT NULL, PRIMARY KEY (school_id, local_date, terminal_id)",
        "terminal_day_pupils": "school_id uuid NOT NULL, local_date date NOT NULL,"
        " terminal_id uuid NOT NULL, account_id uuid NOT NULL,"
        " PRIMARY KEY (school_id, local_date, terminal_id, account_id)",
        "school_money_days": "school_id uuid NOT NULL, local_date date NOT NULL,"
        " refunds integer NOT NULL, refunded bigint NOT NULL, subsidy_credits integer NOT NULL,"
        " subsidy_credited bigint NOT NULL, subsidised_spent bigint NOT NULL,"
        " subsidised_meals integer NOT NULL, subsidised_pupils integer NOT NULL,"
        " PRIMARY KEY (school_id, local_date)",
        "subsidised_day_pupils": "school_id uuid NOT NULL, local_date date NOT NULL,"
        " account_id uuid NOT NULL, PRIMARY KEY (school_id, local_date, account_id)",
    }

    def apply(
        self, cur: Cursor[Any], t: Tables, batch: Sequence[Tracked], directory: Directory
    ) -> None:
        days: dict[tuple[Any, ...], list[int]] = defaultdict(lambda: [0] * 6)
        money: dict[tuple[Any, ...], list[int]] = defaultdict(lambda: [0] * 7)
        pupils: set[tuple[Any, ...]] = set()
        subsidised: set[tuple[Any, ...]] = set()
        for tracked in batch:
            e = tracked.event
            if isinstance(e, Tap.Decided):
                d = e.decision
                key = (e.school_id, date.fromisoformat(d["local_date"]), e.terminal_id)
                if d.get("kind") == TerminalKind.KIOSK.value:
                    continue
                if d.get("outcome") != Outcome.APPROVED.value:
                    days[key][3] += 1
                    continue
                days[key][0] += int(d.get("amount") or 0)
                days[key][2] += 1
                meals = meals_in(d.get("items") or [])
                days[key][4] += meals
                if d.get("account_id"):
                    pupils.add((*key, UUID(d["account_id"])))
                if int(d.get("from_subsidised") or 0) > 0:
                    money[key[:2]][4] += int(d["from_subsidised"])
                    money[key[:2]][5] += meals
                    subsidised.add((*key[:2], UUID(d["account_id"])))
                continue
            entry = directory.account(cur, e.originator_id)
            if isinstance(e, Account.ChargeReversed):
                day = date.fromisoformat(e.local_date)
                days[(entry.school_id, day, e.terminal_id)][1] += e.amount
            elif isinstance(e, Account.RefundPaid):
                sums = money[(entry.school_id, entry.local(e.timestamp).date())]
                sums[0] += 1
                sums[1] += e.amount
            else:  # a daily credit counts on the day it is for (domain.subsidy)
                sums = money[(entry.school_id, credited_day(e.period, entry.local(e.timestamp)))]
                sums[2] += 1
                sums[3] += e.amount
        for new in rows.insert_new(cur, t["terminal_day_pupils"], PUPILS,
                                   sorted(pupils, key=str)):  # fmt: skip
            days[new[:3]][5] += 1
        for new in rows.insert_new(cur, t["subsidised_day_pupils"], SUBSIDISED,
                                   sorted(subsidised, key=str)):  # fmt: skip
            money[new[:2]][6] += 1
        rows.add(cur, t["terminal_days"], TERMINAL_DAY, [c for c, _ in TERMINAL_DAY[:3]],
                 sorted(((*k, *v) for k, v in days.items()), key=str))  # fmt: skip
        rows.add(cur, t["school_money_days"], SCHOOL_DAY, [c for c, _ in SCHOOL_DAY[:2]],
                 sorted(((*k, *v) for k, v in money.items()), key=str))  # fmt: skip
