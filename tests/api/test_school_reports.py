"""Reports over GraphQL (issue 11): per terminal by its name, per day and over a period, net of
reversals; top-ups per channel with commission and refunds; the float; each report's CSV equal
to its GraphQL figures, and to the CLI's."""

import csv
import io
from datetime import datetime
from typing import Any
from uuid import uuid4
from zoneinfo import ZoneInfo

from domain import casework
from domain.kinds import TerminalKind
from domain.recorded import acting_as
from identity.service import Role
from tests.api.stack import Client, Stack
from tests.builders import meal, snack
from tests.cli import cli

ZONE = ZoneInfo("Asia/Novosibirsk")
REPORT = """query($s: UUID!, $k: ReportKind!, $d: Date!, $perDay: Boolean!) {
  report(school: $s, kind: $k, since: $d, until: $d, perDay: $perDay) {
    columns rows csv } }"""


def parsed(csv_text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(csv_text)))


def test_a_reports_csv_equals_its_graphql_figures_net_of_reversals(
    travelled: datetime, stack: Stack
) -> None:
    world = stack.school()
    first, second = stack.family(world), stack.family(world)
    admin = stack.staff(Role.SCHOOL_ADMIN, world.school_id)
    school = str(world.school_id)
    canteen = world.terminals[TerminalKind.CANTEEN_POS]
    stack.project()
    renamed = admin.command("renameTerminal", terminalId=str(canteen), name="Столовая, 1 этаж")
    assert renamed["userErrors"] == []
    assert renamed["position"]
    taken = world.tap(TerminalKind.CANTEEN_POS, first.pupil.uid, items=[meal()])
    world.tap(TerminalKind.CANTEEN_POS, second.pupil.uid, items=[meal(), snack()])
    world.tap(TerminalKind.CANTEEN_POS, second.pupil.uid, items=[meal(price=900_000)])  # declined
    key = f"{canteen}/{taken.decision.tap_id}"
    with acting_as("parent:test"):
        casework.dispute_charge(stack.ledger, first.pupil.account_id, key, "не ел")
    with acting_as("school_admin:test"):
        casework.reverse_charge(stack.ledger, first.pupil.account_id, key)
    stack.project()
    today = datetime.now(ZONE).date().isoformat()  # the travelled clock: the taps' day

    found = admin.data(REPORT, s=school, k="TERMINALS", d=today, perDay=True)["report"]
    assert parsed(found["csv"]) == [found["columns"], *found["rows"]]
    rows = [dict(zip(found["columns"], r, strict=True)) for r in found["rows"]]
    canteen_row = next(r for r in rows if r["terminal_id"] == str(canteen))
    assert canteen_row["terminal_name"] == "Столовая, 1 этаж"
    assert {k: canteen_row[k] for k in ("turnover", "gross", "reversals", "operations",
                                        "meals_served", "declines", "participants")} == {
        "turnover": "13500", "gross": "22500", "reversals": "9000", "operations": "2",
        "meals_served": "2", "declines": "1", "participants": "2",
    }  # fmt: skip

    total = admin.data(REPORT, s=school, k="TERMINALS", d=today, perDay=False)["report"]
    assert parsed(total["csv"]) == [total["columns"], *total["rows"]]
    assert total["columns"][:2] == ["since", "until"]
    printed = cli(stack.database_url, "school", "report", school, "terminals", "--since", today,
                  "--until", today, "--total")  # fmt: skip
    assert printed == total["csv"]

    topups = admin.data(REPORT, s=school, k="TOPUPS", d=today, perDay=True)["report"]
    assert parsed(topups["csv"]) == [topups["columns"], *topups["rows"]]
    kiosk = [dict(zip(topups["columns"], r, strict=True)) for r in topups["rows"]]
    assert [(r["channel"], r["operations"], r["amount"], r["commission"]) for r in kiosk] == [
        ("kiosk_cash", "2", "100000", "0")
    ]
    held = admin.data(REPORT, s=school, k="FLOAT", d=today, perDay=True)["report"]
    assert parsed(held["csv"]) == [held["columns"], *held["rows"]]
    assert dict(zip(held["columns"], held["rows"][0], strict=True))["regular"] == str(
        100_000 - 13_500
    )


FLEET = """query($s: UUID!, $first: Int!, $after: String) {
  terminals(school: $s, first: $first, after: $after) {
  edges { node { id terminalId kind name revoked taps offlineTaps lastPostAt
  lastOfflineLagSeconds } } pageInfo { hasNextPage endCursor } } }"""
TERMINAL = """query($id: ID!) { node(id: $id) { ... on FleetTerminal { terminalId name } } }"""


def fleet_of(client: Client, school: str) -> list[Any]:
    """The school's terminals, a page of one at a time."""
    return client.nodes(FLEET, "terminals", 1, s=school)


def test_the_terminal_fleet_named_revoked_rotated_with_last_post_and_offline_taps(
    travelled: datetime, stack: Stack
) -> None:
    world, family, admin = stack.school_office()
    school = str(world.school_id)
    registered = admin.data(
        "mutation($s: UUID!) { registerTerminal(input: {school: $s, kind: VENDING, "
        'label: "Автомат"}) { terminalId secret } }', s=school,
    )["registerTerminal"]  # fmt: skip
    vending = registered["terminalId"]
    stack.project()
    rotated = admin.data(
        "mutation($t: UUID!) { rotateTerminalSecret(input: {terminalId: $t}) {"
        " terminalId secret userErrors { code } } }", t=vending,
    )["rotateTerminalSecret"]  # fmt: skip
    assert rotated["terminalId"] == vending
    assert rotated["secret"] != registered["secret"]
    now = datetime.now(ZONE)
    canteen = world.terminals[TerminalKind.CANTEEN_POS]
    world.tap(TerminalKind.CANTEEN_POS, family.pupil.uid, items=[meal()],
              at=now.replace(microsecond=0) - (now - now.replace(hour=0, minute=0)) / 2,
              offline=True, tap_id=f"off-{uuid4().hex[:6]}")  # fmt: skip
    revoked = admin.command("revokeTerminal", terminalId=vending, reason="сломан")
    assert revoked["userErrors"] == []
    stack.project()
    terminals = fleet_of(admin, school)
    assert len(terminals) > 1, "more than one page"
    fleet = {t["terminalId"]: t for t in terminals}
    again = admin.data(TERMINAL, id=fleet[vending]["id"])["node"]
    assert again == {"terminalId": vending, "name": "Автомат"}
    assert (fleet[vending]["name"], fleet[vending]["revoked"]) == ("Автомат", True)
    posted = fleet[str(canteen)]
    assert (posted["taps"], posted["offlineTaps"]) == (1, 1)
    assert posted["lastPostAt"] is not None
    assert posted["lastOfflineLagSeconds"] >= 0
