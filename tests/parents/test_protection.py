"""Point 4: what a parent forbids is declined at the till, and the operator sees why."""

from tests.api.stack import Stack
from tests.builders import meal, snack
from tests.parents.inputs import run
from tests.parents.tills import decided, school_today, till

PROTECTION = """protection { bannedItems allergens categoryLimits { terminalKind dailyLimit }
  frozen frozenReason } userErrors { field code message } position"""
CHANGE = f"""mutation($i: ChangeProtectionInput!) {{ changeProtection(input: $i) {{
  {PROTECTION} }} }}"""
FREEZE = f"mutation($i: FreezeCardsInput!) {{ freezeCards(input: $i) {{ {PROTECTION} }} }}"
UNFREEZE = f"mutation($i: UnfreezeCardsInput!) {{ unfreezeCards(input: $i) {{ {PROTECTION} }} }}"
BLOCK = """mutation($c: String!, $u: String!) {
  blockCard(input: {contractNumber: $c, uid: $u}) { position } }"""


def test_bans_allergens_limits_and_a_freeze_decline_at_the_till(stack: Stack) -> None:
    world = stack.school()
    family = stack.family(world, deposit=100_000)
    uid = family.pupil.uid
    canteen = till(stack, world.school_id, "canteen_pos", "Столовая, касса 1")
    vending = till(stack, world.school_id, "vending", "Автомат у спортзала")
    today = school_today(stack, world.school_id)
    stack.ledger.publish_menu(world.school_id, today, [
        {"code": "LUNCH", "name": "Обед", "price": 9000},
        {"code": "CAKE", "name": "Пирожное", "price": 5000, "allergens": ["Орехи", "Молоко"]},
        {"code": "COLA", "name": "Кола", "price": 6000},
    ])  # fmt: skip

    changed = run(family, CHANGE, "changeProtection", bannedItems=["COLA"],
                  allergens=["орехи"], categoryLimits=[{"terminalKind": "VENDING",
                                                        "dailyLimit": "5000"}])  # fmt: skip
    assert changed["userErrors"] == []
    assert changed["protection"] == {
        "bannedItems": ["COLA"], "allergens": ["орехи"],
        "categoryLimits": [{"terminalKind": "VENDING", "dailyLimit": "5000"}],
        "frozen": False, "frozenReason": None,
    }  # fmt: skip
    cola = {"code": "COLA", "name": "Кола", "price": 6000}
    cake = {"code": "CAKE", "name": "Пирожное", "price": 5000}
    assert decided(canteen, uid, items=[meal(9000), cola])["reason"] == "banned_item"
    answer = decided(canteen, uid, items=[cake])
    assert (answer["outcome"], answer["reason"]) == ("declined", "allergen")
    assert decided(canteen, uid, items=[meal(9000)])["outcome"] == "approved"
    assert decided(vending, uid, items=[snack(4500)])["outcome"] == "approved"
    assert decided(vending, uid, items=[snack(1000)])["reason"] == "category_limit"

    frozen = run(family, FREEZE, "freezeCards", reason="потерял, ищем дома")["protection"]
    assert (frozen["frozen"], frozen["frozenReason"]) == (True, "потерял, ищем дома")
    assert decided(canteen, uid, items=[meal(9000)])["reason"] == "card_frozen"
    # a freeze is not a block: the card is not on the readers' deny list, passes go on
    deny = canteen.get("/terminal/v1/deny-list").json()
    assert uid not in deny["uids"]
    turnstile = till(stack, world.school_id, "turnstile", "Вход")
    assert decided(turnstile, uid, direction="in")["outcome"] == "approved"
    assert run(family, UNFREEZE, "unfreezeCards")["protection"]["frozen"] is False
    assert decided(canteen, uid, items=[meal(5000)])["outcome"] == "approved"  # 185 of 200 ₽
    # a lost card is blocked: that declines first, whatever the parent forbids
    family.client.data(BLOCK, c=family.contract, u=uid)
    assert decided(canteen, uid, items=[cola])["reason"] == "card_blocked"

    bad = run(family, CHANGE, "changeProtection", categoryLimits=[{"terminalKind": "TURNSTILE",
                                                                   "dailyLimit": "0"}])  # fmt: skip
    assert [e["code"] for e in bad["userErrors"]] == ["invalid_command"]
