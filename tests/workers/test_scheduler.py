"""One scheduler, a simulated clock, and months missed while it was down caught up once."""

from collections import Counter
from uuid import UUID

from domain.account import Account
from domain.autopay import MONTHLY
from tests.builders import new_school
from tests.workers.harness import Stack, wait_for


def fee_periods(stack: Stack, account_id: UUID) -> list[tuple[str, int]]:
    events = stack.ledger.repository.event_store.get(account_id)
    return [(e.period, e.fee) for e in events if isinstance(e, Account.TariffFeeCharged)]


def autopay_top_ups(stack: Stack, account_id: UUID) -> list[str]:
    events = stack.ledger.repository.event_store.get(account_id)
    return [e.payment_id for e in events
            if isinstance(e, Account.ToppedUp) and e.channel == "autopay"]  # fmt: skip


def test_a_scheduler_down_for_two_months_catches_up_exactly_once_per_period(
    stack: Stack,
) -> None:
    world = new_school(stack.ledger)
    accounts = []
    for n in range(2):
        pupil = world.pupil(deposit=100_000)
        stack.ledger.change_tariff(pupil.account_id, "mobile")
        parent_ref = stack.ledger.account(pupil.account_id).parent_ref
        stack.people.put(parent_ref, email=f"parent{n}@parents.test")
        accounts.append(pupil.account_id)
    schedule = stack.billing.schedule_autopayment(
        accounts[0], MONTHLY, 30_000, day=1, card_token="tok-ok"
    )
    for part in ("feed", "worker", "webhooks"):
        stack.start(part)
    wait_for(stack.fed_up_to_now, 30, "the feed to learn the school, accounts and schedule")
    ticks = f"{stack.namespace}:scheduler:lock:status"

    # 2 December (school-local): November is closed, December's autopayment is due.
    first = stack.start("scheduler", INFOSHKOLA_FAKE_NOW="2026-12-02T05:00:00+00:00")
    wait_for(lambda: all(fee_periods(stack, a) for a in accounts), 60, "November's fees")
    wait_for(lambda: len(autopay_top_ups(stack, accounts[0])) == 1, 60, "December's autopayment")
    stack.kill9(first)
    seen = int(stack.redis.hget(ticks, "ticks") or 0)

    # Down through December and January; two schedulers start on 2 February, one runs.
    for _ in range(2):
        stack.start("scheduler", INFOSHKOLA_FAKE_NOW="2027-02-02T05:00:00+00:00")
    wait_for(lambda: all(len(fee_periods(stack, a)) == 3 for a in accounts), 60, "caught-up fees")
    wait_for(lambda: len(autopay_top_ups(stack, accounts[0])) == 3, 60, "caught-up autopayments")
    wait_for(lambda: int(stack.redis.hget(ticks, "ticks") or 0) >= seen + 5, 30, "more ticks")
    wait_for(lambda: len(stack.smtp.received()) >= 6, 60, "three statements per parent")
    wait_for(stack.outbox_settled, 30, "the outbox to settle")

    for account_id in accounts:
        periods = sorted(fee_periods(stack, account_id))  # caught-up months run in parallel
        assert [p for p, _ in periods] == ["2026-11", "2026-12", "2027-01"]
        assert [fee for _, fee in periods][1:] == [9_500, 9_500]
        assert 0 < periods[0][1] < 9_500  # November is pro-rated from the day of opening
    assert sorted(autopay_top_ups(stack, accounts[0])) == [
        f"autopay:{schedule}:{p}" for p in ("2026-12", "2027-01", "2027-02")
    ]
    assert sorted(stack.acquiring.charges()) == sorted(autopay_top_ups(stack, accounts[0]))
    assert len(stack.acquiring.requests) == 3
    runs = stack.query("SELECT job, period FROM wk_runs ORDER BY job, period")
    assert runs == [
        ("close_month", "2026-11"), ("close_month", "2026-12"), ("close_month", "2027-01"),
        ("run_autopayment", "2026-12"), ("run_autopayment", "2027-01"),
        ("run_autopayment", "2027-02"),
    ]  # fmt: skip
    statements = Counter((m.to, m.subject) for m in stack.smtp.received())
    assert set(statements.values()) == {1}
    assert sorted(s for to, s in statements if to == "parent1@parents.test") == [
        "Выписка за декабрь 2026", "Выписка за ноябрь 2026", "Выписка за январь 2027"
    ]  # fmt: skip
