"""Each mutation end to end: GraphQL → ledger command → event → projection → GraphQL query."""

from datetime import datetime, timedelta
from typing import Any

from domain.feedback import MenuFeedback, feedback_id
from domain.kinds import TerminalKind
from identity.service import Role
from tests.api.stack import Stack
from tests.builders import meal, new_uid, snack
from tests.clock import today

ACCOUNT = """query($c: String!, $atLeast: Position) {
  account(contractNumber: $c, atLeast: $atLeast) {
  regular subsidised spentToday dailyLimit tariff cards { uid state } position } }"""
STATEMENT = """query($c: String!, $first: Int!, $after: String, $kinds: [MovementKind!],
  $since: Date, $until: Date, $atLeast: Position) {
  statement(contractNumber: $c, first: $first, after: $after, kinds: $kinds, since: $since,
    until: $until, atLeast: $atLeast) {
    pageInfo { hasNextPage endCursor }
    edges { cursor node { id position at localAt localDate kind terminalKind amount regularAfter
      declined reason items { code price quantity } } } } }"""


def lines(page: dict[str, Any]) -> list[dict[str, Any]]:
    return [edge["node"] for edge in page["edges"]]


def test_a_parent_changes_the_daily_limit_and_reads_it_back(
    travelled: datetime, stack: Stack
) -> None:
    family = stack.family(stack.school())
    c = family.contract
    position = family.client.recorded("changeDailyLimit", contractNumber=c, limit="35000")
    stack.project()
    account = family.client.data(ACCOUNT, c=family.contract, atLeast=position)["account"]
    assert account["dailyLimit"] == "35000"
    assert int(account["position"]) >= int(position)
    # beyond 32 bits: a typed domain refusal, not a GraphQL Int overflow
    huge = family.client.refused("changeDailyLimit", contractNumber=c, limit="3000000000")
    assert huge == "invalid_amount"


def test_reading_before_the_projection_reaches_the_position_says_not_yet(
    travelled: datetime, stack: Stack
) -> None:
    family = stack.family(stack.school())
    stack.project()
    position = family.client.recorded(
        "changeTariff", contractNumber=family.contract, tariff="MOBILE"
    )
    stack.services.settings.__dict__["read_wait_seconds"] = 0.2
    try:
        code = family.client.error_code(ACCOUNT, c=family.contract, atLeast=position)
    finally:
        stack.services.settings.__dict__["read_wait_seconds"] = 5.0
    assert code == "NOT_YET_CONSISTENT"
    stack.project()
    assert (
        family.client.data(ACCOUNT, c=family.contract, atLeast=position)["account"]["tariff"]
        == "MOBILE"
    )


def test_notification_preferences_and_contact_reach_the_ledger(
    travelled: datetime, stack: Stack
) -> None:
    family = stack.family(stack.school())
    c = family.contract
    family.client.recorded("changeNotificationPreferences", contractNumber=c, serviceOnly=True)
    family.client.recorded("changeContact", contractNumber=c, email="mama@example.org")
    bad = family.client.command("changeContact", contractNumber=c, email="not-an-address")
    assert bad["userErrors"] == [
        {"field": ["input", "email"], "code": "invalid_command", "message": "not an e-mail address"}
    ]
    account = stack.ledger.account(family.pupil.account_id)
    assert account.service_only is True
    assert account.contact_ref is not None
    assert stack.services.people.get(account.contact_ref) == {"email": "mama@example.org"}
    assert family.pupil.contract_number not in account.contact_ref


def test_a_lost_card_is_blocked_and_a_duplicate_ordered(travelled: datetime, stack: Stack) -> None:
    family = stack.family(stack.school())
    c, uid = family.contract, family.pupil.uid
    family.client.recorded("blockCard", contractNumber=c, uid=uid)
    new = new_uid()
    position = family.client.recorded(
        "orderDuplicateCard", contractNumber=c, blockedUid=uid, newUid=new
    )
    stack.project()
    account = family.client.data(ACCOUNT, c=family.contract, atLeast=position)["account"]
    states = {c["uid"]: c["state"] for c in account["cards"]}
    assert states == {family.pupil.uid: "BLOCKED", new: "ACTIVE"}
    assert account["regular"] == str(50_000 - 5_000)
    (fee,) = lines(family.client.data(STATEMENT, c=family.contract, first=1)["statement"])
    assert fee["kind"] == "CARD_FEE"
    assert fee["amount"] == "-5000"
    again = family.client.refused(
        "orderDuplicateCard", contractNumber=c, blockedUid=uid, newUid=new
    )
    assert again in ("card_state", "card_already_issued")


def test_the_statement_pages_by_cursor_and_filters_by_kind_and_date(
    travelled: datetime, stack: Stack
) -> None:
    world = stack.school()
    family = stack.family(world, deposit=100_000)
    for _ in range(2):
        world.tap(TerminalKind.CANTEEN_POS, family.pupil.uid, items=[meal()])
    world.tap(TerminalKind.VENDING, family.pupil.uid, items=[snack(price=150_000)])  # declined
    stack.project()
    c = family.contract
    first = family.client.data(STATEMENT, c=c, first=2)["statement"]
    assert first["pageInfo"]["hasNextPage"] is True
    assert len(first["edges"]) == 2
    assert first["pageInfo"]["endCursor"] == first["edges"][-1]["cursor"]
    after = first["pageInfo"]["endCursor"]
    rest = family.client.data(STATEMENT, c=c, first=10, after=after)["statement"]
    assert rest["pageInfo"]["hasNextPage"] is False
    assert rest["pageInfo"]["endCursor"] == rest["edges"][-1]["cursor"]
    found = lines(first) + lines(rest)
    assert len({ln["id"] for ln in found}) == 4  # global ids, one per line
    assert [ln["kind"] for ln in found] == [
        "PURCHASE_DECLINED", "PURCHASE", "PURCHASE", "TOP_UP",
    ]  # fmt: skip
    positions = [int(ln["position"]) for ln in found]
    assert positions == sorted(positions, reverse=True)
    assert found[1]["items"] == [{"code": "LUNCH", "price": "9000", "quantity": 1}]
    assert found[1]["regularAfter"] == str(100_000 - 2 * 9_000)
    assert found[0]["declined"] is True
    assert found[0]["amount"] == "0"
    local = datetime.fromisoformat(found[1]["localAt"])
    assert local.utcoffset() == timedelta(hours=7)  # Asia/Novosibirsk, with its offset
    assert datetime.fromisoformat(found[1]["at"]).utcoffset() == timedelta(0)
    only = lines(family.client.data(STATEMENT, c=c, first=10, kinds=["TOP_UP"])["statement"])
    assert [ln["kind"] for ln in only] == ["TOP_UP"]
    past = (today() - timedelta(days=3)).isoformat()
    none = family.client.data(STATEMENT, c=c, first=10, since=past, until=past)["statement"]
    assert none["edges"] == []
    assert none["pageInfo"] == {"hasNextPage": False, "endCursor": None}
    assert family.client.error_code(STATEMENT, c=c, first=10, after="bogus!") == "BAD_USER_INPUT"
    assert family.client.error_code(STATEMENT, c=c, first=201) == "BAD_USER_INPUT"
    assert family.client.error_code(STATEMENT, c=c, first=0) == "BAD_USER_INPUT"


def test_attendance_counts_the_turnstile_passes_of_the_day(
    travelled: datetime, stack: Stack
) -> None:
    world = stack.school()
    family = stack.family(world)
    world.tap(TerminalKind.TURNSTILE, family.pupil.uid, direction="in")
    world.tap(TerminalKind.TURNSTILE, family.pupil.uid, direction="out")
    world.tap(TerminalKind.TURNSTILE, family.pupil.uid, direction="in")
    stack.project()
    q = """query($c: String!) { attendance(contractNumber: $c) { edges { node {
      id date passesIn passesOut inside lastPassAt } } } }"""
    days = [e["node"] for e in family.client.data(q, c=family.contract)["attendance"]["edges"]]
    node = "query($id: ID!) { node(id: $id) { ... on AttendanceDay { passesIn } } }"
    assert family.client.data(node, id=days[0].pop("id"))["node"] == {"passesIn": 2}
    assert [(d["date"], d["passesIn"], d["passesOut"], d["inside"]) for d in days] == [
        (today().isoformat(), 2, 1, True)
    ]


def test_staff_publish_a_menu_that_parents_read(travelled: datetime, stack: Stack) -> None:
    world = stack.school()
    family = stack.family(world)
    operator = stack.staff(Role.CANTEEN_OPERATOR, world.school_id)
    day = (today() + timedelta(days=1)).isoformat()  # the school's tomorrow
    q = """mutation($s: UUID!, $d: Date!) { publishMenu(input: {school: $s, date: $d, items: [
      {code: "SOUP", name: "Борщ", price: "6500", allergens: ["celery"],
        nutrition: {kcal: 210}},
      {code: "TEA", name: "Чай", price: "1500"}]}) { userErrors { code } position } }"""
    published = operator.data(q, s=str(world.school_id), d=day)["publishMenu"]
    assert published["userErrors"] == []
    position = published["position"]
    stack.project()
    read = """query($s: UUID!, $d: Date!, $atLeast: Position) {
      menu(school: $s, date: $d, atLeast: $atLeast) {
      items { code name price allergens nutrition { kcal } } } }"""
    menu = family.client.data(read, s=str(world.school_id), d=day, atLeast=position)["menu"]
    assert menu["items"] == [
        {"code": "SOUP", "name": "Борщ", "price": "6500", "allergens": ["celery"],
         "nutrition": {"kcal": 210.0}},
        {"code": "TEA", "name": "Чай", "price": "1500", "allergens": [],
         "nutrition": {"kcal": None}},
    ]  # fmt: skip
    bad = operator.data(q.replace('"6500"', '"-1"'), s=str(world.school_id), d=day)["publishMenu"]
    assert [e["code"] for e in bad["userErrors"]] == ["invalid_amount"]
    assert bad["position"] is None


def test_a_school_admin_registers_and_revokes_a_terminal(travelled: datetime, stack: Stack) -> None:
    world = stack.school()
    admin = stack.staff(Role.SCHOOL_ADMIN, world.school_id)
    q = """mutation($s: UUID!) { registerTerminal(input: {school: $s, kind: CANTEEN_POS,
      label: "буфет 2"}) { terminalId secret position userErrors { code } } }"""
    registered = admin.data(q, s=str(world.school_id))["registerTerminal"]
    assert registered["userErrors"] == []
    assert registered["position"]
    assert len(registered["secret"]) >= 32
    terminal_id = registered["terminalId"]
    school = stack.ledger.school(world.school_id)
    assert str(school.terminal(__import__("uuid").UUID(terminal_id))["kind"]) == "canteen_pos"
    revoke = """mutation($t: UUID!) { revokeTerminal(input: {terminalId: $t, reason: "stolen"})
      { terminalId userErrors { code } position } }"""
    revoked = admin.data(revoke, t=terminal_id)["revokeTerminal"]
    assert (revoked["terminalId"], revoked["userErrors"]) == (terminal_id, [])
    assert revoked["position"]
    school = stack.ledger.school(world.school_id)
    assert school.terminal(__import__("uuid").UUID(terminal_id))["revoked"]


def test_a_school_admin_grants_and_revokes_a_subsidy(travelled: datetime, stack: Stack) -> None:
    world = stack.school()
    family = stack.family(world)
    admin = stack.staff(Role.SCHOOL_ADMIN, world.school_id)
    stack.project()  # staff find accounts through the balances read model
    c = family.contract
    admin.recorded(
        "grantSubsidy", contractNumber=c, basis="многодетная семья", dailyAllowance="9000"
    )
    assert stack.ledger.account(family.pupil.account_id).subsidy == {
        "basis": "многодетная семья", "daily_allowance": 9000,
    }  # fmt: skip
    stack.ledger.credit_subsidy(family.pupil.account_id, 9000, today().strftime("%Y-%m"))
    stack.project()
    account = family.client.data(ACCOUNT, c=family.contract)["account"]
    assert account["subsidised"] == "9000"
    admin.recorded("revokeSubsidy", contractNumber=c, reason="срок истёк")
    assert admin.refused("revokeSubsidy", contractNumber=c, reason="срок истёк") == "subsidy"


RESET_ACCESS = """mutation($c: String!) { resetAccess(input: {contractNumber: $c}) {
  contractNumber userErrors { field code message } position } }"""


def test_support_resets_access_by_sms(travelled: datetime, stack: Stack) -> None:
    world = stack.school()
    family = stack.family(world)
    nobody = world.pupil()  # a contract no parent has logged in for
    support = stack.staff(Role.SUPPORT, world.school_id)
    stack.project()
    refused = support.data(RESET_ACCESS, c=nobody.contract_number)["resetAccess"]
    assert refused == {
        "contractNumber": None,
        "userErrors": [{"field": ["input", "contractNumber"], "code": "not_found",
                        "message": "this contract has no parent login"}],
        "position": None,
    }  # fmt: skip
    reset = support.data(RESET_ACCESS, c=family.contract)["resetAccess"]
    assert (reset["contractNumber"], reset["userErrors"]) == (family.contract, [])
    assert reset["position"] is not None
    password = stack.password_sent_to(family.phone)
    assert password != family.password
    assert family.client.error_code("{ viewer { role } }") == "UNAUTHENTICATED"
    assert "accessToken" in stack.client().login(family.contract, password)


def test_school_report_and_tariffs(travelled: datetime, stack: Stack) -> None:
    world = stack.school()
    family = stack.family(world)
    world.tap(TerminalKind.CANTEEN_POS, family.pupil.uid, items=[meal()])
    stack.project()
    admin = stack.staff(Role.SCHOOL_ADMIN, world.school_id)
    q = """query($s: UUID!) { schoolReport(school: $s) { days { date
      terminals { terminalKind turnover purchases mealsServed pupils }
      topups { channel amount } } } }"""
    days = admin.data(q, s=str(world.school_id))["schoolReport"]["days"]
    assert [d["date"] for d in days] == [today().isoformat()]
    assert days[0]["terminals"] == [
        {"terminalKind": "CANTEEN_POS", "turnover": "9000", "purchases": 1, "mealsServed": 1,
         "pupils": 1},
    ]  # fmt: skip
    assert days[0]["topups"] == [{"channel": "KIOSK_CASH", "amount": "50000"}]
    tariffs = family.client.data("{ tariffs { tariff monthlyFee } }")["tariffs"]
    assert {t["tariff"]: t["monthlyFee"] for t in tariffs} == {
        "ZERO": "0", "MOBILE": "9500", "SMS_PLUS": "16500",
    }  # fmt: skip


def test_support_unblocks_a_card_found_again(travelled: datetime, stack: Stack) -> None:
    world = stack.school()
    family = stack.family(world)
    stack.ledger.block_card(family.pupil.account_id, family.pupil.uid, "lost")
    stack.project()
    support = stack.staff(Role.SUPPORT, world.school_id)
    unblock = {"contractNumber": family.contract, "uid": family.pupil.uid, "reason": "нашлась"}
    support.recorded("unblockCard", **unblock)
    assert stack.ledger.account(family.pupil.account_id).cards[family.pupil.uid] == "active"
    tap = world.tap(TerminalKind.CANTEEN_POS, family.pupil.uid, items=[meal()])
    assert tap.decision.outcome == "approved"
    assert support.refused("unblockCard", **unblock) == "card_state"


def test_a_parent_rates_a_served_menu_and_may_revise_it(travelled: datetime, stack: Stack) -> None:
    world = stack.school()
    family = stack.family(world)
    served = today()
    stack.ledger.publish_menu(world.school_id, served, [meal()])
    rate = {"contractNumber": family.contract, "comment": "суп холодный"}
    family.client.recorded("leaveMenuFeedback", **rate, date=served.isoformat(), rating=3)
    family.client.recorded("leaveMenuFeedback", **rate, date=served.isoformat(), rating=2)
    found: MenuFeedback = stack.ledger.repository.get(
        feedback_id(world.school_id, served, family.pupil.account_id)
    )
    assert (found.rating, found.comment, found.version) == (2, "суп холодный", 2)
    bad = family.client.refused("leaveMenuFeedback", **rate, date=served.isoformat(), rating=9)
    assert bad == "invalid_command"
    tomorrow = (served + timedelta(days=1)).isoformat()
    none = family.client.refused("leaveMenuFeedback", **rate, date=tomorrow, rating=4)
    assert none == "invalid_command"
