"""The query cost over the fully expanded selection, checked before anything else validates."""

from typing import Any

from graphql import parse

from api.graphql.cost import MAX_COST, QueryCost
from api.graphql.schema import build_schema
from identity.service import Role
from tests.api.stack import Stack

FULL_LINE = """position at localAt localDate kind terminalKind amount regularChange
  subsidisedChange commission declined refusedAmount regularAfter subsidisedAfter reason
  items { code name price quantity }"""
PARENT = f"""query($c: String!) {{
  viewer {{ role contracts {{ contractNumber access }} }}
  account(contractNumber: $c) {{ regular subsidised spentToday dailyLimit tariff
    cards {{ uid state }} }}
  statement(contractNumber: $c, first: 200) {{ pageInfo {{ hasNextPage endCursor }}
    edges {{ cursor node {{ ...Line }} }} }}
}}
fragment Line on StatementLine {{ {FULL_LINE} }}"""
STAFF = """query($s: UUID!) { schoolReport(school: $s) { days { date
  terminals { terminalKind turnover purchases mealsServed pupils } topups { channel amount } } }
  menu(school: $s, date: "2026-11-25") { date items { name price } } }"""


def fan_out(levels: int) -> str:
    """Issue 10's document: each fragment spreads the next one twice (2**(levels-1) fields)."""
    spreads = [f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels - 1)]
    return "\n".join(
        ["query { ...F0 }", *spreads, f"fragment F{levels - 1} on Query {{ tariffs {{ tariff }} }}"]
    )


def cost(query: str, **variables: Any) -> int:
    schema = build_schema()._schema
    document = parse(query)
    operation = next(d for d in document.definitions if d.kind == "operation_definition")
    return QueryCost(schema, document, variables).operation(operation)  # type: ignore[arg-type]


def codes(body: dict[str, Any]) -> list[str]:
    return [str(e.get("extensions", {}).get("code")) for e in body.get("errors") or []]


def test_a_fragment_counts_once_per_spread_and_a_field_per_page_item() -> None:
    assert cost("{ tariffs { tariff } }") == 2
    assert cost("query { ...A ...A } fragment A on Query { tariffs { tariff } }") == 4
    assert cost("query { ... on Query { viewer { role } } }") == 2
    assert cost(fan_out(21)) == 2**20 * 2
    page = 'query($n: Int!) { statement(contractNumber: "C", first: $n) { edges { cursor } } }'
    assert cost(page, n=200) == 1 + 200 * 2
    assert cost('{ statement(contractNumber: "C", first: 7) { edges { cursor } } }') == 1 + 7 * 2
    assert cost('{ statement(contractNumber: "C") { edges { cursor } } }') == 1 + 50 * 2
    assert cost("query { ...A } fragment A on Query { ...B } fragment B on Query { ...A }") == 0


def test_the_fragment_fan_out_of_issue_10_is_refused_as_too_costly(stack: Stack) -> None:
    body = stack.client().gql(fan_out(21))
    assert body.get("data") is None
    assert codes(body) == ["QUERY_TOO_COSTLY"]
    assert f"at most {MAX_COST}" in body["errors"][0]["message"]
    assert stack.http.get("/health").json() == {"status": "ok"}


def test_page_sizes_multiply_what_a_page_selects(stack: Stack) -> None:
    aliased = " ".join(
        f'a{i}: statement(contractNumber: "C-{i}", first: 200) {{'
        f" edges {{ node {{ {FULL_LINE} }} }} }}"
        for i in range(3)
    )
    assert codes(stack.client().gql("{ " + aliased + " }")) == ["QUERY_TOO_COSTLY"]
    small = 'query($n: Int!) { statement(contractNumber: "C-1", first: $n) { edges { cursor } } }'
    assert codes(stack.client().gql(small, n=10)) == ["UNAUTHENTICATED"]  # it reached execution
    huge = stack.client().gql(small.replace("cursor", f"node {{ {FULL_LINE} }}"), n=9_999)
    assert codes(huge) == ["QUERY_TOO_COSTLY"]


def test_a_parents_and_a_staff_members_full_queries_pass(stack: Stack) -> None:
    world = stack.school()
    family = stack.family(world)
    stack.project()
    assert cost(PARENT, c=family.contract) < MAX_COST
    found = family.client.data(PARENT, c=family.contract)
    assert found["account"]["regular"] == "50000"
    assert found["statement"]["edges"][0]["node"]["kind"] == "TOP_UP"
    admin = stack.staff(Role.SCHOOL_ADMIN, world.school_id)
    report = admin.data(STAFF, s=str(world.school_id))
    assert report["menu"]["items"] == []


def test_unknown_and_cyclic_fragments_are_plain_validation_errors(stack: Stack) -> None:
    client = stack.client()
    unknown = client.gql("{ ...Nope }")["errors"]
    assert [e["message"] for e in unknown] == ["Unknown fragment 'Nope'."]
    cycle = client.gql("query { ...A } fragment A on Query { ...B } fragment B on Query { ...A }")
    assert [e["message"] for e in cycle["errors"]] == [
        "Cannot spread fragment 'A' within itself via 'B'."
    ]


def test_a_document_that_passed_before_is_still_costed_with_its_new_variables(
    stack: Stack,
) -> None:
    """Validation is remembered per document text (`limits.ValidDocuments`); the cost,
    which depends on the variables, is not."""
    page = (
        'query($n: Int!) { statement(contractNumber: "C-9", first: $n) {'
        f" edges {{ node {{ {FULL_LINE} }} }} }} }}"
    )
    client = stack.client()
    assert codes(client.gql(page, n=1)) == ["UNAUTHENTICATED"]  # valid: it reached execution
    assert codes(client.gql(page, n=1)) == ["UNAUTHENTICATED"]
    assert codes(client.gql(page, n=9_999)) == ["QUERY_TOO_COSTLY"]
    wrong = '{ statement(contractNumber: "C-9") { noSuchField } }'
    for _ in range(2):  # refused every time: a document that failed is never remembered
        refused = client.gql(wrong)
        assert refused.get("data") is None
        assert "noSuchField" in refused["errors"][0]["message"]
