"""Point 1: a parent tops up by card from their own login, seeing the commission first; the
acquirer's webhook (a route of the API) credits the account once."""

import httpx

from adapters.acquiring import sign
from domain.account import Account
from identity.service import Role
from tests.api.stack import Stack
from tests.workers.harness import SECRET

QUOTE = """query($c: String!, $a: Kopecks!) { topUpQuote(contractNumber: $c, amount: $a) {
  channel amount commission total rate } }"""
START = """mutation($i: StartTopUpInput!) { startTopUp(input: $i) {
  topUp { paymentId amount commission total status confirmationUrl }
  userErrors { field code message } position } }"""
STATUS = """query($c: String!, $p: String!) { topUp(contractNumber: $c, paymentId: $p) {
  status reason } }"""
RATE = """mutation($s: UUID!, $d: Date!) { setCommissionRate(input: {school: $s,
  channel: BANK_CARD, rate: "0.03", effectiveFrom: $d}) { userErrors { code } } }"""
BALANCE = """query($c: String!, $a: Position) {
  account(contractNumber: $c, atLeast: $a) { regular } }"""


def topped_up(stack: Stack, account_id: object) -> list[Account.ToppedUp]:
    events = stack.ledger.repository.event_store.get(account_id)  # type: ignore[arg-type]
    return [e for e in events if isinstance(e, Account.ToppedUp)]


def test_a_parent_sees_the_schools_commission_then_pays_and_is_credited_once(
    stack: Stack,
) -> None:
    world = stack.school()
    family = stack.family(world, deposit=50_000)
    support = stack.staff(Role.SUPPORT, world.school_id)
    school = stack.ledger.school(world.school_id)
    today = stack.ledger.clock().astimezone(school.zone).date()  # the rate holds from today
    rate = support.data(RATE, s=str(world.school_id), d=str(today))["setCommissionRate"]
    assert rate == {"userErrors": []}

    quote = family.client.data(QUOTE, c=family.contract, a="100000")["topUpQuote"]
    assert quote == {"channel": "BANK_CARD", "amount": "100000", "commission": "3000",
                     "total": "103000", "rate": "0.03"}  # fmt: skip

    started = family.client.data(START, i={"contractNumber": family.contract,
                                           "amount": "100000"})["startTopUp"]  # fmt: skip
    assert started["userErrors"] == []
    top_up = started["topUp"]
    assert (top_up["commission"], top_up["total"], top_up["status"]) == ("3000", "103000",
                                                                         "STARTED")  # fmt: skip
    payment_id = top_up["paymentId"]
    assert top_up["confirmationUrl"].endswith(f"/pay/{payment_id}")
    # the acquirer was asked for the total, with our webhook route as the callback
    checkout = stack.workers.acquiring.checkouts[payment_id]
    assert checkout["amount"] == 103_000
    assert checkout["callback_url"] == f"{stack.url}/acquiring/webhook"
    assert topped_up(stack, family.pupil.account_id)[-1].channel == "kiosk_cash"

    stack.workers.acquiring.pay(payment_id)
    stack.workers.acquiring.pay(payment_id)  # the provider repeats itself: no second credit
    credits = [e for e in topped_up(stack, family.pupil.account_id) if e.payment_id == payment_id]
    assert [(e.amount, e.commission, e.commission_rate) for e in credits] == [
        (100_000, 3_000, "0.03")
    ]
    status = family.client.data(STATUS, c=family.contract, p=payment_id)["topUp"]
    assert status == {"status": "SUCCEEDED", "reason": None}
    stack.project()
    assert family.client.data(BALANCE, c=family.contract)["account"]["regular"] == "150000"


PAYMENT = """query($c: String!, $p: String!) { topUp(contractNumber: $c, paymentId: $p) {
  amount commission total rate status } }"""


def test_a_started_payment_shows_the_rate_its_commission_was_worked_out_at(stack: Stack) -> None:
    world = stack.school()
    family = stack.family(world, deposit=50_000)
    support = stack.staff(Role.SUPPORT, world.school_id)
    school = stack.ledger.school(world.school_id)
    today = stack.ledger.clock().astimezone(school.zone).date()
    assert support.data(RATE, s=str(world.school_id), d=str(today))["setCommissionRate"] == {
        "userErrors": []
    }
    started = family.client.data(START, i={"contractNumber": family.contract,
                                           "amount": "20000"})["startTopUp"]  # fmt: skip
    payment = family.client.data(PAYMENT, c=family.contract, p=started["topUp"]["paymentId"])
    assert payment["topUp"] == {"amount": "20000", "commission": "600", "total": "20600",
                                "rate": "0.03", "status": "STARTED"}  # fmt: skip


def test_a_refused_card_credits_nothing_and_a_forged_webhook_is_refused(stack: Stack) -> None:
    family = stack.family(stack.school(), deposit=50_000)
    started = family.client.data(START, i={"contractNumber": family.contract,
                                           "amount": "20000"})["startTopUp"]  # fmt: skip
    payment_id = started["topUp"]["paymentId"]
    body = (f'{{"payment_id": "{payment_id}", "status": "succeeded", "amount": 21000}}').encode()
    forged = httpx.post(f"{stack.url}/acquiring/webhook", content=body,
                        headers={"X-Signature": sign("not-the-secret", body)})  # fmt: skip
    assert forged.status_code == 401
    short = body.replace(b"21000", b"100")  # signed, but not what was quoted
    wrong = httpx.post(f"{stack.url}/acquiring/webhook", content=short,
                       headers={"X-Signature": sign(SECRET, short)})  # fmt: skip
    assert wrong.status_code == 409
    stack.workers.acquiring.pay(payment_id, succeed=False)
    status = family.client.data(STATUS, c=family.contract, p=payment_id)["topUp"]
    assert status["status"] == "FAILED"
    assert status["reason"]
    assert all(e.payment_id != payment_id for e in topped_up(stack, family.pupil.account_id))


def test_a_top_up_is_refused_as_user_errors_not_failures(stack: Stack) -> None:
    family = stack.family(stack.school())
    for amount, code in (("0", "invalid_amount"), ("99999999999", "invalid_amount")):
        got = family.client.data(START, i={"contractNumber": family.contract, "amount": amount})
        assert got["startTopUp"]["topUp"] is None
        assert [e["code"] for e in got["startTopUp"]["userErrors"]] == [code]
    cash = {"contractNumber": family.contract, "amount": "1000", "channel": "KIOSK_CASH"}
    got = family.client.data(START, i=cash)["startTopUp"]
    assert [e["code"] for e in got["userErrors"]] == ["invalid_command"]
