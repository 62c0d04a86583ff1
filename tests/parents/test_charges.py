"""Points 6 and 7 over the real stack: the till operator chooses the paying wallet and it is on
the purchase; a free wardrobe use is on the statement; the parent reads charges over a period,
filtered, each with its evidence (terminal name, items, photo check, inside, flags, dispute),
and the tariff and fee history; a parent sets the kiosk PIN, and the kiosk asks for it."""

from datetime import datetime, timedelta
from typing import Any

import pytest

from domain import casework
from domain.billing import Billing
from tests.api.stack import Family, Stack
from tests.builders import meal, snack
from tests.parents.tills import decided, school_today, till
from tests.problems import problem_code

pytestmark = pytest.mark.usefixtures("travelled")  # every test on the travelled clock

CHARGE = """id key localDate terminalKind terminalName amount fromRegular fromSubsidised
  payingWallet offline items { code name price quantity } photoCheck inside flags disputeStatus
  evidence { localTime inside schoolOpen passes { direction localTime } photoCheck offline }"""
CHARGES = f"""query($c: String!, $on: Date, $since: Date, $until: Date, $kinds: [TerminalKind!],
  $flagged: Boolean! = false, $disputes: [ChargeDisputeStatus!], $min: Kopecks, $max: Kopecks,
  $first: Int!, $after: String) {{
  charges(contractNumber: $c, on: $on, since: $since, until: $until, terminalKinds: $kinds,
    flaggedOnly: $flagged, disputeStatuses: $disputes, minAmount: $min, maxAmount: $max,
    first: $first, after: $after) {{
    edges {{ cursor node {{ {CHARGE} }} }} pageInfo {{ hasNextPage endCursor }} }} }}"""
NODE = """query($id: ID!) { node(id: $id) { id ... on Charge { key amount flags } } }"""
STATEMENT = """query($c: String!) { statement(contractNumber: $c, kinds: [STORAGE, PURCHASE]) {
  edges { node { kind amount reason } } } }"""
HISTORY = """query($c: String!) { tariffHistory(contractNumber: $c) { kind tariff previousTariff
  period fee amount breakdown { tariff days } } }"""
SET_PIN = """mutation($i: SetKioskPinInput!) { setKioskPin(input: $i) { contractNumber pinSet
  userErrors { field code message } } }"""


def charges(family: Family, first: int = 50, **filters: Any) -> list[dict[str, Any]]:
    """Every charge the filters let through, `first` a page."""
    return family.client.nodes(CHARGES, "charges", first, c=family.contract, **filters)


def page(family: Family, first: int, after: str | None = None, **filters: Any) -> Any:
    return family.client.data(CHARGES, c=family.contract, first=first, after=after, **filters)[
        "charges"
    ]


def test_the_till_the_wardrobe_and_what_the_parent_reads_of_it(
    stack: Stack, travelled: datetime
) -> None:
    world = stack.school()
    family = stack.family(world, deposit=100_000)
    account_id, uid = family.pupil.account_id, family.pupil.uid
    today = school_today(stack, world.school_id)
    stack.ledger.grant_subsidy(account_id, "многодетная семья", 5_000)
    stack.ledger.credit_subsidy(account_id, 5_000, today.isoformat())
    canteen = till(stack, world.school_id, "canteen_pos", "Столовая, касса 1")
    vending = till(stack, world.school_id, "vending", "Автомат у спортзала")
    wardrobe = till(stack, world.school_id, "wardrobe", "Гардероб, 1 этаж")
    turnstile = till(stack, world.school_id, "turnstile", "Вход")

    now = travelled  # the taps follow within the minutes
    bun = decided(vending, uid, items=[snack(4_500)], at=now)
    assert bun["outcome"] == "approved"  # before the pupil came in: flagged not inside
    assert decided(turnstile, uid, direction="in", at=now + timedelta(minutes=1))["outcome"] == (
        "approved"
    )
    lunch = decided(canteen, uid, items=[meal(9_000)], paying_wallet="regular",
                    photo_check="confirmed", at=now + timedelta(minutes=2))  # fmt: skip
    assert (lunch["from_regular"], lunch["from_subsidised"], lunch["paying_wallet"]) == (
        9_000, 0, "regular",
    )  # fmt: skip
    coat = decided(wardrobe, uid, slot="17", at=now + timedelta(minutes=3))
    assert (coat["outcome"], coat["amount"], coat["slot"]) == ("approved", 0, "17")
    bad_slot = wardrobe.tap(uid, slot="17 18")
    assert (bad_slot.status_code, problem_code(bad_slot)) == (400, "invalid_command")
    not_here = vending.tap(uid, items=[snack()], paying_wallet="regular")
    assert (not_here.status_code, problem_code(not_here)) == (400, "tap_payload")
    stack.project()

    found = charges(family)  # the last 30 days by default; the wardrobe use is no charge
    assert [c["terminalKind"] for c in found] == ["CANTEEN_POS", "VENDING"]
    meal_charge, bun_charge = found
    assert meal_charge["terminalName"] == "Столовая, касса 1"
    assert (meal_charge["amount"], meal_charge["fromRegular"], meal_charge["payingWallet"]) == (
        "9000", "9000", "REGULAR",
    )  # fmt: skip
    assert meal_charge["items"] == [
        {"code": "LUNCH", "name": "Комплексный обед", "price": "9000", "quantity": 1}
    ]
    # the default calendar: Saturday and Sunday off, no holidays; the lunch's own school day
    lunch_day = (now + timedelta(minutes=2)).astimezone(stack.ledger.school(world.school_id).zone)
    open_then = lunch_day.isoweekday() not in (6, 7)
    assert (meal_charge["inside"], meal_charge["flags"], meal_charge["photoCheck"]) == (
        True, [] if open_then else ["school_closed"], "confirmed",
    )  # fmt: skip
    assert [p["direction"] for p in meal_charge["evidence"]["passes"]] == ["in"]
    assert meal_charge["evidence"]["schoolOpen"] is open_then
    assert (bun_charge["inside"], bun_charge["terminalName"]) == (False, "Автомат у спортзала")
    assert "pupil_not_inside" in bun_charge["flags"]
    assert bun_charge["payingWallet"] is None
    assert charges(family, on=today.isoformat()) == found  # `on` keeps working

    assert [c["key"] for c in charges(family, kinds=["VENDING"])] == [bun_charge["key"]]
    flagged = [bun_charge["key"]] if open_then else [meal_charge["key"], bun_charge["key"]]
    assert [c["key"] for c in charges(family, flagged=True)] == flagged
    assert [c["key"] for c in charges(family, min="5000")] == [meal_charge["key"]]
    assert [c["key"] for c in charges(family, max="4500")] == [bun_charge["key"]]
    earlier = today - timedelta(days=3)
    assert charges(family, since=earlier.isoformat(), until=earlier.isoformat()) == []
    assert charges(family, disputes=["OPEN"]) == []
    casework.dispute_charge(stack.ledger, account_id, bun_charge["key"], "ребёнок не заходил")
    stack.project()
    assert [c["key"] for c in charges(family, disputes=["OPEN"])] == [bun_charge["key"]]
    assert [c["key"] for c in charges(family, disputes=["NONE"])] == [meal_charge["key"]]
    disputed = ["OPEN"] if open_then else ["NONE", "OPEN"]  # the meal, then the bun
    assert [c["disputeStatus"] for c in charges(family, flagged=True)] == disputed
    too_long = family.client.gql(CHARGES, c=family.contract, first=50,
                                 since=(today - timedelta(days=200)).isoformat())  # fmt: skip
    assert too_long["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    both = family.client.gql(CHARGES, c=family.contract, on=today.isoformat(), first=50,
                             since=today.isoformat())  # fmt: skip
    assert both["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"

    edges = family.client.data(STATEMENT, c=family.contract)["statement"]["edges"]
    lines = [edge["node"] for edge in edges]
    assert lines[0]["kind"] == "STORAGE"
    assert (lines[0]["amount"], "номерок 17" in lines[0]["reason"]) == ("0", True)
    assert "кассир выбрал оплату с основного счёта" in lines[1]["reason"]


def test_charges_come_a_page_at_a_time_filtered_on_every_page_and_refetch_by_their_id(
    stack: Stack, travelled: datetime
) -> None:
    world = stack.school()
    family = stack.family(world, deposit=100_000)
    canteen = till(stack, world.school_id, "canteen_pos", "Столовая, касса 1")
    vending = till(stack, world.school_id, "vending", "Автомат у спортзала")
    taps = [(canteen, meal(5_000)), (vending, snack(2_500)), (canteen, meal(4_000)),
            (vending, snack(1_500)), (canteen, meal(3_000))]  # fmt: skip
    for minute, (terminal, item) in enumerate(taps):
        at = travelled + timedelta(minutes=minute)
        assert decided(terminal, family.pupil.uid, items=[item], at=at)["outcome"] == "approved"
    stack.project()  # within the default daily limit of 200 roubles

    everything = charges(family)  # one page holds them: newest first
    assert [c["amount"] for c in everything] == ["3000", "1500", "4000", "2500", "5000"]
    one = page(family, 2)
    two = page(family, 2, after=one["pageInfo"]["endCursor"])
    first, second = ([e["node"] for e in p["edges"]] for p in (one, two))
    assert (len(first), len(second)) == (2, 2)
    assert {c["key"] for c in first}.isdisjoint(c["key"] for c in second)
    assert first + second == everything[:4]
    assert (one["pageInfo"]["hasNextPage"], two["pageInfo"]["hasNextPage"]) == (True, True)
    assert one["pageInfo"]["endCursor"] == one["edges"][-1]["cursor"]
    assert charges(family, first=2) == everything  # the last page: one charge, no next page
    assert charges(family, first=1, on=school_today(stack, world.school_id).isoformat()) == (
        everything
    )

    canteen_pages = charges(family, first=1, kinds=["CANTEEN_POS"])
    assert [c["amount"] for c in canteen_pages] == ["3000", "4000", "5000"]
    assert [c["amount"] for c in charges(family, first=1, kinds=["CANTEEN_POS"], min="3500")] == [
        "4000", "5000",
    ]  # fmt: skip
    assert [c["amount"] for c in charges(family, first=1, max="2500")] == ["1500", "2500"]
    casework.dispute_charge(stack.ledger, family.pupil.account_id, everything[2]["key"], "нет")
    stack.project()
    undisputed = charges(family, first=2, disputes=["NONE"])
    assert [c["amount"] for c in undisputed] == ["3000", "1500", "2500", "5000"]
    for bad in ("nonsense", page(family, 1)["pageInfo"]["endCursor"][:-4]):
        refused = family.client.gql(CHARGES, c=family.contract, first=1, after=bad)
        assert refused["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", refused
    too_many = family.client.gql(CHARGES, c=family.contract, first=201)
    assert too_many["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"

    wanted = everything[1]
    found = family.client.data(NODE, id=wanted["id"])["node"]
    assert found == {k: wanted[k] for k in ("id", "key", "amount", "flags")}
    stranger = stack.family(world)
    refused = stranger.client.gql(NODE, id=wanted["id"])
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN", refused
    assert refused["data"] == {"node": None}


def test_the_tariff_and_fee_history(stack: Stack) -> None:
    world = stack.school()
    family = stack.family(world, deposit=100_000)
    account_id = family.pupil.account_id
    stack.ledger.change_tariff(account_id, "mobile")
    this_month = school_today(stack, world.school_id).strftime("%Y-%m")
    fee = Billing(stack.ledger).charge_tariff_fee(account_id, this_month)
    stack.project()

    history = family.client.data(HISTORY, c=family.contract)["tariffHistory"]

    assert [h["kind"] for h in history][:2] == ["OPENED", "TARIFF_CHANGED"]
    assert (history[1]["tariff"], history[1]["previousTariff"]) == ("MOBILE", "ZERO")
    if fee.fee:  # a month the school pauses fees in charges nothing
        charged = history[2]
        assert (charged["kind"], charged["period"]) == ("FEE_CHARGED", this_month)
        assert (charged["fee"], charged["amount"]) == (str(fee.fee), str(fee.charged))
        assert "MOBILE" in {p["tariff"] for p in charged["breakdown"]}


def test_a_parent_sets_the_kiosk_pin_and_the_kiosk_asks_for_it(stack: Stack) -> None:
    world = stack.school()
    family = stack.family(world, deposit=30_000)
    kiosk = till(stack, world.school_id, "kiosk", "Киоск в холле")
    balance = {"contract_number": family.contract, "pin": "2580"}
    before = stack.ledger.recorder.max_notification_id()

    refused = kiosk.post("/terminal/v1/kiosk/balances", balance)
    assert (refused.status_code, problem_code(refused)) == (403, "pin_not_set")
    bad = family.client.data(SET_PIN, i={"contractNumber": family.contract, "pin": "25"})
    assert bad["setKioskPin"]["pinSet"] is False
    assert [(e["field"], e["code"]) for e in bad["setKioskPin"]["userErrors"]] == [
        (["input", "pin"], "invalid_pin")
    ]
    made = family.client.data(SET_PIN, i={"contractNumber": family.contract, "pin": "2580"})
    assert made["setKioskPin"] == {
        "contractNumber": family.contract, "pinSet": True, "userErrors": [],
    }  # fmt: skip
    shown = kiosk.post("/terminal/v1/kiosk/balances", balance)
    assert shown.status_code == 200, shown.text
    assert shown.json()["receipt"]["regular"] == 30_000
    wrong = kiosk.post("/terminal/v1/kiosk/balances", {**balance, "pin": "0000"})
    assert (wrong.status_code, problem_code(wrong)) == (403, "wrong_pin")
    assert stack.ledger.recorder.max_notification_id() == before  # the PIN is not in the log
    stored = stack.ledger.recorder.select_notifications(before + 1 if before else 1, 1_000)
    assert not any(b"2580" in n.state for n in stored)
