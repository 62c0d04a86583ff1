"""Enrolment over GraphQL (issue 11): a roster imported with a dry run and a per-line report,
cards, a class move, the year's promotion, and a child's exit refunded to zero."""

from pathlib import Path
from typing import Any
from uuid import uuid4

from domain.enrolment import ContractEnded
from domain.kinds import TerminalKind
from domain.registrar import move_class
from identity.service import Role
from tests.api.stack import Client, Stack
from tests.builders import meal, new_uid
from tests.cli import cli

PAYLOAD = "{ userErrors { field code message } position }"  # `account` waits for projections
IMPORT = """mutation($s: UUID!, $csv: String!, $dry: Boolean!) {
  importRoster(input: {school: $s, csv: $csv, dryRun: $dry}) {
    rosterImport { dryRun accepted refused lines { line contractNumber status code reason } }
    userErrors { field code message } position } }"""
ROSTER = """query($s: UUID!, $c: String, $first: Int!, $after: String) {
  roster(school: $s, className: $c, first: $first, after: $after) {
    edges { node { id contractNumber className status cards leftReason refundStatus } }
    pageInfo { hasNextPage endCursor } } }"""
NODE = """query($id: ID!) { node(id: $id) {
  id ... on RosterEntry { contractNumber className } } }"""


def roster(client: Client, school: str, class_name: str | None, first: int = 200) -> list[Any]:
    """The whole roster, a keyset page of at most `first` pupils at a time."""
    return client.nodes(ROSTER, "roster", first, s=school, c=class_name)


HEADER = "contract_number;class;pupil_name;parent_name;parent_phone;card_uid"


def roster_csv(prefix: str, pupils: int, taken_contract: str) -> tuple[str, dict[int, str]]:
    """`pupils` good lines, then three bad ones (their line numbers → the expected code)."""
    lines = [HEADER]
    for n in range(pupils):
        lines.append(f"{prefix}-{n:04d};{5 + n % 6}{'АБВ'[n % 3]};Ученик {n};Родитель {n};"
                     f"+7913{n:07d};{new_uid()}")  # fmt: skip
    bad = {
        len(lines) + 1: "invalid_command",  # a phone that is not one
        len(lines) + 2: "duplicate_contract",  # the same contract as the first line
        len(lines) + 3: "contract_exists",  # a contract the school already has
    }
    lines.append(f"{prefix}-bad-1;7А;Иван;Мария;позвоните маме;")
    lines.append(f"{prefix}-0000;7А;Пётр;Анна;+79130000001;")
    lines.append(f"{taken_contract};7А;Олег;Ольга;+79130000002;")
    return "\n".join(lines) + "\n", bad


def test_a_roster_of_500_pupils_is_imported_in_one_go_with_3_bad_lines_reported(
    stack: Stack,
) -> None:
    world = stack.school()
    existing = world.pupil()
    admin = stack.staff(Role.SCHOOL_ADMIN, world.school_id)
    prefix = f"R{uuid4().hex[:6]}"
    content, bad = roster_csv(prefix, 497, existing.contract_number)
    school = str(world.school_id)

    dry = admin.data(IMPORT, s=school, csv=content, dry=True)["importRoster"]["rosterImport"]
    assert (dry["dryRun"], dry["accepted"], dry["refused"]) == (True, 497, 3)
    refused = {r["line"]: r["code"] for r in dry["lines"] if r["status"] == "refused"}
    assert refused == bad
    assert all(r["reason"] for r in dry["lines"] if r["status"] == "refused")
    stack.project()
    assert len(roster(admin, school, None)) == 1, "a dry run imports nothing"

    imported_now = admin.data(IMPORT, s=school, csv=content, dry=False)["importRoster"]
    assert imported_now["position"]
    done = imported_now["rosterImport"]
    assert (done["dryRun"], done["accepted"], done["refused"]) == (False, 497, 3)
    assert {r["line"]: r["code"] for r in done["lines"] if r["status"] == "refused"} == bad
    stack.project()
    pupils = roster(admin, school, None)
    assert len(pupils) == 498
    assert roster(admin, school, None, first=7) == pupils, "small pages meet, no gaps or repeats"
    assert len({p["id"] for p in pupils}) == 498
    imported = [p for p in pupils if p["contractNumber"].startswith(prefix)]
    assert len(imported) == 497
    assert all(p["cards"] == 1 for p in imported)
    five_a = roster(admin, school, "5А")
    assert five_a
    assert {p["className"] for p in five_a} == {"5А"}
    account_id = stack.ledger.account_id_for_contract(f"{prefix}-0001")
    parent = stack.services.people.get(stack.ledger.account(account_id).parent_ref)
    assert parent == {"name": "Родитель 1", "phone": "+79130000001"}

    again = admin.data(IMPORT, s=school, csv=content, dry=False)["importRoster"]["rosterImport"]
    assert (again["accepted"], again["refused"]) == (0, 500), "nothing is imported twice"


OPEN = (
    """mutation($s: UUID!, $c: String!, $p: String!, $cards: [String!]) {
  openContract(input: {school: $s, newContractNumber: $c, className: "3В", pupilName: "Маша",
  parentName: "Ирина", parentPhone: $p, cardUids: $cards}) """
    + PAYLOAD
    + " }"
)
ISSUE = (
    "mutation($c: String!, $u: String!) { issueCard(input: {contractNumber: $c, uid: $u}) "
    + PAYLOAD
    + " }"
)
MOVE = ('mutation($c: String!) { moveClass(input: {contractNumber: $c, className: "3Г", '
        'reason: "перевод"}) ' + PAYLOAD + " }")  # fmt: skip


def test_a_contract_gets_its_first_and_second_card_and_moves_class(stack: Stack) -> None:
    world = stack.school()
    admin = stack.staff(Role.SCHOOL_ADMIN, world.school_id)
    contract = f"C-{uuid4().hex[:8]}"
    first = new_uid()
    school, phone = str(world.school_id), "+79131234567"
    no_phone = admin.data(OPEN, s=school, c=contract, p="позвоните", cards=None)["openContract"]
    assert [(e["field"], e["code"]) for e in no_phone["userErrors"]] == [
        (["input", "parentPhone"], "invalid_command")
    ]
    assert no_phone["position"] is None
    opened = admin.data(OPEN, s=school, c=contract, p=phone, cards=[first])["openContract"]
    assert opened["userErrors"] == []
    assert opened["position"]
    twice = admin.data(OPEN, s=school, c=contract, p=phone, cards=None)["openContract"]
    assert [e["code"] for e in twice["userErrors"]] == ["contract_exists"]
    stack.project()  # staff reach a contract through the read model
    second = admin.data(ISSUE, c=contract, u=new_uid())["issueCard"]
    assert second["userErrors"] == []
    assert second["position"]
    third = admin.data(ISSUE, c=contract, u=new_uid())["issueCard"]
    assert [e["code"] for e in third["userErrors"]] == ["too_many_active_cards"]
    moved = admin.data(MOVE, c=contract)["moveClass"]
    assert moved["userErrors"] == []
    assert moved["position"]
    stack.project()
    entry = roster(admin, str(world.school_id), "3Г")
    assert [(e["contractNumber"], e["cards"]) for e in entry] == [(contract, 2)]
    refetched = admin.data(NODE, id=entry[0]["id"])["node"]
    assert refetched == {"id": entry[0]["id"], "contractNumber": contract, "className": "3Г"}
    elsewhere = stack.staff(Role.SCHOOL_ADMIN, stack.school().school_id)
    refused = elsewhere.gql(NODE, id=entry[0]["id"])
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN", refused


PROMOTE = """mutation($s: UUID!, $y: Int!) { promoteSchool(input: {school: $s, year: $y}) {
  promotion { moved graduated skipped alreadyDone } userErrors { code } position } }"""


def test_a_schools_end_of_year_promotion(stack: Stack) -> None:
    world = stack.school()
    admin = stack.staff(Role.SCHOOL_ADMIN, world.school_id)
    pupils = {}
    for class_name in ("1А", "5Б", "10В", "11А", "Подготовительный"):
        pupil = world.pupil(deposit=20_000)
        stack.ledger.change_tariff(pupil.account_id, "zero")
        move_class(stack.ledger, pupil.account_id, class_name, "setup")
        pupils[class_name] = pupil
    promoted = admin.data(PROMOTE, s=str(world.school_id), y=2026)["promoteSchool"]
    assert (promoted["userErrors"], bool(promoted["position"])) == ([], True)
    assert promoted["promotion"] == {"moved": 3, "graduated": 1, "skipped": 1,
                                     "alreadyDone": False}  # fmt: skip
    again = admin.data(PROMOTE, s=str(world.school_id), y=2026)["promoteSchool"]["promotion"]
    assert (again["alreadyDone"], again["moved"]) == (True, 0)
    stack.project()
    found = {e["contractNumber"]: e for e in roster(admin, str(world.school_id), None)}
    classes = {c: found[p.contract_number]["className"] for c, p in pupils.items()}
    assert classes == {"1А": "2А", "5Б": "6Б", "10В": "11В", "11А": "11А",
                       "Подготовительный": "Подготовительный"}  # fmt: skip
    graduate = found[pupils["11А"].contract_number]
    assert (graduate["status"], graduate["leftReason"]) == ("left", "graduated")
    assert graduate["refundStatus"] == "requested"


END = ('mutation($c: String!) { endContract(input: {contractNumber: $c, reason: "переезд"}) '
       "{ userErrors { code } position } }")  # fmt: skip
REFUNDS = """query($s: UUID!, $st: [String!]) { refunds(school: $s, statuses: $st, first: 1) {
  edges { node { id contractNumber pupilStatus refundStatus reason feeFree requestedAmount regular
  paid payoutRef } } pageInfo { hasNextPage } } }"""


def refunds(client: Client, school: str, statuses: list[str] | None) -> list[Any]:
    page = client.data(REFUNDS, s=school, st=statuses)["refunds"]
    assert not page["pageInfo"]["hasNextPage"]
    found = [e["node"] for e in page["edges"]]
    for refund in found:
        node = client.data(REFUND_NODE, id=refund.pop("id"))["node"]
        assert node == {"contractNumber": refund["contractNumber"]}, "refetched by its id"
    return found


APPROVE = "mutation($c: String!) { approveRefund(input: {contractNumber: $c}) " + PAYLOAD + " }"
PAY = ('mutation($c: String!, $p: String!) { payRefund(input: {contractNumber: $c, '
       'payoutRef: $p}) ' + PAYLOAD + " }")  # fmt: skip
ACCOUNT = "query($c: String!) { account(contractNumber: $c) { regular subsidised } }"
REFUND_NODE = "query($id: ID!) { node(id: $id) { ... on RefundCase { contractNumber } } }"


def test_a_childs_exit_is_refunded_to_zero_through_approve_and_pay(stack: Stack) -> None:
    world = stack.school()
    family = stack.family(world, deposit=50_000)
    world.tap(TerminalKind.CANTEEN_POS, family.pupil.uid, items=[meal()])
    admin = stack.staff(Role.SCHOOL_ADMIN, world.school_id)
    support = stack.staff(Role.SUPPORT, world.school_id)
    school = str(world.school_id)
    stack.project()

    ended = admin.data(END, c=family.contract)["endContract"]
    assert ended["userErrors"] == []
    assert ended["position"]
    events = list(stack.ledger.events.get(family.pupil.account_id))
    assert any(isinstance(e, ContractEnded) for e in events)
    refused = world.tap(TerminalKind.CANTEEN_POS, family.pupil.uid, items=[meal()])
    assert refused.decision.reason == "card_blocked", "a child who left buys nothing"
    stack.project()
    queue = refunds(admin, school, None)
    assert queue == [{
        "contractNumber": family.contract, "pupilStatus": "left", "refundStatus": "requested",
        "reason": "contract_ended", "feeFree": True, "requestedAmount": "41000",
        "regular": "41000", "paid": None, "payoutRef": None,
    }]  # fmt: skip
    early = support.data(PAY, c=family.contract, p="PO-1")["payRefund"]
    assert [e["code"] for e in early["userErrors"]] == ["refund_state"]
    assert admin.error_code(PAY, c=family.contract, p="PO-1") == "FORBIDDEN"
    assert admin.data(APPROVE, c=family.contract)["approveRefund"]["userErrors"] == []
    paid = support.data(PAY, c=family.contract, p="PO-2026-0001")["payRefund"]
    assert paid["userErrors"] == []
    assert paid["position"]
    stack.project()
    assert refunds(admin, school, None) == []
    done = refunds(admin, school, ["paid"])
    assert [(r["paid"], r["payoutRef"], r["pupilStatus"]) for r in done] == [
        ("41000", "PO-2026-0001", "closed")
    ]
    balance = family.client.data(ACCOUNT, c=family.contract)["account"]
    assert balance == {"regular": "0", "subsidised": "0"}


def test_the_operator_enrols_promotes_and_refunds_from_the_shell(
    stack: Stack, tmp_path: Path
) -> None:
    world = stack.school()
    school = str(world.school_id)
    prefix = f"S{uuid4().hex[:6]}"
    roster_file = tmp_path / "roster.csv"
    roster_file.write_text(
        "contract_number,class,pupil_name,parent_name,parent_phone\n"
        f"{prefix}-1,4А,Аня,Ольга,+79131110001\n"
        f"{prefix}-2,11Б,Борис,Пётр,+79131110002\n"
        f"{prefix}-3,4А,Вера,Нина,не скажу\n",
        encoding="utf-8",
    )
    url = stack.database_url
    dry = cli(url, "school", "import-roster", school, str(roster_file))
    assert dry.splitlines()[-1] == "would import 2, refused 1"
    assert "line 4" in dry
    with_apply = cli(url, "school", "import-roster", school, str(roster_file), "--apply")
    assert with_apply.splitlines()[-1] == "imported 2, refused 1"
    first = stack.ledger.account_id_for_contract(f"{prefix}-1")
    stack.ledger.top_up(first, 30_000, "sbp", f"sbp-{uuid4()}")
    promoted = cli(url, "school", "promote", school, "--year", "2026")
    assert promoted.splitlines()[0] == "moved 1, graduated 1, skipped 0"
    assert stack.ledger.account(first).class_name == "5А"
    cli(url, "school", "end-contract", f"{prefix}-1", "--reason", "переезд")
    cli(url, "school", "approve-refund", f"{prefix}-1")
    cli(url, "school", "pay-refund", f"{prefix}-1", "--payout-ref", "PO-CLI-1")
    account = stack.ledger.account(first)
    assert (account.regular, account.closed) == (0, True)


UNRETURNED = """query($s: UUID!) { report(school: $s, kind: UNRETURNED) { columns rows csv } }"""


def test_a_terminated_school_leaves_its_balances_in_the_refund_queue_and_the_report(
    stack: Stack,
) -> None:
    world = stack.school()
    holding, empty = world.pupil(deposit=20_000), world.pupil(deposit=10_000)
    world.tap(TerminalKind.CANTEEN_POS, empty.uid, items=[meal(price=10_000)])
    support = stack.staff(Role.SUPPORT, world.school_id)
    school = str(world.school_id)
    admin = stack.staff(Role.SCHOOL_ADMIN, world.school_id)
    assert admin.error_code(
        'mutation($s: UUID!) { terminateSchool(input: {school: $s, reason: "x"}) { position } }',
        s=school,
    ) == "FORBIDDEN"  # fmt: skip
    done = support.data(
        'mutation($s: UUID!) { terminateSchool(input: {school: $s, reason: "договор расторгнут"})'
        " { termination { refundsOpened closedAtZero } userErrors { code } position } }",
        s=school,
    )["terminateSchool"]  # fmt: skip
    assert (done["termination"], done["userErrors"]) == (
        {"refundsOpened": 1, "closedAtZero": 1}, [],
    )  # fmt: skip
    assert done["position"]
    stack.project()
    queue = refunds(admin, school, None)
    assert [(r["contractNumber"], r["refundStatus"], r["regular"]) for r in queue] == [
        (holding.contract_number, "approved", "20000")
    ]
    table = admin.data(UNRETURNED, s=school)["report"]
    rows = [dict(zip(table["columns"], r, strict=True)) for r in table["rows"]]
    assert [(r["contract_number"], r["regular"]) for r in rows] == [
        (holding.contract_number, "20000")
    ]
