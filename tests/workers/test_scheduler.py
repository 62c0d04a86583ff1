"""One scheduler, a simulated clock, and months missed while it was down caught up once."""

from collections import Counter
from datetime import datetime
from uuid import UUID

from domain.account import Account
from domain.autopay import MONTHLY
from domain.fees import next_period, period_of
from tests.builders import new_school
from tests.clock import SWEEP_ZONE
from tests.workers.harness import Stack, wait_for
from tests.workers.test_messages import RU_MONTHS


def fee_periods(stack: Stack, account_id: UUID) -> list[tuple[str, int]]:
    events = stack.ledger.repository.event_store.get(account_id)
    return [(e.period, e.fee) for e in events if isinstance(e, Account.TariffFeeCharged)]


def autopay_top_ups(stack: Stack, account_id: UUID) -> list[str]:
    events = stack.ledger.repository.event_store.get(account_id)
    return [e.payment_id for e in events
            if isinstance(e, Account.ToppedUp) and e.channel == "autopay"]  # fmt: skip


def second_of(period: str) -> str:
    """05:00 UTC on the 2nd of the month: midday in Novosibirsk, the morning in Europe."""
    return f"{period}-02T05:00:00+00:00"


def test_a_scheduler_down_for_two_months_catches_up_exactly_once_per_period(
    travelled: datetime, stack: Stack
) -> None:
    opened = travelled.astimezone(SWEEP_ZONE).date()
    p0 = period_of(opened)  # the month the school and its accounts opened in
    p1 = next_period(p0)
    p2 = next_period(p1)
    p3 = next_period(p2)
    # A schedule for the 1st made on the 1st is due that very month, otherwise from the next.
    paid = ([p0] if opened.day == 1 else []) + [p1, p2, p3]
    first_paid = len(paid) - 2  # those due by the 2nd of the next month
    world = new_school(stack.ledger)
    accounts = []
    for n in range(2):
        pupil = world.pupil(deposit=100_000)
        stack.ledger.change_tariff(pupil.account_id, "mobile")
        parent_ref = stack.ledger.account(pupil.account_id).parent_ref
        stack.people.put(parent_ref, email=f"parent{n}@parents.test")
        accounts.append(pupil.account_id)
    schedule = stack.billing.schedule_autopayment(
        accounts[0], MONTHLY, 30_000, day=1, card_id=stack.saved_card(accounts[0], "tok-ok")
    )
    for part in ("feed", "worker", "webhooks"):
        stack.start(part)
    wait_for(stack.fed_up_to_now, 30, "the feed to learn the school, accounts and schedule")
    ticks = f"{stack.namespace}:scheduler:lock:status"

    # The 2nd of the next month: the opening month is closed, the next autopayment is due.
    first = stack.start("scheduler", INFOSHKOLA_CLOCK=f"fixed:{second_of(p1)}")
    wait_for(lambda: all(fee_periods(stack, a) for a in accounts), 60, "the first month's fees")
    wait_for(
        lambda: len(autopay_top_ups(stack, accounts[0])) == first_paid, 60, "the autopayments due"
    )
    stack.kill9(first)
    seen = int(stack.redis.hget(ticks, "ticks") or 0)

    # Down for two months; two schedulers start on the 2nd of the third month, one runs.
    for _ in range(2):
        stack.start("scheduler", INFOSHKOLA_CLOCK=f"fixed:{second_of(p3)}")
    wait_for(lambda: all(len(fee_periods(stack, a)) == 3 for a in accounts), 60, "caught-up fees")
    wait_for(
        lambda: len(autopay_top_ups(stack, accounts[0])) == len(paid), 60, "caught-up autopayments"
    )
    wait_for(lambda: int(stack.redis.hget(ticks, "ticks") or 0) >= seen + 5, 30, "more ticks")
    wait_for(lambda: len(stack.smtp.received()) >= 6, 60, "three statements per parent")
    wait_for(stack.outbox_settled, 30, "the outbox to settle")

    for account_id in accounts:
        periods = sorted(fee_periods(stack, account_id))  # caught-up months run in parallel
        assert [p for p, _ in periods] == [p0, p1, p2]
        assert [fee for _, fee in periods][1:] == [9_500, 9_500]
        assert 0 < periods[0][1] <= 9_500  # the first month is pro-rated from the day of opening
        assert (periods[0][1] < 9_500) == (opened.day > 1)
    assert sorted(autopay_top_ups(stack, accounts[0])) == [f"autopay:{schedule}:{p}" for p in paid]
    assert sorted(stack.acquiring.charges()) == sorted(autopay_top_ups(stack, accounts[0]))
    assert len(stack.acquiring.requests) == len(paid)
    runs = stack.query("SELECT job, period FROM wk_runs ORDER BY job, period")
    assert runs == [
        ("close_month", p0), ("close_month", p1), ("close_month", p2),
        ("credit_subsidies", f"{p1}-02"), ("credit_subsidies", f"{p3}-02"),  # the days it ran
        *(("run_autopayment", p) for p in paid),
    ]  # fmt: skip
    statements = Counter((m.to, m.subject) for m in stack.smtp.received())
    assert set(statements.values()) == {1}
    assert sorted(s for to, s in statements if to == "parent1@parents.test") == sorted(
        f"Выписка за {RU_MONTHS[int(p[5:]) - 1]} {p[:4]}" for p in (p0, p1, p2)
    )
