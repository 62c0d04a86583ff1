"""Point 2: a parent sets up, changes, pauses, resumes and cancels an autopayment, and sets
the low-balance alert's threshold; the workers alert and top up by the rule."""

from tests.api.stack import Stack
from tests.builders import meal
from tests.parents.inputs import run
from tests.workers.harness import wait_for

RULE = "autopay { kind amount below day state card } userErrors { field code message } position"
SET_UP = f"mutation($i: SetUpAutopayInput!) {{ setUpAutopay(input: $i) {{ {RULE} }} }}"
CHANGE = f"mutation($i: ChangeAutopayInput!) {{ changeAutopay(input: $i) {{ {RULE} }} }}"
PAUSE = f"mutation($i: AutopayRuleInput!) {{ pauseAutopay(input: $i) {{ {RULE} }} }}"
RESUME = f"mutation($i: AutopayRuleInput!) {{ resumeAutopay(input: $i) {{ {RULE} }} }}"
CANCEL = f"mutation($i: AutopayRuleInput!) {{ cancelAutopay(input: $i) {{ {RULE} }} }}"
THRESHOLD = """mutation($i: SetLowBalanceThresholdInput!) { setLowBalanceThreshold(input: $i) {
  threshold userErrors { code } } }"""
READ = """query($c: String!) { autopayments(contractNumber: $c) {
  lowBalanceThreshold rules { kind amount below state } } }"""
CONTACT = """mutation($c: String!, $e: String!) {
  changeContact(input: {contractNumber: $c, email: $e}) { position } }"""


def test_a_threshold_autopayment_tops_up_and_the_parents_threshold_alerts(stack: Stack) -> None:
    world = stack.school()
    family = stack.family(world, deposit=30_000)
    email = f"{family.contract.lower()}@parents.test"
    family.client.data(CONTACT, c=family.contract, e=email)
    assert run(family, THRESHOLD, "setLowBalanceThreshold", threshold="25000") == {
        "threshold": "25000", "userErrors": []}  # fmt: skip

    rule = run(family, SET_UP, "setUpAutopay", kind="THRESHOLD", amount="60000",
               below="25000", cardToken="tok-visa-4242")  # fmt: skip
    assert rule["userErrors"] == []
    assert rule["autopay"] == {"kind": "THRESHOLD", "amount": "60000", "below": "25000",
                               "day": None, "state": "ACTIVE", "card": "…4242"}  # fmt: skip
    again = run(family, SET_UP, "setUpAutopay", kind="THRESHOLD", amount="60000",
                below="25000", cardToken="tok-visa-4242")  # fmt: skip
    assert [e["code"] for e in again["userErrors"]] == ["autopay_state"]
    paused = run(family, PAUSE, "pauseAutopay", kind="THRESHOLD")["autopay"]
    assert paused["state"] == "PAUSED"
    changed = run(family, CHANGE, "changeAutopay", kind="THRESHOLD", amount="70000")["autopay"]
    assert (changed["amount"], changed["state"]) == ("70000", "PAUSED")
    bad = run(family, CHANGE, "changeAutopay", kind="THRESHOLD", below="90000")
    assert [e["code"] for e in bad["userErrors"]] == ["invalid_amount"]
    assert run(family, RESUME, "resumeAutopay", kind="THRESHOLD")["autopay"]["state"] == "ACTIVE"
    assert family.client.data(READ, c=family.contract)["autopayments"] == {
        "lowBalanceThreshold": "25000",
        "rules": [{"kind": "THRESHOLD", "amount": "70000", "below": "25000", "state": "ACTIVE"}],
    }

    stack.deliver()
    world.tap("canteen_pos", family.pupil.uid, items=[meal(9_000)])  # 300 -> 210 ₽
    account = family.pupil.account_id
    wait_for(lambda: stack.ledger.account(account).regular == 70_000, 60, "the autopayment")
    charged = [r.body for r in stack.workers.acquiring.requests if r.status == 201
               and r.body.get("card_token") == "tok-visa-4242"]  # fmt: skip
    assert [b["amount"] for b in charged] == [49_000]  # up to 700 ₽ from 210 ₽
    assert charged[0]["callback_url"] == f"{stack.url}/acquiring/webhook"
    subjects = wait_for(lambda: [m.subject for m in stack.workers.smtp.to(email)], 30, "alert")
    assert subjects == ["Низкий баланс"]

    cancelled = run(family, CANCEL, "cancelAutopay", kind="THRESHOLD")["autopay"]
    assert cancelled["state"] == "CANCELLED"
    assert run(family, PAUSE, "pauseAutopay", kind="THRESHOLD")["userErrors"][0]["code"] == (
        "invalid_command"
    )
    back = run(family, SET_UP, "setUpAutopay", kind="MONTHLY", amount="50000", day=5,
               cardToken="tok-visa-4242")["autopay"]  # fmt: skip
    assert (back["kind"], back["day"], back["state"]) == ("MONTHLY", 5, "ACTIVE")
