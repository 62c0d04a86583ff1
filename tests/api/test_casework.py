"""Disputes, refunds and the audit trail through GraphQL (issue 7's commands and history)."""

import json
from uuid import uuid4

import pytest

from audit.history import audit_trail
from domain import casework
from domain.kinds import TerminalKind
from identity.service import Role
from tests.api.stack import Stack
from tests.builders import meal, snack
from tests.clock import today

pytestmark = pytest.mark.usefixtures("travelled")  # every test on the travelled clock

PAYLOAD = "{ userErrors { field code message } position }"
CHARGES = """query($c: String!, $on: Date!) { charges(contractNumber: $c, on: $on) {
  edges { node { key amount terminalKind items { code } } } } }"""
CLAIM = "ребёнок болел и не был в школе"
TRAIL = """query($c: String!, $first: Int!, $after: String) { auditTrail(contractNumber: $c,
  first: $first, after: $after) { edges { node { id position event actor actorKind fieldsJson
  regularAfter subsidisedAfter reason } } pageInfo { hasNextPage endCursor } } }"""
TRAIL_NODE = """query($id: ID!) { node(id: $id) { id ... on AuditEntry { position event actor
  actorKind fieldsJson regularAfter subsidisedAfter reason } } }"""
STATEMENT = """query($c: String!, $atLeast: Position) { statement(contractNumber: $c, first: 1,
  atLeast: $atLeast) { edges { node { kind amount regularAfter } } } }"""


def test_a_parent_disputes_a_charge_and_the_school_admin_reverses_it(stack: Stack) -> None:
    world = stack.school()
    family = stack.family(world)
    world.tap(TerminalKind.CANTEEN_POS, family.pupil.uid, items=[meal()])
    stack.project()
    edges = family.client.data(CHARGES, c=family.contract, on=today().isoformat())["charges"][
        "edges"
    ]
    charges = [edge["node"] for edge in edges]
    assert [(c["amount"], c["terminalKind"]) for c in charges] == [("9000", "CANTEEN_POS")]
    key = charges[0]["key"]
    dispute = {"contractNumber": family.contract, "chargeKey": key, "claim": CLAIM}
    family.client.recorded("disputeCharge", **dispute)
    assert family.client.refused("disputeCharge", **dispute) == "dispute_state"
    admin = stack.staff(Role.SCHOOL_ADMIN, world.school_id)
    reversed_ = admin.recorded("reverseCharge", contractNumber=family.contract, chargeKey=key)
    stack.project()
    line = family.client.data(STATEMENT, c=family.contract, atLeast=reversed_)
    assert line["statement"]["edges"] == [
        {"node": {"kind": "CHARGE_REVERSAL", "amount": "9000", "regularAfter": "50000"}}
    ]
    auditor = stack.staff(Role.AUDITOR, world.school_id)
    trail = auditor.nodes(TRAIL, "auditTrail", 50, c=family.contract)
    events = [(e["event"], e["actorKind"]) for e in trail]
    assert ("ChargeDisputed", "parent") in events
    assert ("ChargeReversed", "school_admin") in events
    disputed_fields = json.loads(
        next(e for e in trail if e["event"] == "ChargeDisputed")["fieldsJson"]
    )
    assert disputed_fields["charge"] == key


def test_the_audit_trail_pages_with_cursors_and_its_entries_refetch_for_auditors_only(
    stack: Stack,
) -> None:
    world = stack.school()
    family = stack.family(world)
    for kind, item in ((TerminalKind.CANTEEN_POS, meal()), (TerminalKind.VENDING, snack())):
        world.tap(kind, family.pupil.uid, items=[item])
    stack.ledger.top_up(family.pupil.account_id, 20_000, "sbp", f"sbp-{uuid4()}")
    world.tap(TerminalKind.TURNSTILE, family.pupil.uid, direction="in")
    stack.project()
    replayed = audit_trail(stack.ledger, family.pupil.account_id)
    auditor = stack.staff(Role.AUDITOR, world.school_id)

    first = auditor.data(TRAIL, c=family.contract, first=4, after=None)["auditTrail"]
    second = auditor.data(TRAIL, c=family.contract, first=50, after=first["pageInfo"]["endCursor"])[
        "auditTrail"
    ]
    assert len(first["edges"]) == 4
    assert first["pageInfo"]["hasNextPage"]
    assert not second["pageInfo"]["hasNextPage"]
    entries = [e["node"] for e in first["edges"] + second["edges"]]
    assert [(int(e["position"]), e["event"]) for e in entries] == [
        (r.position, r.event) for r in replayed
    ]  # both pages together, each event once, oldest first
    assert [(int(e["regularAfter"]), int(e["subsidisedAfter"])) for e in entries] == [
        (r.regular_after, r.subsidised_after) for r in replayed
    ]
    assert [e["event"] for e in entries][-3:] == ["PurchaseApproved", "ToppedUp", "PassRecorded"]
    assert int(entries[-1]["regularAfter"]) == 50_000 - 9_000 - 4_500 + 20_000

    crossing = second["edges"][0]["node"]  # an entry of the second page, by its global id
    assert auditor.data(TRAIL_NODE, id=crossing["id"])["node"] == crossing
    for viewer in (family.client, stack.staff(Role.SCHOOL_ADMIN, world.school_id)):
        assert viewer.error_code(TRAIL_NODE, id=crossing["id"]) == "FORBIDDEN"
        assert viewer.error_code(TRAIL, c=family.contract, first=4, after=None) == "FORBIDDEN"
    stranger = stack.staff(Role.AUDITOR, stack.school().school_id)
    assert stranger.error_code(TRAIL_NODE, id=crossing["id"]) == "FORBIDDEN"


def test_a_parent_requests_a_refund_to_bank_details_kept_out_of_the_ledger(stack: Stack) -> None:
    family = stack.family(stack.school())
    q = (
        "mutation($c: String!) { requestRefund(input: {contractNumber: $c, "
        'destination: BANK_DETAILS, bankDetails: "40817810000000000001 БИК 045004641"}) '
        + PAYLOAD
        + " }"
    )
    requested_now = family.client.data(q, c=family.contract)["requestRefund"]
    assert requested_now["userErrors"] == []
    assert requested_now["position"]
    account = stack.ledger.account(family.pupil.account_id)
    assert account.refund_status == "requested"
    requested = [
        e
        for e in casework.account_events(stack.ledger, family.pupil.account_id)
        if type(e).__name__ == "RefundRequested"
    ]
    ref = requested[0].destination_ref
    assert ref.startswith("subject:")
    assert "4081781" not in ref
    assert stack.services.people.get(ref) == {"bank_details": "40817810000000000001 БИК 045004641"}
    twice = family.client.data(q, c=family.contract)["requestRefund"]
    assert twice["position"] is None
    assert [e["code"] for e in twice["userErrors"]] == ["refund_state"]
    blank = family.client.data(
        "mutation($c: String!) { requestRefund(input: {contractNumber: $c, "
        'destination: BANK_DETAILS, bankDetails: " "}) ' + PAYLOAD + " }",
        c=family.contract,
    )["requestRefund"]
    assert [(e["field"], e["code"]) for e in blank["userErrors"]] == [
        (["input", "bankDetails"], "invalid_text")
    ]


EXPORT = """query($c: String!, $f: ExportFormat!) { historyExport(contractNumber: $c,
  fileFormat: $f) { contractNumber entries content } }"""


def test_a_parent_takes_the_accounts_whole_history_away_as_json_lines_and_csv(stack: Stack) -> None:
    world = stack.school()
    family = stack.family(world)
    world.tap(TerminalKind.CANTEEN_POS, family.pupil.uid, items=[meal()])
    events = list(stack.ledger.events.get(family.pupil.account_id))

    jsonl = family.client.data(EXPORT, c=family.contract, f="JSONL")["historyExport"]
    lines = [json.loads(line) for line in jsonl["content"].splitlines()]
    assert jsonl["entries"] == len(lines) == len(events)
    assert [line["event"] for line in lines] == [type(e).__name__ for e in events]
    assert lines[-1]["event"] == "PurchaseApproved"

    table = family.client.data(EXPORT, c=family.contract, f="CSV")["historyExport"]
    rows = table["content"].splitlines()
    assert table["entries"] == len(events)
    assert rows[0].startswith("position")
    assert len(rows) >= len(events) + 1
