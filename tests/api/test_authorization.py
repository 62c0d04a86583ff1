"""Authorization: a walk over the schema, and the role × operation matrix over HTTP."""

import base64
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest
from graphql import GraphQLNamedType, GraphQLObjectType, get_named_type

from api.graphql.permissions import RULES, Scope
from api.graphql.schema import build_schema
from domain.kinds import TerminalKind
from identity.service import Access, Role
from tests.api.stack import Client, Stack, new_phone
from tests.builders import SchoolWorld, new_uid
from tests.clock import today
from tests.parents.matrix import (
    PARENT_EXPECTED,
    PARENT_OPERATIONS,
    Operation,
    on_account,
    on_input,
    on_school,
)

# Arguments that name an object, and the scope a rule must check for them.
OBJECT_ARGUMENTS = {
    "contractNumber": Scope.ACCOUNT,
    "school": Scope.SCHOOL,
    "terminalId": Scope.TERMINAL,
    "id": Scope.ACCOUNT,  # Query.node: the global ids of account-scoped objects
}
# Fields before login: they take a login name, are throttled, and answer the same for all.
ANONYMOUS = {"Mutation.login", "Mutation.refreshToken", "Mutation.requestPasswordReset",
             "Mutation.resetPassword"}  # fmt: skip
ID_TYPES = {"UUID", "ID"}


def walk() -> list[tuple[str, GraphQLObjectType, str]]:
    schema = build_schema(development=True)._schema
    found = []
    for type_ in schema.type_map.values():
        if isinstance(type_, GraphQLObjectType) and not type_.name.startswith("__"):
            for name in type_.fields:
                found.append((f"{type_.name}.{name}", type_, name))
    return found


def roots() -> set[str]:
    schema = build_schema(development=True)._schema
    return {
        f"{root.name}.{name}"
        for root in (schema.query_type, schema.mutation_type, schema.subscription_type)
        if root is not None
        for name in root.fields
    }


def test_every_root_field_has_an_authorization_rule_and_no_rule_is_stale() -> None:
    assert roots() - RULES.keys() == set(), "root fields without a rule in permissions.RULES"
    assert RULES.keys() - roots() == set(), "rules for fields that do not exist"


def test_every_field_taking_an_object_id_checks_that_object() -> None:
    root_fields = roots()
    for coordinate, type_, name in walk():
        field = type_.fields[name]
        for arg_name, arg in field.args.items():
            named: GraphQLNamedType = get_named_type(arg.type)
            names_object = arg_name in OBJECT_ARGUMENTS or named.name in ID_TYPES
            if not names_object or arg_name == "username":
                continue
            assert coordinate in root_fields, f"{coordinate}({arg_name}) is reachable unchecked"
            rule = RULES[coordinate]
            if coordinate in ANONYMOUS:
                assert rule.scope == Scope.ANONYMOUS
                assert not rule.roles
                continue
            assert rule.scope == OBJECT_ARGUMENTS.get(arg_name), (
                f"{coordinate} takes {arg_name} but its rule checks {rule.scope}"
            )


def test_every_field_returning_objects_with_ids_is_behind_an_object_rule() -> None:
    """Types carrying ids (accounts, cards, terminals …) are reached only through root fields
    whose rule checks an object, or the viewer's own login."""
    schema = build_schema(development=True)._schema
    for root in (schema.query_type, schema.mutation_type, schema.subscription_type):
        assert root is not None
        for name, field in root.fields.items():
            coordinate = f"{root.name}.{name}"
            returned = get_named_type(field.type)
            if carries_ids(returned, set()):
                assert RULES[coordinate].scope != Scope.CATALOGUE, coordinate


def carries_ids(type_: GraphQLNamedType, seen: set[str]) -> bool:
    if type_.name in seen:
        return False
    seen.add(type_.name)
    fields = getattr(type_, "fields", None)
    if fields is None:
        types = getattr(type_, "types", None)  # unions
        return any(carries_ids(t, seen) for t in types or ())
    for fname, f in fields.items():
        inner = get_named_type(f.type)
        if inner.name in ID_TYPES or fname in ("contractNumber", "uid", "terminalId"):
            return True
        if carries_ids(inner, seen):
            return True
    return False


def test_auditors_and_representatives_are_in_no_writing_rule() -> None:
    for coordinate, rule in RULES.items():
        if rule.writes:
            assert Role.AUDITOR not in rule.roles, coordinate
            assert Role.REPRESENTATIVE not in rule.roles, coordinate
        if coordinate.startswith("Mutation.") and rule.scope not in (Scope.SELF, Scope.ANONYMOUS):
            assert rule.writes, f"{coordinate} changes state: mark it writes=True"


# The matrix, over HTTP


@dataclass
class Objects:
    world: SchoolWorld
    contract: str
    uid: str
    terminal: str

    @property
    def school(self) -> str:
        return str(self.world.school_id)


def input_on_account(name: str, o: Objects, fields: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """A mutation on the account of `o` taking one `input` (issue 12's shape)."""
    input_type = name[0].upper() + name[1:] + "Input"
    query = f"mutation($i: {input_type}!) {{ {name}(input: $i) {{ __typename }} }}"
    return query, {"i": {"contractNumber": o.contract, **fields}}


def day(offset: int) -> str:
    """The school's day `offset` days from today (the travelled clock), ISO."""
    return (today() + timedelta(days=offset)).isoformat()


def from_tomorrow(field: str, arguments: str) -> Operation:
    """A school setting's mutation that takes effect tomorrow (one `input`, issue 12)."""
    return lambda o: (
        f"mutation($s: UUID!, $d: Date!) {{ {field}(input: {{school: $s, {arguments}, "
        "effectiveFrom: $d}) { userErrors { code } } }",
        {"s": o.school, "d": day(1)},
    )


OPERATIONS: dict[str, Callable[[Objects], tuple[str, dict[str, Any]]]] = {
    "Query.viewer": lambda o: ("{ viewer { role } }", {}),
    "Query.tariffs": lambda o: ("{ tariffs { tariff } }", {}),
    "Query.account": on_account("account", "regular"),
    "Query.statement": on_account("statement", "edges { cursor }"),
    "Query.node": lambda o: (
        "query($id: ID!) { node(id: $id) { id } }",
        {"id": base64.b64encode(f"Account:{o.contract}".encode()).decode()}),
    "Query.attendance": on_account("attendance", "edges { node { date } }"),
    "Query.menu": lambda o: on_school("menu", "date", f', date: "{day(-10)}"')(o),
    "Query.schoolToday": on_school("schoolToday", "date timeZone"),
    "Query.schoolReport": on_school("schoolReport", "schoolId"),
    "Query.auditTrail": on_account("auditTrail", "edges { node { actor } }"),
    "Query.charges": lambda o: on_account(
        "charges", "edges { node { key } }", f', on: "{day(-10)}"')(o),
    "Query.historyExport": on_account("historyExport", "entries"),
    "Mutation.disputeCharge": on_input("disputeCharge", ', chargeKey: "x/y", claim: "не покупал"'),
    "Mutation.reverseCharge": on_input("reverseCharge", ', chargeKey: "x/y"'),
    "Mutation.rejectDispute": on_input("rejectDispute", ', chargeKey: "x/y", reason: "r"'),
    "Mutation.requestRefund": on_input("requestRefund"),
    "Mutation.login": lambda o: (
        'mutation { login(input: {username: "nobody", password: "x"}) { userErrors { code } } }',
        {}),
    "Mutation.refreshToken": lambda o: (
        'mutation { refreshToken(input: {refreshToken: "x.y"}) { userErrors { code } } }', {}),
    "Mutation.requestPasswordReset": lambda o: (
        'mutation { requestPasswordReset(input: {username: "nobody"}) { userErrors { code } } }',
        {}),
    "Mutation.resetPassword": lambda o: (
        'mutation { resetPassword(input: {username: "nobody", code: "1", '
        'newPassword: "xxxxxxxxx"}) { userErrors { code } } }', {}),
    "Mutation.changePassword": lambda o: (
        'mutation { changePassword(input: {oldPassword: "wrong-one", newPassword: "whatever-1"})'
        " { userErrors { code } } }", {}),
    "Mutation.addRepresentative": lambda o: (
        "mutation($c: String!, $p: String!) { addRepresentative(input: {contractNumber: $c, "
        "phone: $p}) { userErrors { code } } }", {"c": o.contract, "p": new_phone()}),
    "Mutation.changeDailyLimit": lambda o: input_on_account(
        "changeDailyLimit", o, {"limit": "15000"}),
    "Mutation.changeTariff": lambda o: input_on_account("changeTariff", o, {"tariff": "MOBILE"}),
    "Mutation.changeNotificationPreferences": lambda o: input_on_account(
        "changeNotificationPreferences", o, {"serviceOnly": False}),
    "Mutation.changeContact": lambda o: input_on_account("changeContact", o, {"email": "a@b.c"}),
    "Mutation.blockCard": lambda o: input_on_account("blockCard", o, {"uid": o.uid}),
    "Mutation.orderDuplicateCard": lambda o: input_on_account(
        "orderDuplicateCard", o, {"blockedUid": o.uid, "newUid": new_uid()}),
    "Mutation.unblockCard": lambda o: input_on_account(
        "unblockCard", o, {"uid": o.uid, "reason": "found"}),
    "Mutation.leaveMenuFeedback": lambda o: input_on_account(
        "leaveMenuFeedback", o, {"date": day(-15), "rating": 5}),
    "Mutation.publishMenu": lambda o: (
        "mutation($s: UUID!, $d: Date!) { publishMenu(input: {school: $s, date: $d, items: "
        '[{code: "TEA", name: "Чай", price: "1500"}]}) { userErrors { code } } }',
        {"s": o.school, "d": day(1)}),
    "Mutation.registerTerminal": on_input("registerTerminal", ', kind: LOCKER, label: "x"', on="s"),
    "Mutation.revokeTerminal": on_input("revokeTerminal", ', reason: "test"', on="t"),
    "Mutation.grantSubsidy": lambda o: input_on_account(
        "grantSubsidy", o, {"basis": "b", "dailyAllowance": "100"}),
    "Mutation.revokeSubsidy": lambda o: input_on_account("revokeSubsidy", o, {"reason": "r"}),
    "Mutation.resetAccess": on_input("resetAccess"),
    "Mutation.logout": lambda o: ("mutation { logout(input: {}) { endedSessions } }", {}),
    **PARENT_OPERATIONS,
    # Running a school (issue 11)
    "Query.roster": on_school("roster", "edges { node { contractNumber } }"),
    "Query.schoolSettings": on_school("schoolSettings", "mealOverdraft"),
    "Query.terminals": on_school("terminals", "edges { node { terminalId name } }"),
    "Query.flaggedCharges": on_school("flaggedCharges", "edges { node { chargeKey } }"),
    "Query.disputes": on_school("disputes", "edges { node { chargeKey } }"),
    "Query.refunds": on_school("refunds", "edges { node { contractNumber } }"),
    "Query.chargeEvidence": on_account("chargeEvidence", "inside", ', chargeKey: "x/y"'),
    "Query.report": on_school("report", "csv", ", kind: TERMINALS"),
    "Query.menuFeedback": on_school("menuFeedback", "days { ratings }"),
    "Mutation.openContract": lambda o: (
        "mutation($s: UUID!, $c: String!) { openContract(input: {school: $s, "
        'newContractNumber: $c, className: "1А", pupilName: "Маша", parentName: "Анна", '
        'parentPhone: "+79130000000"}) { userErrors { code } } }',
        {"s": o.school, "c": f"M-{uuid4().hex[:10]}"}),
    "Mutation.importRoster": lambda o: (
        "mutation($s: UUID!, $csv: String!) { importRoster(input: {school: $s, csv: $csv}) "
        "{ userErrors { code } } }", {"s": o.school, "csv": ROSTER_CSV}),
    "Mutation.issueCard": lambda o: input_on_account("issueCard", o, {"uid": new_uid()}),
    "Mutation.moveClass": on_input("moveClass", ', className: "5Б"'),
    "Mutation.endContract": on_input("endContract", ', reason: "matrix"'),
    "Mutation.promoteSchool": on_input("promoteSchool", ", year: 2030", on="s"),
    "Mutation.setMealOverdraft": from_tomorrow("setMealOverdraft", 'amount: "15000"'),
    "Mutation.setSchoolCalendar": from_tomorrow(
        "setSchoolCalendar", "weekendDays: [6, 7], holidays: []"),
    "Mutation.setFeePause": from_tomorrow("setFeePause", "months: [7, 8]"),
    "Mutation.setCommissionRate": from_tomorrow("setCommissionRate", 'channel: SBP, rate: "0.01"'),
    "Mutation.setOfflineCap": from_tomorrow("setOfflineCap", 'cap: "30000"'),
    "Mutation.setLowBalanceDefault": from_tomorrow("setLowBalanceDefault", 'threshold: "5000"'),
    "Mutation.setCaseworkContact": on_input(
        "setCaseworkContact", ', email: "office@school.test"', on="s"),
    "Mutation.renameTerminal": on_input("renameTerminal", ', name: "Шкафчики"', on="t"),
    "Mutation.rotateTerminalSecret": on_input("rotateTerminalSecret", on="t"),
    "Mutation.approveRefund": on_input("approveRefund"),
    "Mutation.terminateSchool": on_input("terminateSchool", ', reason: "matrix"', on="s"),
    "Mutation.payRefund": on_input("payRefund", ', payoutRef: "PO-1"'),
    "Query.myPersonalData": lambda o: ("{ myPersonalData }", {}),
    "Query.privacyRequests": on_account("privacyRequests", "status"),
    "Query.accessLog": on_account("accessLog", "edges { node { actor } }"),
    "Mutation.acceptConsent": lambda o: (  # an unknown version: nothing is given
        'mutation { acceptConsent(input: {version: "pd-unknown"}) { userErrors { code } } }',
        {}),
    "Mutation.withdrawConsent": lambda o: (  # no reason: refused, nothing erased
        'mutation { withdrawConsent(input: {reason: " "}) { userErrors { code } } }', {}),
    "Mutation.requestErasure": on_input("requestErasure"),
    # refused first: an approval would erase the family's logins for the operations after it
    "Mutation.refuseErasure": on_input("refuseErasure", ', reason: "r"'),
    "Mutation.approveErasure": on_input("approveErasure"),
}  # fmt: skip
ROSTER_CSV = (
    "contract_number;class;pupil_name;parent_name;parent_phone\nX-1;1А;Маша;Анна;+79130000000\n"
)
# The policy, written out independently of permissions.RULES: P parent, R representative,
# C canteen operator, A school admin, S support, U auditor ("*" = anonymous allowed).
LETTERS = {"P": Role.PARENT, "R": Role.REPRESENTATIVE, "C": Role.CANTEEN_OPERATOR,
           "A": Role.SCHOOL_ADMIN, "S": Role.SUPPORT, "U": Role.AUDITOR}  # fmt: skip
EXPECTED = {
    "Query.viewer": "PRCASU", "Query.tariffs": "PRCASU", "Query.account": "PRASU",
    "Query.node": "PRASU",
    "Query.statement": "PRASU", "Query.attendance": "PRASU", "Query.menu": "PRCASU",
    "Query.schoolToday": "PRCASU",
    "Query.schoolReport": "CASU", "Query.auditTrail": "U", "Query.charges": "PRASU",
    "Query.historyExport": "PRU",
    "Mutation.disputeCharge": "P", "Mutation.requestRefund": "P",
    "Mutation.reverseCharge": "A", "Mutation.rejectDispute": "A", "Mutation.unblockCard": "S",
    "Mutation.leaveMenuFeedback": "P",
    "Mutation.login": "*", "Mutation.refreshToken": "*", "Mutation.requestPasswordReset": "*",
    "Mutation.resetPassword": "*", "Mutation.changePassword": "PRCASU",
    "Mutation.logout": "PRCASU", "Mutation.addRepresentative": "P",
    "Mutation.changeDailyLimit": "P", "Mutation.changeTariff": "P",
    "Mutation.changeNotificationPreferences": "P", "Mutation.changeContact": "P",
    "Mutation.blockCard": "PAS", "Mutation.orderDuplicateCard": "PAS",
    "Mutation.publishMenu": "CA", "Mutation.registerTerminal": "A",
    "Mutation.revokeTerminal": "A", "Mutation.grantSubsidy": "A", "Mutation.revokeSubsidy": "A",
    "Mutation.resetAccess": "S", "Subscription.accountEvents": "PRASU",
    **PARENT_EXPECTED,
    "Query.roster": "CASU", "Query.schoolSettings": "CASU", "Query.terminals": "ASU",
    "Query.flaggedCharges": "ASU", "Query.disputes": "ASU", "Query.refunds": "ASU",
    "Query.chargeEvidence": "ASU", "Query.report": "ASU", "Query.menuFeedback": "CASU",
    "Mutation.openContract": "A", "Mutation.importRoster": "A", "Mutation.issueCard": "AS",
    "Mutation.moveClass": "A", "Mutation.endContract": "A", "Mutation.promoteSchool": "A",
    "Mutation.setMealOverdraft": "A", "Mutation.setSchoolCalendar": "A",
    "Mutation.setFeePause": "A", "Mutation.setCommissionRate": "S", "Mutation.setOfflineCap": "A",
    "Mutation.setLowBalanceDefault": "A", "Mutation.setCaseworkContact": "A",
    "Mutation.renameTerminal": "A", "Mutation.rotateTerminalSecret": "AS",
    "Mutation.approveRefund": "AS", "Mutation.payRefund": "S", "Mutation.terminateSchool": "S",
    "Query.myPersonalData": "PR", "Query.privacyRequests": "PASU", "Query.accessLog": "U",
    "Mutation.acceptConsent": "PR", "Mutation.withdrawConsent": "PR",
    "Mutation.requestErasure": "P", "Mutation.approveErasure": "AS",
    "Mutation.refuseErasure": "AS",
}  # fmt: skip


def allowed(coordinate: str) -> frozenset[Role]:
    return frozenset(LETTERS[x] for x in EXPECTED[coordinate] if x != "*")


def test_the_declared_rules_are_the_expected_policy() -> None:
    assert set(EXPECTED) == set(RULES)
    for coordinate, rule in RULES.items():
        assert rule.roles == allowed(coordinate), coordinate
        assert (EXPECTED[coordinate] == "*") == (rule.scope == Scope.ANONYMOUS), coordinate


# Checked over WebSocket in test_subscriptions.py.
ELSEWHERE = {"Subscription.accountEvents"}
# These end sessions: each runs with fresh logins.
DESTRUCTIVE = ("Mutation.resetAccess", "Mutation.logout")


def test_the_matrix_covers_every_rule() -> None:
    assert set(OPERATIONS) | ELSEWHERE == set(RULES)


def clients(stack: Stack, objects: Objects) -> dict[Role, Client]:
    """One login per role, all entitled to `objects`' school or contract."""
    world, school = objects.world, objects.world.school_id
    found: dict[Role, Client] = {}
    parent = stack.client()
    phone = new_phone()
    account_id = stack.ledger.account_id_for_contract(objects.contract)
    stack.identity.grant_parent(objects.contract, account_id, phone, Access.MANAGE)
    parent.login(objects.contract, stack.password_sent_to(phone))
    found[Role.PARENT] = parent
    grandma = new_phone()
    stack.identity.grant_parent(objects.contract, account_id, grandma, Access.READ)
    representative = stack.client()
    representative.login(grandma, stack.password_sent_to(grandma))
    found[Role.REPRESENTATIVE] = representative
    for role in (Role.CANTEEN_OPERATOR, Role.SCHOOL_ADMIN, Role.SUPPORT, Role.AUDITOR):
        found[role] = stack.staff(role, school)
    assert all(c.token for c in found.values()), "every role logged in"
    del world
    return found


def outcome(client: Client, query: str, variables: dict[str, Any]) -> str:
    body = client.gql(query, **variables)
    codes = [e.get("extensions", {}).get("code") for e in body.get("errors") or []]
    if "FORBIDDEN" in codes:
        return "forbidden"
    if "UNAUTHENTICATED" in codes:
        return "unauthenticated"
    return "allowed"


@pytest.fixture
def objects(travelled: datetime, stack: Stack) -> tuple[Objects, Objects]:
    """Two schools' objects, made at the travelled instant the matrix then runs at."""
    mine, foreign = stack.school(), stack.school()
    pupil, other = mine.pupil(), foreign.pupil()
    stack.project()
    return (
        Objects(mine, pupil.contract_number, pupil.uid, str(mine.terminals[TerminalKind.LOCKER])),
        Objects(
            foreign, other.contract_number, other.uid, str(foreign.terminals[TerminalKind.LOCKER])
        ),
    )


def test_role_by_operation_matrix(
    travelled: datetime, stack: Stack, objects: tuple[Objects, Objects]
) -> None:
    mine, foreign = objects
    roles = clients(stack, mine)
    anonymous = stack.client()
    for coordinate in sorted(OPERATIONS, key=lambda c: c in DESTRUCTIVE):
        rule = RULES[coordinate]
        if coordinate in DESTRUCTIVE:
            roles = clients(stack, mine)
        query, variables = OPERATIONS[coordinate](mine)
        for role, client in roles.items():
            permitted = role in allowed(coordinate) or EXPECTED[coordinate] == "*"
            expected = "allowed" if permitted else "forbidden"
            got = outcome(client, *OPERATIONS[coordinate](mine))
            assert got == expected, f"{role} on {coordinate}: {got}, expected {expected}"
            if rule.scope in (Scope.ACCOUNT, Scope.SCHOOL, Scope.TERMINAL):
                got = outcome(client, *OPERATIONS[coordinate](foreign))
                assert got == "forbidden", f"{role} on a foreign {coordinate}: {got}"
        got = outcome(anonymous, query, variables)
        expected = "allowed" if rule.scope == Scope.ANONYMOUS else "unauthenticated"
        assert got == expected, f"anonymous on {coordinate}: {got}"


def test_unknown_and_foreign_contracts_get_the_same_answer(
    travelled: datetime, stack: Stack
) -> None:
    world = stack.school()
    family = stack.family(world)
    other = stack.school().pupil()
    stack.project()
    q = "query($c: String!) { account(contractNumber: $c) { regular } }"
    foreign = family.client.gql(q, c=other.contract_number)
    unknown = family.client.gql(q, c="NO-SUCH-CONTRACT")
    assert foreign == unknown


def test_spanning_staff_see_every_school_and_bound_staff_only_theirs(stack: Stack) -> None:
    first, second = stack.school(), stack.school()
    pupil = second.pupil()
    stack.project()
    q = "query($c: String!) { account(contractNumber: $c) { regular } }"
    auditor = stack.staff(Role.AUDITOR, all_schools=True)
    assert auditor.data(q, c=pupil.contract_number)["account"]["regular"] == "50000"
    admin = stack.staff(Role.SCHOOL_ADMIN, first.school_id)
    assert admin.error_code(q, c=pupil.contract_number) == "FORBIDDEN"
    support = stack.staff(Role.SUPPORT, first.school_id, second.school_id)
    assert support.data(q, c=pupil.contract_number)["account"]["regular"] == "50000"
