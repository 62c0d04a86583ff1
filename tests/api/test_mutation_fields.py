"""GraphQL mutations meet the domain's field rules: hostile text is a typed user error (never
"Unexpected error."), and nothing is recorded or stored."""

from datetime import datetime

from identity.service import Role
from tests.api.stack import Stack
from tests.clock import today


def head(stack: Stack) -> int:
    return stack.ledger.recorder.max_notification_id() or 0


def test_a_menu_with_a_nul_in_a_dish_name_or_an_allergen_is_a_problem(
    travelled: datetime, stack: Stack
) -> None:
    world = stack.school()
    operator = stack.staff(Role.CANTEEN_OPERATOR, world.school_id)
    q = """mutation($s: UUID!, $d: Date!, $name: String!, $allergen: String!) {
      publishMenu(input: {school: $s, date: $d, items: [
        {code: "SOUP", name: $name, price: "6500", allergens: [$allergen]}]}) {
        userErrors { code message } } }"""
    day = today().isoformat()  # the school's today: only the text is wrong
    before = head(stack)

    for name, allergen in (("Борщ\u0000", "сельдерей"), ("Борщ", "сельдерей\u0000"),
                           ("\u202eБорщ", "сельдерей"), ("Б" * 201, "сельдерей")):  # fmt: skip
        got = operator.data(q, s=str(world.school_id), d=day, name=name, allergen=allergen)
        assert [e["code"] for e in got["publishMenu"]["userErrors"]] == ["invalid_text"]
    far = operator.data(q, s=str(world.school_id), d="0001-01-01", name="Борщ", allergen="x")
    assert [e["code"] for e in far["publishMenu"]["userErrors"]] == ["invalid_time"]

    assert head(stack) == before


def test_hostile_reasons_and_contacts_are_problems_and_nothing_is_kept(
    travelled: datetime, stack: Stack
) -> None:
    world = stack.school()
    family = stack.family(world)
    pupil_uid = stack.ledger.account(
        stack.ledger.account_id_for_contract(family.contract)
    ).live_cards[0]
    before = head(stack)
    c = family.contract

    hostile = "потеряна\u0000"
    blocked = family.client.refused("blockCard", contractNumber=c, uid=pupil_uid, reason=hostile)
    email = "mama\u0000@example.ru"
    mailed = family.client.command("changeContact", contractNumber=c, email=email)

    assert blocked == "invalid_text"
    assert [(e["field"], e["code"]) for e in mailed["userErrors"]] == [
        (["input", "email"], "invalid_text")
    ]
    assert head(stack) == before
