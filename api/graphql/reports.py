"""School reports as tables with their CSV (issue 11), and menu feedback per day and dish.

A report is one `projections.report_tables.Table`: the GraphQL rows and the CSV are the same
cells, so they cannot disagree.
"""

import datetime as dt
from datetime import date
from typing import Annotated
from uuid import UUID

import strawberry
from strawberry.types import Info

from api.graphql.arguments import AtLeast, SchoolId, Since, Until
from api.graphql.context import Context
from api.graphql.enums import ReportKind
from api.graphql.queries import caught_up, school_period, school_period_field
from api.graphql.types import from_row
from projections import menu_feedback, report_tables

MAX_REPORT_DAYS = 366
READ_MODELS = {
    ReportKind.TERMINALS: ["terminal_reports", "roster"],
    ReportKind.TOPUPS: ["school_reports", "terminal_reports"],
    ReportKind.SUBSIDIES: ["terminal_reports"],
    ReportKind.FLOAT: ["balances"],
    ReportKind.UNRETURNED: ["roster", "balances"],
}


@strawberry.type(description="A school report as a table, with its CSV.")
class ReportTable:
    kind: ReportKind = strawberry.field(description="Which report.")
    since: date = strawberry.field(description="The first day.")
    until: date = strawberry.field(description="The last day.")
    per_day: bool = strawberry.field(description="A row per day, else one summed row.")
    columns: list[str] = strawberry.field(description="The column names.")
    rows: list[list[str]] = strawberry.field(description="The rows, cells as text.")
    csv: str = strawberry.field(description="The same table as CSV.")


@strawberry.type(description="Ratings of one day's menu.")
class FeedbackDay:
    date: dt.date = strawberry.field(description="The school-local date.")
    ratings: int = strawberry.field(description="How many ratings.")
    average: str = strawberry.field(description="The mean rating, as a decimal string.")
    all_ratings: list[int] = strawberry.field(description="Every rating (1-5).")
    comments: list[str] = strawberry.field(description="The parents' comments.")


@strawberry.type(description="Ratings of one dish over the period.")
class DishFeedback:
    code: str = strawberry.field(description="The dish's code.")
    name: str = strawberry.field(description="The dish's name.")
    days: int = strawberry.field(description="Days it was on a rated menu.")
    ratings: int = strawberry.field(description="How many ratings.")
    average: str = strawberry.field(description="The mean rating, as a decimal string.")


@strawberry.type(description="Menu ratings over a period, per day and per dish.")
class MenuFeedbackSummary:
    school_id: UUID = strawberry.field(description="The school.")
    since: date = strawberry.field(description="The first day.")
    until: date = strawberry.field(description="The last day.")
    days: list[FeedbackDay] = strawberry.field(description="Per day.")
    dishes: list[DishFeedback] = strawberry.field(description="Per dish.")


async def feedback_of(
    info: Info[Context, None], school: UUID, since: date, until: date
) -> MenuFeedbackSummary:
    services = info.context.services
    days, dishes = await services.read(menu_feedback.ratings, school, since, until)
    return MenuFeedbackSummary(
        school_id=school,
        since=since,
        until=until,
        days=[
            from_row(
                FeedbackDay,
                d,
                date=d["menu_date"],
                all_ratings=list(d["all_ratings"]),
                comments=list(d["comments"]),
            )
            for d in days
        ],
        dishes=[
            from_row(DishFeedback, d, code=d["code"] or "", name=d["name"] or "") for d in dishes
        ],
    )


@strawberry.type
class ReportsQuery:
    @strawberry.field(
        description="Staff: a school report over any period (per day, or summed), with its CSV."
    )
    async def report(
        self,
        info: Info[Context, None],
        school: SchoolId,
        kind: Annotated[ReportKind, strawberry.argument(description="Which report.")],
        since: Since = None,
        until: Until = None,
        per_day: Annotated[
            bool,
            strawberry.argument(description="A row per school-local day; else one summed row."),
        ] = True,
        at_least: AtLeast = None,
    ) -> ReportTable:
        since, until = await school_period(
            info, "Query.report", school, since, until, 7, MAX_REPORT_DAYS
        )
        services = info.context.services
        await caught_up(info, READ_MODELS[kind], at_least)
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

    menu_feedback = school_period_field(
        "menuFeedback",
        MenuFeedbackSummary,
        "The canteen and the school: menu ratings per day and dish.",
        ["menu_feedback", "menus"],
        (31, MAX_REPORT_DAYS),
        feedback_of,
    )
