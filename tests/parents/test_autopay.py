"""Point 2: a parent sets up, changes, pauses, resumes and cancels an autopayment, and sets
the low-balance alert's threshold; the workers alert and top up by the rule. A rule pays by a
card the parent saved at a top-up («Запомнить карту»), named by its id; forgotten, it fails."""

from domain.autopay import Autopayment, parent_autopay_id
from tests.api.stack import Family, Stack
from tests.builders import meal
from tests.fakes.http import FakeAcquiring
from tests.parents.inputs import run
from tests.workers.harness import wait_for
from workers.jobs import NO_CARD

RULE = """autopay { kind amount below day state card savedCardId }
  userErrors { field code message } position"""
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
START = """mutation($i: StartTopUpInput!) { startTopUp(input: $i) {
  topUp { paymentId } userErrors { code } } }"""
CARDS = """query($c: String!) { savedCards(contractNumber: $c) { id last4 savedAt } }"""
FORGET = """mutation($i: ForgetSavedCardInput!) { forgetSavedCard(input: $i) {
  savedCards { id last4 } userErrors { field code message } } }"""
VISA = "4111111111114242"


def top_up_by_card(stack: Stack, family: Family, amount: int, card: str, save: bool) -> str:
    """A top-up paid with `card` on the acquirer's page (asked to save it or not)."""
    started = run(family, START, "startTopUp", amount=str(amount), saveCard=save)
    assert started["userErrors"] == []
    payment_id: str = started["topUp"]["paymentId"]
    assert stack.workers.acquiring.checkouts[payment_id]["save_card"] is save
    stack.workers.acquiring.pay(payment_id, card=card)
    return payment_id


def saved_card(stack: Stack, family: Family, card: str = VISA, amount: int = 10_000) -> str:
    """The id of `card`, saved at a top-up of `amount`."""
    top_up_by_card(stack, family, amount, card, save=True)
    cards = family.client.data(CARDS, c=family.contract)["savedCards"]
    found = [c["id"] for c in cards if c["last4"] == card[-4:]]
    assert len(found) == 1, cards
    return str(found[0])


def test_a_threshold_autopayment_tops_up_and_the_parents_threshold_alerts(stack: Stack) -> None:
    world = stack.school()
    family = stack.family(world, deposit=20_000)
    card = saved_card(stack, family)  # 200 ₽ + 100 ₽ by card
    email = f"{family.contract.lower()}@parents.test"
    family.client.data(CONTACT, c=family.contract, e=email)
    assert run(family, THRESHOLD, "setLowBalanceThreshold", threshold="25000") == {
        "threshold": "25000", "userErrors": []}  # fmt: skip

    rule = run(family, SET_UP, "setUpAutopay", kind="THRESHOLD", amount="60000",
               below="25000", savedCardId=card)  # fmt: skip
    assert rule["userErrors"] == []
    assert rule["autopay"] == {"kind": "THRESHOLD", "amount": "60000", "below": "25000",
                               "day": None, "state": "ACTIVE", "card": "…4242",
                               "savedCardId": card}  # fmt: skip
    again = run(family, SET_UP, "setUpAutopay", kind="THRESHOLD", amount="60000",
                below="25000", savedCardId=card)  # fmt: skip
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
               and r.body.get("card_token") == FakeAcquiring.token_of(VISA)]  # fmt: skip
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
               savedCardId=card)["autopay"]  # fmt: skip
    assert (back["kind"], back["day"], back["state"]) == ("MONTHLY", 5, "ACTIVE")


def test_a_card_saved_at_a_top_up_pays_the_autopayment_until_it_is_forgotten(
    stack: Stack,
) -> None:
    family = stack.family(stack.school(), deposit=50_000)
    email = f"{family.contract.lower()}@parents.test"
    family.client.data(CONTACT, c=family.contract, e=email)
    mastercard = "5555555555554444"
    top_up_by_card(stack, family, 5_000, VISA, save=False)  # not asked: nothing is saved
    assert family.client.data(CARDS, c=family.contract)["savedCards"] == []
    card = saved_card(stack, family, mastercard)
    saved_card(stack, family, mastercard)  # the same card saved again is the same saved card
    assert [c["last4"] for c in family.client.data(CARDS, c=family.contract)["savedCards"]] == [
        "4444"
    ]

    unknown = run(family, SET_UP, "setUpAutopay", kind="MONTHLY", amount="30000", day=28,
                  savedCardId="0b6f7a52-2a3e-4d38-8d8f-7f4c7c0d1a22")  # fmt: skip
    assert [(e["field"], e["code"]) for e in unknown["userErrors"]] == [
        (["input", "savedCardId"], "unknown_saved_card")
    ]
    rule = run(family, SET_UP, "setUpAutopay", kind="MONTHLY", amount="30000", day=28,
               savedCardId=card)["autopay"]  # fmt: skip
    assert (rule["card"], rule["savedCardId"]) == ("…4444", card)
    schedule_id = parent_autopay_id(family.pupil.account_id, "monthly")
    stored = stack.ledger.recorder.select_events(schedule_id)
    assert card.encode() in stored[0].state  # the event names the saved card …
    assert FakeAcquiring.token_of(mastercard).encode() not in stored[0].state  # … not its token

    stack.deliver()
    runs = stack.workers.actors.run_autopayment
    runs.send(str(schedule_id), "2031-01")

    def asked(period: str) -> list[dict[str, object]]:
        return [r.body for r in stack.workers.acquiring.requests
                if r.body.get("payment_id") == f"autopay:{schedule_id}:{period}"]  # fmt: skip

    charged = wait_for(lambda: asked("2031-01"), 30, "the charge")
    assert [(b["card_token"], b["amount"]) for b in charged] == [
        (FakeAcquiring.token_of(mastercard), 30_000)
    ]
    account = family.pupil.account_id
    wait_for(lambda: stack.ledger.account(account).regular == 105_000, 30, "the autopayment")

    forgotten = run(family, FORGET, "forgetSavedCard", savedCardId=card)
    assert forgotten == {"savedCards": [], "userErrors": []}
    again = run(family, FORGET, "forgetSavedCard", savedCardId=card)
    assert [e["code"] for e in again["userErrors"]] == ["unknown_saved_card"]
    shown = family.client.data(READ.replace("state", "state card"), c=family.contract)
    assert shown["autopayments"]["rules"][0]["card"] == ""

    runs.send(str(schedule_id), "2031-02")

    def failures() -> list[tuple[str, str]]:
        events = stack.ledger.repository.event_store.get(schedule_id)
        return [(e.period, e.reason) for e in events if isinstance(e, Autopayment.PaymentFailed)]

    assert wait_for(failures, 30, "the refusal") == [("2031-02", NO_CARD)]
    assert asked("2031-02") == []  # the acquirer was not asked

    def told() -> list[str]:
        mails = stack.workers.smtp.to(email)
        return [m.body for m in mails if m.subject == "Автоплатёж не прошёл"]

    assert NO_CARD in wait_for(told, 30, "the parent told")[0]


CHANGE_CARD = f"""mutation($i: ChangeAutopayCardInput!) {{
  changeAutopayCard(input: $i) {{ {RULE} }} }}"""


def test_a_parent_gives_a_rule_in_force_another_of_their_saved_cards(stack: Stack) -> None:
    world = stack.school()
    family, neighbours = stack.family(world, deposit=50_000), stack.family(world, deposit=10_000)
    visa, mastercard = saved_card(stack, family), saved_card(stack, family, "5555555555554444")
    theirs = saved_card(stack, neighbours, "4000000000000002")
    set_up = run(family, SET_UP, "setUpAutopay", kind="MONTHLY", amount="30000", day=10,
                 savedCardId=visa)  # fmt: skip
    assert set_up["autopay"]["card"] == "…4242"

    refused = run(family, CHANGE_CARD, "changeAutopayCard", kind="MONTHLY", savedCardId=theirs)
    assert (refused["autopay"], refused["position"]) == (None, None)
    assert [(e["field"], e["code"]) for e in refused["userErrors"]] == [
        (["input", "savedCardId"], "unknown_saved_card")
    ]
    changed = run(family, CHANGE_CARD, "changeAutopayCard", kind="MONTHLY", savedCardId=mastercard)
    assert changed["userErrors"] == []
    assert changed["position"] is not None
    assert changed["autopay"] == {"kind": "MONTHLY", "amount": "30000", "below": None, "day": 10,
                                  "state": "ACTIVE", "card": "…4444",
                                  "savedCardId": mastercard}  # fmt: skip
    schedule_id = parent_autopay_id(family.pupil.account_id, "monthly")
    [event] = stack.ledger.recorder.select_events(schedule_id, gt=1)
    assert event.topic == Autopayment.CardChanged.TOPIC == "infoshkola.autopay.CardChanged"

    no_rule = run(family, CHANGE_CARD, "changeAutopayCard", kind="THRESHOLD", savedCardId=visa)
    assert [e["code"] for e in no_rule["userErrors"]] == ["unknown_autopayment"]
    run(family, CANCEL, "cancelAutopay", kind="MONTHLY")
    ended = run(family, CHANGE_CARD, "changeAutopayCard", kind="MONTHLY", savedCardId=visa)
    assert [e["code"] for e in ended["userErrors"]] == ["autopay_state"]
