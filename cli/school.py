"""`infoshkola school …`: running a school from a shell (issue 11).

import-roster (a dry run unless --apply), promote, end-contract, move-class, setting,
approve-refund, pay-refund, credit-subsidies and report (CSV on stdout, the same table
GraphQL's `report` gives). Every command acts as `operator:cli`.
"""

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated
from uuid import UUID

import psycopg
import typer

from adapters.people import PeopleStore
from app.composition import Container, bootstrap
from domain import casework, registrar, roster, school_settings
from domain.errors import DomainError
from domain.recorded import acting_as
from domain.subsidy import credit_daily_allowance
from projections import report_tables

school_app = typer.Typer(no_args_is_help=True, help="Enrolment, settings, refunds, reports")
ACTOR = "operator:cli"


@contextmanager
def session() -> Iterator[Container]:
    container = bootstrap()
    try:
        with acting_as(ACTOR):
            yield container
    except DomainError as error:
        typer.echo(f"error [{error.code}]: {error}", err=True)
        raise typer.Exit(2) from None
    finally:
        container.close()


@school_app.command("import-roster")
def import_roster(
    school: UUID,
    csv_file: Path,
    apply: Annotated[bool, typer.Option(help="import (without it: a dry run)")] = False,
) -> None:
    """Check a roster CSV line by line; with --apply, import the good lines."""
    with session() as container:
        people = PeopleStore(container.database_url)
        people.create_tables()
        content = csv_file.read_text(encoding="utf-8-sig")
        report = roster.import_roster(container.ledger, school, content, people.put,
                                      people.erase, dry_run=not apply)  # fmt: skip
        for line in report.lines:
            if line.status == "refused":
                typer.echo(f"line {line.line} {line.contract_number}: refused [{line.code}] "
                           f"{line.reason}")  # fmt: skip
        verb = "would import" if report.dry_run else "imported"
        typer.echo(f"{verb} {report.accepted}, refused {report.refused}")


@school_app.command("promote")
def promote(school: UUID, year: Annotated[int, typer.Option()], final_grade: int = 11) -> None:
    """Every class up one grade for the school year starting YEAR; the last grade leaves."""
    with session() as container:
        done = registrar.promote_school(container.ledger, school, year, final_grade)
        if done.already_done:
            typer.echo(f"the school was already promoted for {year}")
            return
        typer.echo(f"moved {len(done.moved)}, graduated {len(done.graduated)}, "
                   f"skipped {len(done.skipped)}")  # fmt: skip
        for account_id, why in done.skipped:
            typer.echo(f"skipped {account_id}: {why}")


@school_app.command("end-contract")
def end_contract(contract: str, reason: Annotated[str, typer.Option()] = "left") -> None:
    """The pupil leaves: cards stop, the balance's refund is requested fee-free."""
    with session() as container:
        ledger = container.ledger
        registrar.end_contract(ledger, ledger.account_id_for_contract(contract), reason)
        typer.echo(f"contract {contract} ended")


@school_app.command("move-class")
def move_class(contract: str, class_name: str, reason: str = "transfer") -> None:
    with session() as container:
        ledger = container.ledger
        registrar.move_class(ledger, ledger.account_id_for_contract(contract), class_name, reason)
        typer.echo(f"contract {contract} is in {class_name}")


@school_app.command("setting")
def setting(
    school: UUID,
    name: Annotated[
        str,
        typer.Argument(
            help="meal_overdraft, calendar, fee_pause, "
            "commission:<channel>, offline_cap, low_balance_default"
        ),
    ],
    value: Annotated[str, typer.Argument(help="the value as JSON")],
    effective_from: Annotated[str, typer.Option("--from", help="YYYY-MM-DD")],
) -> None:
    """Schedule a change of a school setting from a date on (today or later)."""
    try:
        parsed = json.loads(value)
    except ValueError:
        raise typer.BadParameter('the value is JSON: 15000, [6, 7, 8], "0.03", …') from None
    with session() as container:
        school_settings.schedule_setting(container.ledger, school, name, parsed, effective_from)
        typer.echo(f"{name} = {value} from {effective_from}")


@school_app.command("approve-refund")
def approve_refund(contract: str) -> None:
    with session() as container:
        ledger = container.ledger
        casework.approve_refund(ledger, ledger.account_id_for_contract(contract))
        typer.echo(f"refund of {contract} approved")


@school_app.command("pay-refund")
def pay_refund(contract: str, payout_ref: Annotated[str, typer.Option()]) -> None:
    with session() as container:
        ledger = container.ledger
        casework.pay_refund(ledger, ledger.account_id_for_contract(contract), payout_ref, True)
        typer.echo(f"refund of {contract} paid: {payout_ref}")


@school_app.command("credit-subsidies")
def credit_subsidies(school: UUID, day: Annotated[str, typer.Option(help="YYYY-MM-DD")]) -> None:
    """Credit a school day's allowances by hand (the scheduler does it daily); once per pupil."""
    with session() as container:
        ledger = container.ledger
        outcomes: dict[str, int] = {}
        for account_id in casework.school_account_ids(ledger, school):
            found = credit_daily_allowance(ledger, account_id, date.fromisoformat(day))
            outcomes[found] = outcomes.get(found, 0) + 1
        typer.echo(" ".join(f"{k}={v}" for k, v in sorted(outcomes.items())))


@school_app.command("report")
def report(
    school: UUID,
    kind: Annotated[str, typer.Argument(help=", ".join(report_tables.KINDS))],
    since: Annotated[str | None, typer.Option(help="YYYY-MM-DD")] = None,
    until: Annotated[str | None, typer.Option(help="YYYY-MM-DD")] = None,
    total: Annotated[bool, typer.Option(help="one row per period, not per day")] = False,
) -> None:
    """A report as CSV on stdout: the same table GraphQL's `report` gives."""
    if kind not in report_tables.KINDS:
        raise typer.BadParameter(f"a report is one of {', '.join(report_tables.KINDS)}")
    with session() as container:
        today = container.ledger.school(school).local_date(container.ledger.clock())
        last = date.fromisoformat(until) if until else today
        first = date.fromisoformat(since) if since else last - timedelta(days=6)
        with psycopg.connect(container.database_url, autocommit=True) as conn:
            table = report_tables.report(conn, kind, school, first, last, not total)
        typer.echo(table.csv(), nl=False)


@school_app.command("terminate")
def terminate(school: UUID, reason: Annotated[str, typer.Option()]) -> None:
    """The school leaves the operator: every account's refund opens fee-free, approved."""
    with session() as container:
        done = casework.terminate_contract(container.ledger, school, reason)
        typer.echo(f"refunds opened {len(done.refunds_opened)}, "
                   f"closed at zero {len(done.closed_at_zero)}")  # fmt: skip
