"""School settings as events over GraphQL (issue 11): each change with who, when and from
which date, taken by the decisions of that date on; and menu feedback per day and dish."""

import json
from datetime import datetime, timedelta
from typing import Any
from uuid import uuid4
from zoneinfo import ZoneInfo

from domain import school_settings
from domain.kinds import TerminalKind
from identity.service import Role
from tests import clock
from tests.api.stack import Stack
from tests.builders import meal

ZONE = ZoneInfo("Asia/Novosibirsk")
RESULT = "{ userErrors { field code message } position settings { on } }"
SETTINGS = """query($s: UUID!, $on: Date) { schoolSettings(school: $s, on: $on) {
  mealOverdraft offlineCap lowBalanceDefault feePauseMonths weekendDays holidays
  commissionRates { channel rate } changes { setting valueJson effectiveFrom actor } } }"""


def test_settings_are_dated_events_with_who_and_when_and_the_decisions_follow_them(
    travelled: datetime, stack: Stack
) -> None:
    world = stack.school()
    family = stack.family(world, deposit=10_000)
    admin = stack.staff(Role.SCHOOL_ADMIN, world.school_id)
    support = stack.staff(Role.SUPPORT, world.school_id)
    school = str(world.school_id)
    today = clock.now(ZONE).date()  # the travelled clock
    tomorrow = today + timedelta(days=1)

    def setting(client: object, mutation: str, args: str, on: object) -> dict[str, Any]:
        query = (f"mutation($s: UUID!, $d: Date!) {{ {mutation}(input: {{school: $s, {args}, "
                 f"effectiveFrom: $d}}) {RESULT} }}")  # fmt: skip
        return client.data(query, s=school, d=str(on))[mutation]  # type: ignore[attr-defined, no-any-return]

    def done(answer: dict[str, Any], on: object) -> bool:
        return (
            not answer["userErrors"]
            and answer["position"]
            and answer["settings"] == {"on": str(on)}
        )

    assert done(setting(admin, "setMealOverdraft", 'amount: "0"', today), today)
    assert done(setting(admin, "setMealOverdraft", 'amount: "30000"', tomorrow), tomorrow)
    past = setting(admin, "setMealOverdraft", 'amount: "1"', today - timedelta(days=1))
    assert (past["position"], past["settings"]) == (None, None)
    assert [e["code"] for e in past["userErrors"]] == ["invalid_command"]
    contact = admin.data(
        "mutation($s: UUID!) { setCaseworkContact(input: {school: $s, email: \"no\"}) "
        + RESULT + " }", s=school,
    )["setCaseworkContact"]  # fmt: skip
    assert contact["userErrors"] == [
        {"field": ["input", "email"], "code": "invalid_command", "message": "not an e-mail address"}
    ]
    assert done(setting(admin, "setFeePause", "months: [6, 7, 8]", today), today)
    assert done(setting(admin, "setSchoolCalendar", 'weekendDays: [7], holidays: ["2027-01-07"]',
                        today), today)  # fmt: skip
    assert done(setting(admin, "setOfflineCap", 'cap: "20000"', today), today)
    assert done(setting(admin, "setLowBalanceDefault", 'threshold: "5000"', today), today)
    rate = setting(support, "setCommissionRate", 'channel: BANK_CARD, rate: "0.03"', today)
    assert done(rate, today)
    assert admin.error_code(
        "mutation($s: UUID!, $d: Date!) { setCommissionRate(input: {school: $s, channel: SBP, "
        'rate: "0.01", effectiveFrom: $d}) { position } }', s=school, d=str(today),
    ) == "FORBIDDEN"  # fmt: skip

    now = admin.data(SETTINGS, s=school, on=None)["schoolSettings"]
    assert (now["mealOverdraft"], now["offlineCap"], now["lowBalanceDefault"]) == (
        "0", "20000", "5000",
    )  # fmt: skip
    assert (now["feePauseMonths"], now["weekendDays"], now["holidays"]) == (
        [6, 7, 8], [7], ["2027-01-07"],
    )  # fmt: skip
    assert {"channel": "BANK_CARD", "rate": "0.03"} in now["commissionRates"]
    later = admin.data(SETTINGS, s=school, on=str(tomorrow))["schoolSettings"]
    assert later["mealOverdraft"] == "30000"
    overdrafts = [c for c in now["changes"] if c["setting"] == school_settings.OVERDRAFT]
    assert [(json.loads(c["valueJson"]), c["effectiveFrom"]) for c in overdrafts] == [
        (0, today.isoformat()), (30000, tomorrow.isoformat()),
    ]  # fmt: skip
    assert all(c["actor"].startswith("school_admin:") for c in overdrafts)
    commission = [c for c in now["changes"] if c["setting"] == "commission:bank_card"]
    assert [c["actor"].split(":")[0] for c in commission] == ["support"]

    # Today the school allows no meal overdraft: a lunch beyond the balance is declined.
    world.tap(TerminalKind.CANTEEN_POS, family.pupil.uid, items=[meal(price=9_000)])
    declined = world.tap(TerminalKind.CANTEEN_POS, family.pupil.uid, items=[meal(price=9_000)])
    assert declined.decision.reason == "insufficient_funds"
    topped = stack.ledger.top_up(family.pupil.account_id, 10_000, "bank_card", f"p-{uuid4()}")
    assert (topped.commission, topped.commission_rate) == (300, "0.03")


FEEDBACK = """query($s: UUID!, $d: Date!) { menuFeedback(school: $s, since: $d, until: $d) {
  days { date ratings average allRatings comments } dishes { code name ratings average } } }"""


def test_menu_feedback_is_aggregated_per_day_and_dish_for_the_canteen(
    travelled: datetime, stack: Stack
) -> None:
    world = stack.school()
    families = [stack.family(world) for _ in range(3)]
    canteen = stack.staff(Role.CANTEEN_OPERATOR, world.school_id)
    school = str(world.school_id)
    today = clock.now(ZONE).date()
    stack.ledger.publish_menu(world.school_id, today, [
        {"code": "SOUP", "name": "Борщ", "price": 4_000, "allergens": [], "nutrition": {}},
        {"code": "TEA", "name": "Чай", "price": 1_000, "allergens": [], "nutrition": {}},
    ])  # fmt: skip
    leave = """mutation($c: String!, $d: Date!, $r: Int!, $t: String!) { leaveMenuFeedback(
      input: {contractNumber: $c, date: $d, rating: $r, comment: $t}) { userErrors { code } } }"""
    for family, rating, comment in zip(families, (5, 3, 4), ("Вкусно", "", "Холодный чай"),
                                       strict=True):  # fmt: skip
        done = family.client.data(leave, c=family.contract, d=str(today), r=rating, t=comment)
        assert done["leaveMenuFeedback"]["userErrors"] == []
    revised = families[1].client.data(leave, c=families[1].contract, d=str(today), r=2, t="")
    assert revised["leaveMenuFeedback"]["userErrors"] == []
    stack.project()
    found = canteen.data(FEEDBACK, s=school, d=str(today))["menuFeedback"]
    assert found["days"] == [{
        "date": str(today), "ratings": 3, "average": "3.67", "allRatings": [2, 4, 5],
        "comments": ["Вкусно", "Холодный чай"],
    }]  # fmt: skip
    assert sorted((d["code"], d["ratings"], d["average"]) for d in found["dishes"]) == [
        ("SOUP", 3, "3.67"), ("TEA", 3, "3.67"),
    ]  # fmt: skip
