"""The acquiring provider's webhooks: only a correctly signed verdict moves money, once."""

import json
from datetime import datetime

import httpx

from adapters.acquiring import sign
from domain.account import Account
from domain.autopay import MONTHLY
from domain.fees import next_period, period_of
from tests.builders import new_school
from tests.clock import SWEEP_ZONE
from tests.workers.harness import SECRET, Stack, wait_for


def test_a_forged_webhook_is_refused_and_a_signed_one_credits_once(
    travelled: datetime, stack: Stack
) -> None:
    world = new_school(stack.ledger)
    pupil = world.pupil(deposit=10_000)
    schedule = stack.billing.schedule_autopayment(
        pupil.account_id,
        MONTHLY,
        40_000,
        day=1,
        card_id=stack.saved_card(pupil.account_id, "tok-ok"),
    )
    request = stack.billing.request_autopayment(schedule, "2027-01")
    assert request is not None
    stack.start("worker")
    stack.start("webhooks")
    url = f"http://127.0.0.1:{stack.webhook_port}/acquiring/webhook"
    verdict = json.dumps({"payment_id": request["payment_id"], "status": "succeeded",
                          "amount": 40_000}).encode()  # fmt: skip

    def post(body: bytes, signature: str) -> int:
        try:
            return httpx.post(url, content=body, headers={"X-Signature": signature}).status_code
        except httpx.TransportError:
            return 0

    wait_for(lambda: post(b"{}", "x") == 401, 30, "the webhook endpoint")
    assert post(verdict, sign("not-the-secret", verdict)) == 401
    assert post(verdict, sign(SECRET, verdict)) == 200
    assert post(verdict, sign(SECRET, verdict)) == 200  # the provider retries

    def autopay_top_ups() -> list[Account.ToppedUp]:
        events = stack.ledger.repository.event_store.get(pupil.account_id)
        return [e for e in events if isinstance(e, Account.ToppedUp) and e.channel == "autopay"]

    wait_for(autopay_top_ups, 30, "the credit")
    again = stack.actors.settle_payment.send(request["payment_id"], "succeeded", "")
    assert again.get_result(block=True, timeout=30_000) is None  # done, without error
    assert [(e.payment_id, e.amount) for e in autopay_top_ups()] == [
        (request["payment_id"], 40_000)
    ]
    assert stack.ledger.account(pupil.account_id).regular == 50_000


def test_a_threshold_rule_tops_up_after_a_purchase_and_the_top_up_pays_the_fee_debt(
    travelled: datetime, stack: Stack
) -> None:
    world = new_school(stack.ledger)
    pupil = world.pupil(deposit=10_000)
    stack.ledger.change_tariff(pupil.account_id, "sms_plus")
    next_month = next_period(period_of(travelled.astimezone(SWEEP_ZONE).date()))  # a whole month
    debt = stack.billing.charge_tariff_fee(pupil.account_id, next_month).debt  # 165 ₽ > 100 ₽
    assert debt == 6_500
    schedule = stack.billing.schedule_autopayment(
        pupil.account_id,
        "threshold",
        60_000,
        below=30_000,
        card_id=stack.saved_card(pupil.account_id, "tok-ok"),
    )
    for part in ("feed", "worker", "webhooks"):
        stack.start(part)
    wait_for(stack.fed_up_to_now, 30, "the feed to learn the schedule")

    stack.ledger.top_up(pupil.account_id, 20_000, "bank_card", "bank-1")  # 200 ₽: still below

    def settled() -> bool:
        account = stack.ledger.account(pupil.account_id)
        return account.fee_debt == 0 and account.regular >= 30_000 and stack.outbox_settled()

    wait_for(settled, 60, "the autopayment and the debt collection")
    account = stack.ledger.account(pupil.account_id)
    top_ups = [e for e in stack.ledger.repository.event_store.get(pupil.account_id)
               if isinstance(e, Account.ToppedUp) and e.channel == "autopay"]  # fmt: skip
    # One autopayment for the day (however many balance changes asked), and the debt paid.
    assert [e.payment_id.rsplit(":", 1)[0] for e in top_ups] == [f"autopay:{schedule}"]
    assert account.fee_debt == 0
    assert sum(e.amount for e in top_ups) + 20_000 - debt == account.regular
