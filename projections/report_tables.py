"""Every school report as one table (column names, rows of text cells): GraphQL serves the
table, and its CSV is the same cells, so the two cannot disagree.

Amounts are kopecks (integers); dates are school-local ISO dates.
"""

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

import psycopg


class ReportKind(StrEnum):
    TERMINALS = "terminals"
    TOPUPS = "topups"
    SUBSIDIES = "subsidies"
    FLOAT = "float"
    UNRETURNED = "unreturned"


KINDS = tuple(ReportKind)


@dataclass(frozen=True)
class Table:
    kind: str
    columns: list[str]
    rows: list[list[str]]

    def csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(self.columns)
        writer.writerows(self.rows)
        return out.getvalue()


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value)


def table(kind: str, cur: Any) -> Table:
    columns = [c.name for c in cur.description or ()]
    return Table(kind, columns, [[cell(v) for v in row] for row in cur.fetchall()])


def period(per_day: bool, column: str, since: date, until: date) -> tuple[str, list[Any]]:
    """A report's first columns, with their parameters: the day of each row (`per_day`), else
    the period asked for."""
    if per_day:
        return f"{column} AS date,", []
    return "%s::date AS since, %s::date AS until,", [since, until]


def pupils(per_day: bool, summed: str, days: str, params: list[Any]) -> tuple[str, list[Any]]:
    """How many pupils a row counts, with its parameters: a day's row sums the column `summed`;
    a period's row counts the distinct pupils of the `days` table (`FROM` on, its WHERE included)
    in the period, since the days' counts would count a pupil once a day."""
    if per_day:
        return f"sum({summed})", []
    return f"(SELECT count(DISTINCT account_id) FROM {days})", params  # noqa: S608 - constant


# The days' pupils that `pupils` counts over a period: a terminal's (of the row `d`), and the
# school's subsidised ones; their parameters are the period (and the school).
TERMINAL_PUPILS = (
    "terminal_day_pupils p WHERE p.school_id = d.school_id AND p.terminal_id = d.terminal_id"
    " AND p.local_date BETWEEN %s AND %s"
)
SUBSIDISED_PUPILS = "subsidised_day_pupils WHERE school_id = %s AND local_date BETWEEN %s AND %s"


def terminals(
    conn: psycopg.Connection[Any], school: UUID, since: date, until: date, per_day: bool
) -> Table:
    """Per terminal: turnover, operations, meals, declines and the pupils who used it."""
    day, params = period(per_day, "d.local_date", since, until)
    group = "d.local_date," if per_day else ""
    participants, pupil_params = pupils(per_day, "d.participants", TERMINAL_PUPILS, [since, until])
    query = (
        f"SELECT {day} d.terminal_id, coalesce(f.label, '') AS terminal_name,"  # noqa: S608 - constant fragments
        " coalesce(f.kind, '') AS terminal_kind, sum(d.gross - d.reversals) AS turnover,"
        " sum(d.gross) AS gross, sum(d.reversals) AS reversals,"
        " sum(d.operations) AS operations, sum(d.meals) AS meals_served,"
        f" sum(d.declines) AS declines, {participants} AS participants"
        " FROM terminal_days d LEFT JOIN fleet f USING (terminal_id)"
        " WHERE d.school_id = %s AND d.local_date BETWEEN %s AND %s"
        f" GROUP BY {group} d.school_id, d.terminal_id, f.label, f.kind"
        f" ORDER BY {group} terminal_name, d.terminal_id"
    )
    return table(
        ReportKind.TERMINALS, conn.execute(query, [*params, *pupil_params, school, since, until])
    )


def topups(
    conn: psycopg.Connection[Any], school: UUID, since: date, until: date, per_day: bool
) -> Table:
    """Top-ups per channel with the commission; refunds paid as their own line (negative)."""
    day, params = period(per_day, "local_date", since, until)
    group = "local_date," if per_day else ""
    query = (
        f"SELECT {day} channel, sum(topups) AS operations, sum(amount) AS amount,"  # noqa: S608
        " sum(commission) AS commission FROM ("
        " SELECT local_date, channel, topups, amount, commission FROM school_topups"
        " WHERE school_id = %s AND local_date BETWEEN %s AND %s"
        " UNION ALL SELECT local_date, 'refund', refunds, -refunded, 0 FROM school_money_days"
        " WHERE school_id = %s AND local_date BETWEEN %s AND %s AND refunds > 0) m"
        f" GROUP BY {group} channel ORDER BY {group} channel"
    )
    args = [*params, school, since, until, school, since, until]
    return table(ReportKind.TOPUPS, conn.execute(query, args))


def subsidies(
    conn: psycopg.Connection[Any], school: UUID, since: date, until: date, per_day: bool
) -> Table:
    """The subsidised wallet for the budget: credited, spent on meals, meals, pupils fed."""
    day, params = period(per_day, "local_date", since, until)
    group = "GROUP BY local_date ORDER BY local_date" if per_day else ""
    fed, fed_params = pupils(
        per_day, "subsidised_pupils", SUBSIDISED_PUPILS, [school, since, until]
    )
    query = (
        f"SELECT {day} coalesce(sum(subsidy_credits), 0) AS credits,"  # noqa: S608
        " coalesce(sum(subsidy_credited), 0) AS credited,"
        " coalesce(sum(subsidised_spent), 0) AS spent,"
        f" coalesce(sum(subsidised_meals), 0) AS meals, coalesce({fed}, 0) AS pupils"
        f" FROM school_money_days WHERE school_id = %s AND local_date BETWEEN %s AND %s {group}"
    )
    return table(
        ReportKind.SUBSIDIES, conn.execute(query, [*params, *fed_params, school, since, until])
    )


def float_of(conn: psycopg.Connection[Any], school: UUID, *_: Any) -> Table:
    """Money held on the school's accounts now: the regular and subsidised wallets, debts."""
    return table(ReportKind.FLOAT, conn.execute(
        "SELECT count(*) AS accounts, coalesce(sum(greatest(regular, 0)), 0) AS regular,"
        " coalesce(sum(greatest(subsidised, 0)), 0) AS subsidised,"
        " coalesce(sum(least(regular, 0)), 0) AS debts,"
        " coalesce(sum(regular + subsidised), 0) AS total FROM balances WHERE school_id = %s",
        (school,),
    ))  # fmt: skip


def unreturned(conn: psycopg.Connection[Any], school: UUID, *_: Any) -> Table:
    """Balances not returned after an exit: contracts ended (or refunds under way) whose
    account still holds money."""
    return table(ReportKind.UNRETURNED, conn.execute(
        "SELECT r.contract_number, r.class_name, r.status, coalesce(r.refund_status, '')"
        " AS refund_status, b.regular, b.subsidised, r.left_at::date AS left_on,"
        " r.refund_requested_at::date AS refund_requested_on FROM roster r"
        " JOIN balances b USING (account_id) WHERE r.school_id = %s"
        " AND (r.status = 'left' OR r.refund_status IN ('requested', 'approved'))"
        " AND (b.regular <> 0 OR b.subsidised <> 0) ORDER BY r.left_at, r.contract_number",
        (school,),
    ))  # fmt: skip


REPORTS: dict[str, Callable[..., Table]] = {
    ReportKind.TERMINALS: terminals,
    ReportKind.TOPUPS: topups,
    ReportKind.SUBSIDIES: subsidies,
    ReportKind.FLOAT: float_of,
    ReportKind.UNRETURNED: unreturned,
}


def report(
    conn: psycopg.Connection[Any], kind: str, school: UUID, since: date, until: date, per_day: bool
) -> Table:
    return REPORTS[kind](conn, school, since, until, per_day)
