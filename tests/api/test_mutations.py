"""Each mutation end to end: GraphQL → ledger command → event → projection → GraphQL query."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from domain.feedback import MenuFeedback, feedback_id
from domain.kinds import TerminalKind
from identity.service import Role
from tests.api.stack import Stack
from tests.builders import meal, new_uid, snack

DONE = "__typename ... on Done { position } ... on Problem { code message }"
ACCOUNT = """query($c: String!, $atLeast: Position) {
  account(contractNumber: $c, atLeast: $atLeast) {
  regular subsidised spentToday dailyLimit tariff cards { uid state } position } }"""
STATEMENT = """query($c: String!, $first: Int!, $cursor: String, $kinds: [MovementKind!],
  $since: Date, $until: Date, $atLeast: Position) {
  statement(contractNumber: $c, first: $first, cursor: $cursor, kinds: $kinds, since: $since,
    until: $until, atLeast: $atLeast) {
    hasMore nextCursor
    lines { position at localAt localDate kind terminalKind amount regularAfter declined reason
      items { code price quantity } } } }"""


def mutation(variables: str, call: str) -> str:
    return f"mutation({variables}) {{ {call} {{ {DONE} }} }}"


def done(result: dict[str, object]) -> str:
    assert result["__typename"] == "Done", result
    return str(result["position"])


def test_a_parent_changes_the_daily_limit_and_reads_it_back(stack: Stack) -> None:
    family = stack.family(stack.school())
    q = mutation("$c: String!, $l: Kopecks!", "changeDailyLimit(contractNumber: $c, limit: $l)")
    position = done(family.client.data(q, c=family.contract, l="35000")["changeDailyLimit"])
    stack.project()
    account = family.client.data(ACCOUNT, c=family.contract, atLeast=position)["account"]
    assert account["dailyLimit"] == "35000"
    assert int(account["position"]) >= int(position)
    # beyond 32 bits: a typed domain refusal, not a GraphQL Int overflow
    huge = family.client.data(q, c=family.contract, l="3000000000")["changeDailyLimit"]
    assert huge["__typename"] == "Problem"
    assert huge["code"] == "INVALID_AMOUNT"


def test_reading_before_the_projection_reaches_the_position_says_not_yet(stack: Stack) -> None:
    family = stack.family(stack.school())
    stack.project()
    q = mutation("$c: String!", "changeTariff(contractNumber: $c, tariff: MOBILE)")
    position = done(family.client.data(q, c=family.contract)["changeTariff"])
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


def test_notification_preferences_and_contact_reach_the_ledger(stack: Stack) -> None:
    family = stack.family(stack.school())
    prefs = mutation(
        "$c: String!", "changeNotificationPreferences(contractNumber: $c, serviceOnly: true)"
    )
    contact = mutation(
        "$c: String!", 'changeContact(contractNumber: $c, email: "mama@example.org")'
    )
    done(family.client.data(prefs, c=family.contract)["changeNotificationPreferences"])
    done(family.client.data(contact, c=family.contract)["changeContact"])
    bad = mutation("$c: String!", 'changeContact(contractNumber: $c, email: "not-an-address")')
    assert family.client.data(bad, c=family.contract)["changeContact"]["code"] == "INVALID_COMMAND"
    account = stack.ledger.account(family.pupil.account_id)
    assert account.service_only is True
    assert account.contact_ref is not None
    assert stack.services.people.get(account.contact_ref) == {"email": "mama@example.org"}
    assert family.pupil.contract_number not in account.contact_ref


def test_a_lost_card_is_blocked_and_a_duplicate_ordered(stack: Stack) -> None:
    family = stack.family(stack.school())
    block = mutation("$c: String!, $u: String!", "blockCard(contractNumber: $c, uid: $u)")
    done(family.client.data(block, c=family.contract, u=family.pupil.uid)["blockCard"])
    new = new_uid()
    order = mutation(
        "$c: String!, $b: String!, $n: String!",
        "orderDuplicateCard(contractNumber: $c, blockedUid: $b, newUid: $n)",
    )
    position = done(
        family.client.data(order, c=family.contract, b=family.pupil.uid, n=new)[
            "orderDuplicateCard"
        ]
    )
    stack.project()
    account = family.client.data(ACCOUNT, c=family.contract, atLeast=position)["account"]
    states = {c["uid"]: c["state"] for c in account["cards"]}
    assert states == {family.pupil.uid: "BLOCKED", new: "ACTIVE"}
    assert account["regular"] == str(50_000 - 5_000)
    lines = family.client.data(STATEMENT, c=family.contract, first=1)["statement"]["lines"]
    assert lines[0]["kind"] == "CARD_FEE"
    assert lines[0]["amount"] == "-5000"
    again = family.client.data(order, c=family.contract, b=family.pupil.uid, n=new)
    assert again["orderDuplicateCard"]["code"] in ("CARD_STATE", "CARD_ALREADY_ISSUED")


def test_the_statement_pages_by_cursor_and_filters_by_kind_and_date(stack: Stack) -> None:
    world = stack.school()
    family = stack.family(world, deposit=100_000)
    for _ in range(2):
        world.tap(TerminalKind.CANTEEN_POS, family.pupil.uid, items=[meal()])
    world.tap(TerminalKind.VENDING, family.pupil.uid, items=[snack(price=150_000)])  # declined
    stack.project()
    c = family.contract
    first = family.client.data(STATEMENT, c=c, first=2)["statement"]
    assert first["hasMore"] is True
    assert len(first["lines"]) == 2
    rest = family.client.data(STATEMENT, c=c, first=10, cursor=first["nextCursor"])["statement"]
    assert rest["hasMore"] is False
    assert rest["nextCursor"] is None
    lines = first["lines"] + rest["lines"]
    assert [ln["kind"] for ln in lines] == [
        "PURCHASE_DECLINED", "PURCHASE", "PURCHASE", "TOP_UP",
    ]  # fmt: skip
    positions = [int(ln["position"]) for ln in lines]
    assert positions == sorted(positions, reverse=True)
    assert lines[1]["items"] == [{"code": "LUNCH", "price": "9000", "quantity": 1}]
    assert lines[1]["regularAfter"] == str(100_000 - 2 * 9_000)
    assert lines[0]["declined"] is True
    assert lines[0]["amount"] == "0"
    local = datetime.fromisoformat(lines[1]["localAt"])
    assert local.utcoffset() == timedelta(hours=7)  # Asia/Novosibirsk, with its offset
    assert datetime.fromisoformat(lines[1]["at"]).utcoffset() == timedelta(0)
    only = family.client.data(STATEMENT, c=c, first=10, kinds=["TOP_UP"])["statement"]["lines"]
    assert [ln["kind"] for ln in only] == ["TOP_UP"]
    today = datetime.now(ZoneInfo("Asia/Novosibirsk")).date()
    past = (today - timedelta(days=3)).isoformat()
    none = family.client.data(STATEMENT, c=c, first=10, since=past, until=past)["statement"]
    assert none["lines"] == []
    assert family.client.error_code(STATEMENT, c=c, first=10, cursor="bogus!") == "BAD_USER_INPUT"
    assert family.client.error_code(STATEMENT, c=c, first=500) == "BAD_USER_INPUT"


def test_attendance_counts_the_turnstile_passes_of_the_day(stack: Stack) -> None:
    world = stack.school()
    family = stack.family(world)
    world.tap(TerminalKind.TURNSTILE, family.pupil.uid, direction="in")
    world.tap(TerminalKind.TURNSTILE, family.pupil.uid, direction="out")
    world.tap(TerminalKind.TURNSTILE, family.pupil.uid, direction="in")
    stack.project()
    q = """query($c: String!) { attendance(contractNumber: $c) {
      date passesIn passesOut inside lastPassAt } }"""
    days = family.client.data(q, c=family.contract)["attendance"]
    today = datetime.now(ZoneInfo("Asia/Novosibirsk")).date().isoformat()
    assert [(d["date"], d["passesIn"], d["passesOut"], d["inside"]) for d in days] == [
        (today, 2, 1, True)
    ]


def test_staff_publish_a_menu_that_parents_read(stack: Stack) -> None:
    world = stack.school()
    family = stack.family(world)
    operator = stack.staff(Role.CANTEEN_OPERATOR, world.school_id)
    day = (datetime.now(UTC).date() + timedelta(days=1)).isoformat()
    q = f"""mutation($s: UUID!, $d: Date!) {{ publishMenu(school: $s, date: $d, items: [
      {{code: "SOUP", name: "Борщ", price: "6500", allergens: ["celery"],
        nutrition: {{kcal: 210}}}},
      {{code: "TEA", name: "Чай", price: "1500"}}]) {{ {DONE} }} }}"""
    position = done(operator.data(q, s=str(world.school_id), d=day)["publishMenu"])
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
    assert bad["__typename"] == "Problem"


def test_a_school_admin_registers_and_revokes_a_terminal(stack: Stack) -> None:
    world = stack.school()
    admin = stack.staff(Role.SCHOOL_ADMIN, world.school_id)
    q = """mutation($s: UUID!) { registerTerminal(school: $s, kind: CANTEEN_POS, label: "буфет 2") {
      __typename ... on TerminalRegistered { terminalId secret position }
      ... on Problem { code } } }"""
    registered = admin.data(q, s=str(world.school_id))["registerTerminal"]
    assert registered["__typename"] == "TerminalRegistered"
    assert len(registered["secret"]) >= 32
    terminal_id = registered["terminalId"]
    school = stack.ledger.school(world.school_id)
    assert str(school.terminal(__import__("uuid").UUID(terminal_id))["kind"]) == "canteen_pos"
    revoke = mutation("$t: UUID!", 'revokeTerminal(terminalId: $t, reason: "stolen")')
    done(admin.data(revoke, t=terminal_id)["revokeTerminal"])
    school = stack.ledger.school(world.school_id)
    assert school.terminal(__import__("uuid").UUID(terminal_id))["revoked"]


def test_a_school_admin_grants_and_revokes_a_subsidy(stack: Stack) -> None:
    world = stack.school()
    family = stack.family(world)
    admin = stack.staff(Role.SCHOOL_ADMIN, world.school_id)
    stack.project()  # staff find accounts through the balances read model
    grant = mutation(
        "$c: String!",
        'grantSubsidy(contractNumber: $c, basis: "многодетная семья", dailyAllowance: "9000")',
    )
    done(admin.data(grant, c=family.contract)["grantSubsidy"])
    assert stack.ledger.account(family.pupil.account_id).subsidy == {
        "basis": "многодетная семья", "daily_allowance": 9000,
    }  # fmt: skip
    stack.ledger.credit_subsidy(family.pupil.account_id, 9000, "2026-11")
    stack.project()
    account = family.client.data(ACCOUNT, c=family.contract)["account"]
    assert account["subsidised"] == "9000"
    revoke = mutation("$c: String!", 'revokeSubsidy(contractNumber: $c, reason: "срок истёк")')
    done(admin.data(revoke, c=family.contract)["revokeSubsidy"])
    again = admin.data(revoke, c=family.contract)["revokeSubsidy"]
    assert again["__typename"] == "Problem"
    assert again["code"] == "SUBSIDY"


def test_support_resets_access_by_sms(stack: Stack) -> None:
    world = stack.school()
    family = stack.family(world)
    support = stack.staff(Role.SUPPORT, world.school_id)
    stack.project()
    q = mutation("$c: String!", "resetAccess(contractNumber: $c)")
    done(support.data(q, c=family.contract)["resetAccess"])
    password = stack.password_sent_to(family.phone)
    assert password != family.password
    assert family.client.error_code("{ viewer { role } }") == "UNAUTHENTICATED"
    assert "accessToken" in stack.client().login(family.contract, password)


def test_school_report_and_tariffs(stack: Stack) -> None:
    world = stack.school()
    family = stack.family(world)
    world.tap(TerminalKind.CANTEEN_POS, family.pupil.uid, items=[meal()])
    stack.project()
    admin = stack.staff(Role.SCHOOL_ADMIN, world.school_id)
    q = """query($s: UUID!) { schoolReport(school: $s) { days { date
      terminals { terminalKind turnover purchases mealsServed pupils }
      topups { channel amount } } } }"""
    days = admin.data(q, s=str(world.school_id))["schoolReport"]["days"]
    today = datetime.now(ZoneInfo("Asia/Novosibirsk")).date().isoformat()
    assert [d["date"] for d in days] == [today]
    assert days[0]["terminals"] == [
        {"terminalKind": "CANTEEN_POS", "turnover": "9000", "purchases": 1, "mealsServed": 1,
         "pupils": 1},
    ]  # fmt: skip
    assert days[0]["topups"] == [{"channel": "KIOSK_CASH", "amount": "50000"}]
    tariffs = family.client.data("{ tariffs { tariff monthlyFee } }")["tariffs"]
    assert {t["tariff"]: t["monthlyFee"] for t in tariffs} == {
        "ZERO": "0", "MOBILE": "9500", "SMS_PLUS": "16500",
    }  # fmt: skip
    assert datetime.now(UTC)  # keep UTC import used


def test_support_unblocks_a_card_found_again(stack: Stack) -> None:
    world = stack.school()
    family = stack.family(world)
    stack.ledger.block_card(family.pupil.account_id, family.pupil.uid, "lost")
    stack.project()
    support = stack.staff(Role.SUPPORT, world.school_id)
    q = mutation(
        "$c: String!, $u: String!", 'unblockCard(contractNumber: $c, uid: $u, reason: "нашлась")'
    )
    done(support.data(q, c=family.contract, u=family.pupil.uid)["unblockCard"])
    assert stack.ledger.account(family.pupil.account_id).cards[family.pupil.uid] == "active"
    tap = world.tap(TerminalKind.CANTEEN_POS, family.pupil.uid, items=[meal()])
    assert tap.decision.outcome == "approved"
    again = support.data(q, c=family.contract, u=family.pupil.uid)["unblockCard"]
    assert again["__typename"] == "Problem"
    assert again["code"] == "CARD_STATE"


def test_a_parent_rates_a_served_menu_and_may_revise_it(stack: Stack) -> None:
    world = stack.school()
    family = stack.family(world)
    today = datetime.now(ZoneInfo("Asia/Novosibirsk")).date()
    stack.ledger.publish_menu(world.school_id, today, [meal()])
    q = mutation(
        "$c: String!, $d: Date!, $r: Int!",
        'leaveMenuFeedback(contractNumber: $c, date: $d, rating: $r, comment: "суп холодный")',
    )
    done(family.client.data(q, c=family.contract, d=today.isoformat(), r=3)["leaveMenuFeedback"])
    done(family.client.data(q, c=family.contract, d=today.isoformat(), r=2)["leaveMenuFeedback"])
    found: MenuFeedback = stack.ledger.repository.get(
        feedback_id(world.school_id, today, family.pupil.account_id)
    )
    assert (found.rating, found.comment, found.version) == (2, "суп холодный", 2)
    bad = family.client.data(q, c=family.contract, d=today.isoformat(), r=9)["leaveMenuFeedback"]
    assert bad["code"] == "INVALID_COMMAND"
    tomorrow = (today + timedelta(days=1)).isoformat()
    none = family.client.data(q, c=family.contract, d=tomorrow, r=4)["leaveMenuFeedback"]
    assert none["code"] == "INVALID_COMMAND"
