"""Point 5: a pre-ordered meal is served at the till without a second charge, a cancelled one
is refunded once; a transfer between siblings is atomic under concurrent taps."""

from concurrent.futures import Future, ThreadPoolExecutor
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
import time_machine

from identity.service import Role
from tests.api.stack import Family, Stack
from tests.builders import meal
from tests.clock import SWEEP_ZONE
from tests.parents.tills import decided, school_today, till

pytestmark = pytest.mark.usefixtures("travelled")  # every test on the travelled clock

PRE_ORDER = """preOrder { preOrderId mealDate status amount refunded cancelReason cutoffAt
  items { code name price quantity } openItems { code quantity } }
  userErrors { field code message } position"""
PLACE = f"""mutation($i: PlacePreOrderInput!) {{ placePreOrder(input: $i) {{ {PRE_ORDER} }} }}"""
CANCEL = f"""mutation($i: CancelPreOrderInput!) {{ cancelPreOrder(input: $i) {{ {PRE_ORDER} }} }}"""
CANCEL_DAY = """mutation($i: CancelSchoolMealsInput!) { cancelSchoolMeals(input: $i) {
  refundedPreOrders refunded userErrors { code message } } }"""
CUTOFF = "query($s: UUID!, $d: Date!) { preOrderCutoff(school: $s, mealDate: $d) }"
LIST = """query($c: String!, $since: Date, $first: Int!, $after: String) {
  preOrders(contractNumber: $c, since: $since, first: $first, after: $after) {
    edges { cursor node { id preOrderId mealDate status amount refunded cancelReason
      openItems { code quantity } } }
    pageInfo { hasNextPage endCursor } } }"""
NODE = """query($id: ID!) { node(id: $id) { id ... on PreOrder { preOrderId mealDate status } } }"""
PORTIONS = """query($s: UUID!, $d: Date!) { preOrderPortions(school: $s, mealDate: $d) {
  code portions } }"""
STATEMENT = """query($c: String!) { statement(contractNumber: $c, first: 100) {
  edges { node { kind amount regularAfter reason } } } }"""
TRANSFER = """mutation($i: TransferBetweenSiblingsInput!) { transferBetweenSiblings(input: $i) {
  transfer { transferId amount source { contractNumber regularAfter }
    target { contractNumber regularAfter } replayed } userErrors { code message } position } }"""
MENU = [
    {"code": "LUNCH", "name": "Комплексный обед", "price": 9000},
    {"code": "SOUP", "name": "Суп дня", "price": 4000},
]


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), SWEEP_ZONE)


def place(family: Family, day: date, *codes: str) -> dict[str, Any]:
    items = [{"code": c} for c in codes]
    found = family.client.data(
        PLACE, i={"contractNumber": family.contract, "mealDate": day.isoformat(), "items": items}
    )["placePreOrder"]
    assert isinstance(found, dict)
    return found


def listed(family: Family, first: int = 50, **variables: Any) -> list[dict[str, Any]]:
    """The child's pre-orders, `first` a page."""
    return family.client.nodes(LIST, "preOrders", first, c=family.contract, **variables)


def statement(family: Family) -> list[dict[str, Any]]:
    edges = family.client.data(STATEMENT, c=family.contract)["statement"]["edges"]
    assert isinstance(edges, list)
    return [edge["node"] for edge in edges]


def test_a_preordered_meal_is_served_and_a_cancelled_one_refunded(stack: Stack) -> None:
    world = stack.school()
    family = stack.family(world, deposit=50_000)
    canteen = till(stack, world.school_id, "canteen_pos", "Столовая, касса 1")
    today = school_today(stack, world.school_id)
    meal_day, quarantine = today + timedelta(days=2), today + timedelta(days=3)
    for day in (meal_day, quarantine):
        stack.ledger.publish_menu(world.school_id, day, MENU)
    school = str(world.school_id)
    stack.project()  # a parent's schools are read from the read models

    cutoff = family.client.data(CUTOFF, s=school, d=meal_day.isoformat())["preOrderCutoff"]
    eve = local(meal_day - timedelta(days=1), 16)
    assert datetime.fromisoformat(cutoff) == eve  # the default: 16:00 the day before
    lunch = place(family, meal_day, "LUNCH", "SOUP")
    assert lunch["userErrors"] == []
    assert lunch["preOrder"]["status"] == "PLACED"
    assert (lunch["preOrder"]["amount"], lunch["preOrder"]["cutoffAt"]) == ("13000", cutoff)
    quarantined = place(family, quarantine, "LUNCH")["preOrder"]
    twice = place(family, meal_day, "LUNCH")
    assert [e["code"] for e in twice["userErrors"]] == ["preorder_exists"]
    unknown = place(family, meal_day + timedelta(days=5), "LUNCH")
    assert [e["code"] for e in unknown["userErrors"]] == ["no_menu"]

    admin = stack.staff(Role.SCHOOL_ADMIN, world.school_id)
    cancel_day = {"school": school, "mealDate": quarantine.isoformat(), "reason": "карантин"}
    first = admin.data(CANCEL_DAY, i=cancel_day)["cancelSchoolMeals"]
    assert (first["refundedPreOrders"], first["refunded"], first["userErrors"]) == (1, "9000", [])
    again = admin.data(CANCEL_DAY, i=cancel_day)["cancelSchoolMeals"]
    assert (again["refundedPreOrders"], again["refunded"]) == (0, "0")  # refunded once
    assert [e["code"] for e in place(family, quarantine, "SOUP")["userErrors"]] == [
        "meal_cancelled"
    ]

    stack.project()
    orders = {p["preOrderId"]: p for p in listed(family)}
    assert orders[quarantined["preOrderId"]]["status"] == "CANCELLED"
    assert orders[quarantined["preOrderId"]]["refunded"] == "9000"
    assert orders[quarantined["preOrderId"]]["cancelReason"] == "карантин"
    assert orders[lunch["preOrder"]["preOrderId"]]["status"] == "PLACED"
    kitchen = admin.data(PORTIONS, s=school, d=meal_day.isoformat())["preOrderPortions"]
    assert kitchen == [{"code": "LUNCH", "portions": 1}, {"code": "SOUP", "portions": 1}]
    lines = statement(family)
    assert [(x["kind"], x["amount"], x["regularAfter"]) for x in lines[:3]] == [
        ("PREORDER_REFUND", "9000", "37000"),
        ("PREORDER", "-9000", "28000"),
        ("PREORDER", "-13000", "37000"),
    ]
    assert "карантин" in lines[0]["reason"]
    assert "Суп дня" in lines[2]["reason"]

    preorder_id = lunch["preOrder"]["preOrderId"]
    with time_machine.travel(local(meal_day - timedelta(days=1), 16, 5)):
        family.client.login(family.contract, family.password)  # the old session has expired
        late = family.client.data(
            CANCEL, i={"contractNumber": family.contract, "preOrderId": preorder_id}
        )["cancelPreOrder"]
        assert [e["code"] for e in late["userErrors"]] == ["preorder_cutoff_passed"]

    with time_machine.travel(local(meal_day, 12, 30)):
        tray = [meal(9000), meal(4000, "SOUP")]
        served = decided(canteen, family.pupil.uid, items=tray)
        assert (served["outcome"], served["amount"], served["preorder_id"]) == (
            "approved", 0, preorder_id
        )  # fmt: skip
        assert served["regular_after"] == 37_000  # paid when ordered, not again
        second = decided(canteen, family.pupil.uid, items=[meal(9000)])
        assert (second["amount"], second["preorder_id"]) == (9000, None)
        stack.project()
        family.client.login(family.contract, family.password)
        lines = statement(family)
        assert [(x["kind"], x["amount"]) for x in lines[:2]] == [
            ("PURCHASE", "-9000"), ("PREORDER_SERVED", "0")
        ]  # fmt: skip
        assert "повторно не списано" in lines[1]["reason"]
        assert {p["preOrderId"]: p["status"] for p in listed(family)}[preorder_id] == "SERVED"


def test_pre_orders_come_a_page_at_a_time_and_refetch_by_their_id(stack: Stack) -> None:
    world = stack.school()
    family = stack.family(world, deposit=100_000)
    today = school_today(stack, world.school_id)
    days = [today + timedelta(days=n) for n in (2, 3, 4)]
    for day in days:
        stack.ledger.publish_menu(world.school_id, day, MENU)
    stack.project()
    placed = [place(family, day, "SOUP")["preOrder"] for day in days]
    cancel = {"contractNumber": family.contract, "preOrderId": placed[0]["preOrderId"]}
    assert family.client.data(CANCEL, i=cancel)["cancelPreOrder"]["userErrors"] == []
    again = place(family, days[0], "LUNCH")["preOrder"]  # a second one for that day
    stack.project()

    everything = listed(family)
    assert [(p["mealDate"], p["preOrderId"]) for p in everything] == [
        (days[2].isoformat(), placed[2]["preOrderId"]),
        (days[1].isoformat(), placed[1]["preOrderId"]),
        (days[0].isoformat(), again["preOrderId"]),  # the latest placed first
        (days[0].isoformat(), placed[0]["preOrderId"]),
    ]
    one = family.client.data(LIST, c=family.contract, first=3)["preOrders"]
    after = one["pageInfo"]["endCursor"]
    two = family.client.data(LIST, c=family.contract, first=3, after=after)["preOrders"]
    first, second = ([e["node"] for e in p["edges"]] for p in (one, two))
    assert (one["pageInfo"]["hasNextPage"], two["pageInfo"]["hasNextPage"]) == (True, False)
    assert {p["id"] for p in first}.isdisjoint(p["id"] for p in second)
    assert first + second == everything
    assert listed(family, first=1) == everything
    later = listed(family, first=1, since=days[1].isoformat())
    assert later == everything[:2]
    malformed = family.client.gql(LIST, c=family.contract, first=1, after="bm9wZQ==")
    assert malformed["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"

    cancelled = everything[3]
    assert family.client.data(NODE, id=cancelled["id"])["node"] == {
        "id": cancelled["id"], "preOrderId": cancelled["preOrderId"],
        "mealDate": cancelled["mealDate"], "status": "CANCELLED",
    }  # fmt: skip
    stranger = stack.family(world)
    refused = stranger.client.gql(NODE, id=cancelled["id"])
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN", refused


TAPS_PER_TILL, TILLS, TRANSFERS = 8, 4, 10  # transfers per thread, two threads


def test_a_sibling_transfer_is_atomic_under_concurrent_taps(stack: Stack) -> None:
    world = stack.school()
    family = stack.family(world, deposit=300_000)  # the elder child: the source
    younger = world.pupil(deposit=10_000)
    stack.identity.grant_parent(younger.contract_number, younger.account_id, family.phone)
    source, target = family.pupil, younger
    stack.ledger.change_daily_limit(source.account_id, 1_000_000)  # only money limits taps
    tills = [till(stack, world.school_id, "canteen_pos", f"Касса {n}") for n in range(TILLS)]
    overdraft = stack.ledger.school(world.school_id).meal_overdraft

    def taps(n: int) -> list[dict[str, Any]]:
        return [decided(tills[n], source.uid, items=[meal(9000)]) for _ in range(TAPS_PER_TILL)]

    def transfer() -> dict[str, Any]:
        found = family.client.data(
            TRANSFER,
            i={"fromContractNumber": source.contract_number,
               "toContractNumber": target.contract_number, "amount": "10000"},
        )["transferBetweenSiblings"]  # fmt: skip
        assert isinstance(found, dict)
        return found

    def transfers(tapping: list[Future[list[dict[str, Any]]]]) -> list[dict[str, Any]]:
        """Transfers while the tills tap (at most TRANSFERS)."""
        found = [transfer()]
        while len(found) < TRANSFERS and not all(f.done() for f in tapping):
            found.append(transfer())
        return found

    with ThreadPoolExecutor(TILLS + 2) as pool:
        tapped = [pool.submit(taps, n) for n in range(TILLS)]
        moving = [pool.submit(transfers, tapped) for _ in range(2)]
        decisions = [d for f in tapped for d in f.result()]
        moved = [m for f in moving for m in f.result()]

    done = [m["transfer"] for m in moved if m["transfer"] is not None]
    refused = [m["userErrors"] for m in moved if m["transfer"] is None]
    assert all([e["code"] for e in errors] == ["insufficient_funds"] for errors in refused)
    assert done  # and the money of 300 000 kopecks cannot cover all the taps and transfers:
    assert len(refused) + len([d for d in decisions if d["outcome"] == "declined"]) > 0
    spent = sum(d["amount"] for d in decisions if d["outcome"] == "approved")
    approved = [d for d in decisions if d["outcome"] == "approved"]
    assert {d["reason"] for d in decisions if d["outcome"] == "declined"} <= {"insufficient_funds"}

    a, b = stack.ledger.account(source.account_id), stack.ledger.account(target.account_id)
    moved_total = 10_000 * len(done)
    assert a.regular == 300_000 - spent - moved_total  # money conserved, nothing doubled
    assert b.regular == 10_000 + moved_total
    assert a.regular >= -overdraft

    stack.project()
    family.client.login(family.contract, family.password)
    elder = statement(family)
    outs = [x for x in elder if x["kind"] == "TRANSFER_OUT"]
    assert len(outs) == len(done)
    assert all(int(x["regularAfter"]) >= 0 for x in outs)  # a transfer never overdraws
    assert len([x for x in elder if x["kind"] == "PURCHASE"]) == len(approved)
    assert all(int(x["regularAfter"]) >= -overdraft for x in elder)
    assert int(elder[0]["regularAfter"]) == a.regular
    sibling = Family(target, family.phone, family.password, family.client)
    ins = [x for x in statement(sibling) if x["kind"] == "TRANSFER_IN"]
    assert len(ins) == len(done)
    assert int(statement(sibling)[0]["regularAfter"]) == b.regular
    ids = {t["transferId"] for t in done}
    assert len(ids) == len(done)

    stranger = stack.family(world, deposit=10_000)
    foreign = stranger.client.gql(
        TRANSFER,
        i={"fromContractNumber": stranger.contract, "toContractNumber": target.contract_number,
           "amount": "100"},
    )  # fmt: skip
    assert foreign["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    too_much = transfer_of(family, source.contract_number, target.contract_number, "0")
    assert [e["code"] for e in too_much] == ["invalid_amount"]
    back = {"fromContractNumber": target.contract_number, "amount": "5000",
            "toContractNumber": source.contract_number, "idempotencyKey": "дважды"}  # fmt: skip
    first, second = (
        family.client.data(TRANSFER, i=back)["transferBetweenSiblings"]["transfer"]
        for _ in range(2)
    )
    assert (second["transferId"], second["replayed"]) == (first["transferId"], True)
    assert stack.ledger.account(target.account_id).regular == b.regular - 5000  # moved once


def transfer_of(family: Family, source: str, target: str, amount: str) -> list[dict[str, Any]]:
    found = family.client.data(
        TRANSFER, i={"fromContractNumber": source, "toContractNumber": target, "amount": amount}
    )["transferBetweenSiblings"]
    errors: list[dict[str, Any]] = found["userErrors"]
    return errors
