"""kill -9 a worker in the middle of a batch, restart it: nothing lost, nothing doubled."""

from collections import Counter
from datetime import datetime
from uuid import UUID

from domain.account import Account
from domain.autopay import MONTHLY, Autopayment
from domain.fees import next_period, period_of
from domain.kinds import Channel
from tests.builders import meal, new_school, snack
from tests.clock import SWEEP_ZONE
from tests.workers.harness import Stack, wait_for

PUPILS = 12


def events_of(stack: Stack, aggregate_id: UUID, cls: type) -> list:  # type: ignore[type-arg]
    return [e for e in stack.ledger.repository.event_store.get(aggregate_id) if isinstance(e, cls)]


def test_a_worker_killed_mid_batch_delivers_every_message_and_charges_everything_once(
    travelled: datetime, stack: Stack
) -> None:
    # Next month is a whole month on sms_plus (the scheduler would enqueue it a month later).
    period = next_period(period_of(travelled.astimezone(SWEEP_ZONE).date()))
    world = new_school(stack.ledger)
    accounts: list[UUID] = []
    schedules: list[UUID] = []
    declined: list[UUID] = []
    for n in range(PUPILS):
        pupil = world.pupil(deposit=100_000)
        stack.ledger.change_tariff(pupil.account_id, "sms_plus")
        parent_ref = stack.ledger.account(pupil.account_id).parent_ref
        stack.people.put(parent_ref, email=f"p{n}@parents.test", phone=f"+7-{n}",
                         push_token=f"push-{n}")  # fmt: skip
        stack.ledger.top_up(pupil.account_id, 20_000, Channel.BANK_CARD, f"bank-{n}")
        world.tap("canteen_pos", pupil.uid, items=[meal(9_000)])
        world.tap("vending", pupil.uid, items=[snack(4_500)])
        world.tap("turnstile", pupil.uid, direction="in")
        token = "tok-declined" if n % 4 == 0 else "tok-ok"
        schedule = stack.billing.schedule_autopayment(
            pupil.account_id,
            MONTHLY,
            25_000,
            day=1,
            card_id=stack.saved_card(pupil.account_id, token),
        )
        (declined if token == "tok-declined" else schedules).append(schedule)
        accounts.append(pupil.account_id)
    stack.start("feed")
    stack.start("webhooks")
    wait_for(stack.fed_up_to_now, 30, "the feed to queue the batch")
    # Every job enqueued twice, as a redelivery or a second scheduler would.
    for _ in range(2):
        for account_id in accounts:
            stack.actors.charge_fee.send(str(account_id), period)
        for schedule in schedules + declined:
            stack.actors.run_autopayment.send(str(schedule), period)
    queued = stack.query("SELECT count(*) FROM wk_outbox")[0][0]
    assert queued == PUPILS * 4 * 2  # top-up, purchase, purchase, pass; by push and SMS

    worker = stack.start("worker", threads=2)
    wait_for(lambda: len(stack.sms.delivered()) >= queued // 8, 60, "the batch to be under way")
    stack.kill9(worker)
    sent_before_kill = len(stack.sms.delivered()) + len(stack.push.delivered())
    stack.start("worker", threads=2)

    def all_done() -> bool:
        fees = all(events_of(stack, a, Account.TariffFeeCharged) for a in accounts)
        paid = all(events_of(stack, stack.billing.autopayment(s).account_id, Account.ToppedUp)
                   for s in schedules)  # fmt: skip
        failed = all(events_of(stack, s, Autopayment.PaymentFailed) for s in declined)
        return fees and paid and failed and stack.fed_up_to_now() and stack.outbox_settled()

    wait_for(all_done, 120, "every job and message to be done after the restart")

    assert sent_before_kill < queued  # the kill did land in the middle of the batch
    rows = stack.query("SELECT message_id, channel, status FROM wk_outbox")
    assert {status for _, _, status in rows} == {"sent"}
    for channel, fake in (("sms", stack.sms), ("push", stack.push)):
        ids = sorted(m for m, c, _ in rows if c == channel)
        assert sorted(fake.accepted) == ids  # each delivered, under its own key, once
    mails = stack.smtp.received()
    mail_ids = Counter(m.our_id for m in mails)
    assert sorted(mail_ids) == sorted(m for m, c, _ in rows if c == "email")
    # An e-mail can only be repeated if the kill fell between the SMTP server's "250 OK" and
    # our commit; the repeat carries the same Message-ID. At most one per worker thread.
    assert len(mails) - len(mail_ids) <= 2
    for account_id in accounts:
        fees = events_of(stack, account_id, Account.TariffFeeCharged)
        assert [(f.period, f.amount) for f in fees] == [(period, 16_500)]
    for schedule in schedules:
        account_id = stack.billing.autopayment(schedule).account_id
        top_ups = events_of(stack, account_id, Account.ToppedUp)
        assert [t.payment_id for t in top_ups if t.channel == "autopay"] == [
            f"autopay:{schedule}:{period}"
        ]
    for schedule in declined:
        assert len(events_of(stack, schedule, Autopayment.PaymentFailed)) == 1
        account_id = stack.billing.autopayment(schedule).account_id
        top_ups = events_of(stack, account_id, Account.ToppedUp)
        assert [t for t in top_ups if t.channel == "autopay"] == []
    assert sorted(stack.acquiring.charges()) == sorted(
        f"autopay:{s}:{period}" for s in schedules + declined
    )
    failures = [m for m in mails if m.subject == "Автоплатёж не прошёл"]
    assert sorted(m.to for m in failures) == sorted(
        f"p{n}@parents.test" for n in range(0, PUPILS, 4)
    )
