"""Subsidies (issue 11): the scheduler credits the daily allowance on school days, exactly once
per pupil and day however many schedulers run, nothing on a closed day; and the budget's
report of subsidised meals; and the school's low-balance default, which the feed applies."""

from datetime import date, datetime, time, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

import psycopg

from domain import school_settings
from domain.account import Account
from domain.kinds import TerminalKind
from domain.subsidy import ALREADY, credit_daily_allowance
from projections.report_tables import subsidies
from tests.builders import meal, new_school
from tests.projections.helpers import catch_up
from tests.workers.harness import Stack, wait_for

ZONE = ZoneInfo("Asia/Novosibirsk")


def credits(stack: Stack, account_id: UUID) -> list[str]:
    events = stack.ledger.repository.event_store.get(account_id)
    return [e.period for e in events if isinstance(e, Account.SubsidyCredited)]


def weekday_after(today: date, iso: int) -> date:
    """The next such weekday after today: the accounts are open by then (the scheduler only
    ever credits its own today)."""
    ahead = (iso - today.isoweekday()) % 7 or 7
    return today + timedelta(days=ahead)


def noon_utc(day: date) -> str:
    return datetime.combine(day, time(12), ZONE).isoformat()


def test_the_scheduler_credits_each_pupil_once_per_school_day_and_not_on_a_closed_day(
    travelled: datetime, stack: Stack
) -> None:
    world = new_school(stack.ledger)
    fed, plain = world.pupil(deposit=10_000), world.pupil(deposit=10_000)
    stack.ledger.grant_subsidy(fed.account_id, "многодетная семья", 12_000)
    today = travelled.astimezone(ZONE).date()
    tuesday = weekday_after(today, 2)
    saturday = weekday_after(today, 6)
    for part in ("feed", "worker"):
        stack.start(part)
    wait_for(stack.fed_up_to_now, 30, "the feed to learn the school and its accounts")

    # Two schedulers on one Tuesday: one runs, the day is credited once.
    tuesdays = [stack.start("scheduler", INFOSHKOLA_CLOCK=f"fixed:{noon_utc(tuesday)}")
                for _ in range(2)]  # fmt: skip
    wait_for(lambda: credits(stack, fed.account_id) == [tuesday.isoformat()], 60,
             "the Tuesday's allowance")  # fmt: skip
    for scheduler in tuesdays:
        stack.kill9(scheduler)
    stack.start("scheduler", INFOSHKOLA_CLOCK=f"fixed:{noon_utc(saturday)}")
    wait_for(
        lambda: bool(stack.query(
            "SELECT 1 FROM wk_runs WHERE job = 'credit_subsidies' AND period = %s",
            saturday.isoformat())),
        60, "the Saturday's run",
    )  # fmt: skip
    wait_for(stack.outbox_settled, 30, "the workers to settle")
    assert credits(stack, plain.account_id) == []
    assert credit_daily_allowance(stack.ledger, fed.account_id, tuesday) == ALREADY
    assert sorted(credits(stack, fed.account_id)) == [tuesday.isoformat()], "none on Saturday"
    assert stack.ledger.account(fed.account_id).subsidised == 12_000

    bought = world.tap(TerminalKind.CANTEEN_POS, fed.uid, items=[meal()])
    assert bought.decision.from_subsidised == 9_000
    catch_up(stack.ledger, stack.database_url)
    with psycopg.connect(stack.database_url, autocommit=True) as conn:
        budget = subsidies(conn, world.school_id, today, today + timedelta(days=7), False)
    row = dict(zip(budget.columns, budget.rows[0], strict=True))
    assert {k: row[k] for k in ("credits", "credited", "spent", "meals", "pupils")} == {
        "credits": "1", "credited": "12000", "spent": "9000", "meals": "1", "pupils": "1",
    }  # fmt: skip


def test_the_schools_low_balance_default_alerts_parents_who_set_no_threshold(
    travelled: datetime, stack: Stack
) -> None:
    world = new_school(stack.ledger)
    today = travelled.astimezone(ZONE).date()
    school_settings.schedule_setting(stack.ledger, world.school_id,
                                     school_settings.LOW_BALANCE, 45_000, today)  # fmt: skip
    default, own = world.pupil(deposit=50_000), world.pupil(deposit=50_000)
    stack.billing.set_low_balance_threshold(own.account_id, 10_000)  # the parent's own choice
    for pupil in (default, own):
        stack.people.put(stack.ledger.account(pupil.account_id).parent_ref, email="p@p.test")
        world.tap(TerminalKind.CANTEEN_POS, pupil.uid, items=[meal()])  # 500 -> 410 ₽
    stack.start("feed")
    wait_for(stack.fed_up_to_now, 30, "the feed")
    alerts = stack.query(
        "SELECT account_id, body FROM wk_outbox WHERE kind = 'low_balance' AND channel = 'email'"
    )
    assert [a for a, _ in alerts] == [default.account_id]
    assert "450,00 ₽" in alerts[0][1]
