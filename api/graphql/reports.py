"""School reports as tables with their CSV (issue 11), and menu feedback per day and dish.

A report is one `projections.report_tables.Table`: the GraphQL rows and the CSV are the same
cells, so they cannot disagree.
"""

from datetime import date, timedelta
from enum import Enum
from uuid import UUID

import strawberry
from strawberry.types import Info

from api.graphql import permissions as perm
from api.graphql.context import Context
from api.graphql.queries import bad_input, caught_up
from api.graphql.readmodels import school_today
from api.graphql.scalars import AtLeast
from projections import menu_feedback, report_tables

MAX_REPORT_DAYS = 366
READ_MODELS = {
    report_tables.TERMINALS: ["terminal_reports", "roster"],
    report_tables.TOPUPS: ["school_reports", "terminal_reports"],
    report_tables.SUBSIDIES: ["terminal_reports"],
    report_tables.FLOAT: ["balances"],
    report_tables.UNRETURNED: ["roster", "balances"],
}


@strawberry.enum
class ReportKind(Enum):
    TERMINALS = report_tables.TERMINALS  # turnover net of reversals, meals, declines, pupils
    TOPUPS = report_tables.TOPUPS  # per channel with commission; refunds paid as a line
    SUBSIDIES = report_tables.SUBSIDIES  # the subsidised wallet, for the budget
    FLOAT = report_tables.FLOAT  # money held on the school's accounts now
    UNRETURNED = report_tables.UNRETURNED  # balances not returned after exits


@strawberry.type
class ReportTable:
    kind: ReportKind
    since: date
    until: date
    per_day: bool
    columns: list[str]
    rows: list[list[str]]
    csv: str


@strawberry.type
class FeedbackDay:
    date: date
    ratings: int
    average: str
    all_ratings: list[int]
    comments: list[str]


@strawberry.type
class DishFeedback:
    code: str
    name: str
    days: int
    ratings: int
    average: str


@strawberry.type
class MenuFeedbackSummary:
    school_id: UUID
    since: date
    until: date
    days: list[FeedbackDay]
    dishes: list[DishFeedback]


def period(since: date | None, until: date | None, today: date, default: int) -> tuple[date, date]:
    until = until or today
    since = since or until - timedelta(days=default - 1)
    if since > until:
        raise bad_input("since is after until")
    if (until - since).days >= MAX_REPORT_DAYS:
        raise bad_input(f"at most {MAX_REPORT_DAYS} days at once")
    return since, until


@strawberry.type
class ReportsQuery:
    @strawberry.field(
        description="Staff: a school report over any period (per day, or summed), with its CSV."
    )
    async def report(
        self,
        info: Info[Context, None],
        school: UUID,
        kind: ReportKind,
        since: date | None = None,
        until: date | None = None,
        per_day: bool = True,
        at_least: AtLeast = None,
    ) -> ReportTable:
        await perm.school(info, "Query.report", school)
        services = info.context.services
        today = await services.read(school_today, school, services.now())
        since, until = period(since, until, today, 7)
        await caught_up(info, READ_MODELS[kind.value], at_least)
        found = await services.read(report_tables.report, kind.value, school, since, until, per_day)
        return ReportTable(
            kind=kind,
            since=since,
            until=until,
            per_day=per_day,
            columns=found.columns,
            rows=found.rows,
            csv=found.csv(),
        )

    @strawberry.field(description="The canteen and the school: menu ratings per day and dish.")
    async def menu_feedback(
        self,
        info: Info[Context, None],
        school: UUID,
        since: date | None = None,
        until: date | None = None,
        at_least: AtLeast = None,
    ) -> MenuFeedbackSummary:
        await perm.school(info, "Query.menuFeedback", school)
        services = info.context.services
        today = await services.read(school_today, school, services.now())
        since, until = period(since, until, today, 31)
        await caught_up(info, ["menu_feedback", "menus"], at_least)
        days = await services.read(menu_feedback.per_day, school, since, until)
        dishes = await services.read(menu_feedback.per_dish, school, since, until)
        return MenuFeedbackSummary(
            school_id=school,
            since=since,
            until=until,
            days=[
                FeedbackDay(
                    date=d["menu_date"],
                    ratings=d["ratings"],
                    average=d["average"],
                    all_ratings=list(d["all_ratings"]),
                    comments=list(d["comments"]),
                )
                for d in days
            ],
            dishes=[
                DishFeedback(
                    code=d["code"] or "",
                    name=d["name"] or "",
                    days=d["days"],
                    ratings=d["ratings"],
                    average=d["average"],
                )
                for d in dishes
            ],
        )
