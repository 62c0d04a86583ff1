"""Casework queues over GraphQL (issue 11): a charge flagged as it is projected, seen by staff
before anyone disputes it and by the parent on the charge; the dispute queue with its
evidence; staff and parent told at each step."""

import json
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from domain import casework
from domain.kinds import TerminalKind
from identity.service import Role
from tests.api.stack import Client, Stack
from tests.builders import meal
from tests.workers.harness import wait_for

ZONE = ZoneInfo("Asia/Novosibirsk")  # tests.builders.new_school's zone
FLAGGED = """query($s: UUID!, $d: Date!, $first: Int!, $after: String) {
  flaggedCharges(school: $s, since: $d, until: $d, first: $first, after: $after) { edges { node {
  contractNumber chargeKey localDate amount flags evidenceJson disputeStatus terminalKind } }
  pageInfo { hasNextPage endCursor } } }"""
CHARGES = """query($c: String!, $on: Date!) { charges(contractNumber: $c, on: $on) {
  key amount flags } }"""
DISPUTES = """query($s: UUID!, $st: [String!]) { disputes(school: $s, statuses: $st) { edges {
  node { id contractNumber chargeKey amount claim flags status decision evidenceJson } } } }"""
NODE = """query($id: ID!) { node(id: $id) { ... on DisputeCase { chargeKey status } } }"""


def flagged(client: Client, school: str, day: str, first: int = 50) -> list[Any]:
    """Every flagged charge of the day, newest first, `first` at a time."""
    return client.nodes(FLAGGED, "flaggedCharges", first, s=school, d=day)


def disputes(client: Client, school: str, statuses: list[str] | None) -> list[Any]:
    page = client.data(DISPUTES, s=school, st=statuses)["disputes"]
    return [e["node"] for e in page["edges"]]


EVIDENCE = """query($c: String!, $k: String!) { chargeEvidence(contractNumber: $c, chargeKey: $k) {
  schoolOpen inside flags } }"""


def last_saturday_noon(now: datetime) -> datetime:
    today = now.astimezone(ZONE).date()
    back = (today.isoweekday() - 6) % 7 or 7  # a Saturday strictly before today
    return datetime.combine(today - timedelta(days=back), time(12, 0), ZONE)


def kinds_for(stack: Stack, account_id: object) -> set[str]:
    rows = stack.workers.query("SELECT kind FROM wk_outbox WHERE account_id = %s", account_id)
    return {r[0] for r in rows}


def test_a_flagged_saturday_charge_is_visible_to_staff_before_any_dispute(
    travelled: datetime, stack: Stack
) -> None:
    world, family, admin = stack.school_office()
    school = str(world.school_id)
    contact = admin.command("setCaseworkContact", school=school, email="office@school.test")
    assert contact["userErrors"] == []
    assert contact["position"]
    saturday = last_saturday_noon(travelled)
    world.tap_then(TerminalKind.CANTEEN_POS, family.pupil.uid, at=saturday, items=[meal()])
    stack.project()

    day = saturday.date().isoformat()
    charges = flagged(admin, school, day)
    assert len(charges) == 1
    charge = charges[0]
    assert charge["flags"] == ["pupil_not_inside", "school_closed"]
    assert (charge["contractNumber"], charge["amount"]) == (family.contract, "9000")
    assert charge["disputeStatus"] is None, "seen before anyone disputes it"
    assert json.loads(charge["evidenceJson"])["school_open"] is False
    key = charge["chargeKey"]
    seen = family.client.data(CHARGES, c=family.contract, on=day)["charges"]
    assert seen == [{"key": key, "amount": "9000", "flags": charge["flags"]}]
    evidence = admin.data(EVIDENCE, c=family.contract, k=key)["chargeEvidence"]
    assert evidence == {"schoolOpen": False, "inside": False, "flags": charge["flags"]}

    claim = "в субботу школа закрыта"
    family.client.recorded(
        "disputeCharge", contractNumber=family.contract, chargeKey=key, claim=claim
    )
    stack.project()
    queue = disputes(admin, school, None)
    assert [(d["chargeKey"], d["status"], d["claim"]) for d in queue] == [
        (key, "open", "в субботу школа закрыта")
    ]
    assert queue[0]["flags"] == charge["flags"]
    assert admin.data(NODE, id=queue[0]["id"])["node"] == {"chargeKey": key, "status": "open"}
    forbidden = stack.staff(Role.SCHOOL_ADMIN, stack.school().school_id).gql(
        NODE, id=queue[0]["id"]
    )
    assert forbidden["errors"][0]["extensions"]["code"] == "FORBIDDEN", forbidden
    assert json.loads(queue[0]["evidenceJson"])["inside"] is False
    reason = "обед выдан по записи"
    admin.recorded("rejectDispute", contractNumber=family.contract, chargeKey=key, reason=reason)
    stack.project()
    assert disputes(admin, school, None) == []
    decided = disputes(admin, school, ["rejected"])
    assert [(d["status"], d["decision"]) for d in decided] == [("rejected", "обед выдан по записи")]
    told = {"dispute_opened", "dispute_rejected", "dispute_for_staff"}
    wait_for(lambda: told <= kinds_for(stack, family.pupil.account_id), 30,
             "the parent and the school office to be told")  # fmt: skip
    office = stack.workers.query(
        "SELECT subject_ref, channel FROM wk_outbox WHERE account_id = %s AND kind = %s",
        family.pupil.account_id, "dispute_for_staff",
    )  # fmt: skip
    assert [channel for _, channel in office] == ["email"]
    assert stack.services.people.get(office[0][0]) == {"email": "office@school.test"}


def test_a_weekday_charge_with_the_pupil_inside_is_not_flagged(
    travelled: datetime, stack: Stack
) -> None:
    world, family, admin = stack.school_office()
    today = travelled.astimezone(ZONE).date()
    back = {6: 1, 7: 2}.get(today.isoweekday(), 0) + 7  # a weekday, a week or so ago
    morning = datetime.combine(today - timedelta(days=back), time(8, 0), ZONE)
    world.tap_then(TerminalKind.TURNSTILE, family.pupil.uid, at=morning, direction="in")
    world.tap_then(TerminalKind.CANTEEN_POS, family.pupil.uid, at=morning + timedelta(hours=4),
                   items=[meal()])  # fmt: skip
    stack.project()
    day = morning.date().isoformat()
    assert flagged(admin, str(world.school_id), day) == []
    charges = family.client.data(CHARGES, c=family.contract, on=day)["charges"]
    assert [c["flags"] for c in charges] == [[]]


def test_photo_mismatch_after_block_and_offline_debt_are_flagged(
    travelled: datetime, stack: Stack
) -> None:
    world, family, admin = stack.school_office()
    casework.set_school_calendar(stack.ledger, world.school_id, [], [])  # open every day
    now = datetime.now(ZONE)  # the travelled clock, after the setup above
    world.tap(TerminalKind.TURNSTILE, family.pupil.uid, direction="in",
              at=now - timedelta(seconds=30))  # fmt: skip
    world.tap(TerminalKind.CANTEEN_POS, family.pupil.uid, items=[meal()], photo_check="mismatch")
    stack.ledger.block_card(family.pupil.account_id, family.pupil.uid, "lost")
    late = world.tap(TerminalKind.CANTEEN_POS, family.pupil.uid, items=[meal()], offline=True)
    assert late.decision.after_block
    stack.project()
    day = now.date().isoformat()
    charges = flagged(admin, str(world.school_id), day)
    assert flagged(admin, str(world.school_id), day, first=1) == charges, "pages of one meet"
    found = sorted(c["flags"] for c in charges)
    assert found == [["after_block", "offline_debt"], ["photo_mismatch"]]
