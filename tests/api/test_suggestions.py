"""Production answers mistakes without "did you mean" of any kind; development still helps."""

from typing import Any

import pytest

from tests.api.stack import Stack

SCHOOL = "6a1e1a8e-0d3b-4b7e-9a3e-2f1a1c9e0b11"
MISTAKES: list[tuple[str, str, dict[str, Any]]] = [
    ("field", "{ viewr { role } }", {}),
    ("argument", '{ account(contractNumbr: "C-1") { regular } }', {}),
    ("type", "query($c: Strin!) { account(contractNumber: $c) { regular } }", {"c": "C-1"}),
    (
        "enum value",
        '{ statement(contractNumber: "C-1", kinds: [TOP_UPP]) { pageInfo { hasNextPage } } }',
        {},
    ),
    (
        "enum value in variables",
        'query($k: [MovementKind!]) { statement(contractNumber: "C-1", kinds: $k) {'
        " pageInfo { hasNextPage } } }",
        {"k": ["TOP_UPP"]},
    ),
    (
        "input field",
        f'mutation {{ publishMenu(input: {{school: "{SCHOOL}", date: "2026-11-25",'
        ' items: [{code: "s", nam: "Суп", price: "100"}]}) { position } }',
        {},
    ),
    (
        "input field in variables",
        "mutation($i: [MenuItemInput!]!) {"
        f' publishMenu(input: {{school: "{SCHOOL}", date: "2026-11-25", items: $i}})'
        " { position } }",
        {"i": [{"code": "s", "nam": "Суп", "price": "100"}]},
    ),
]


def messages(stack: Stack, query: str, variables: dict[str, Any]) -> str:
    response = stack.client().post({"query": query, "variables": variables})
    assert response.status_code == 200, response.text
    errors = response.json().get("errors")
    assert errors, response.text
    return " | ".join(str(e["message"]) for e in errors)


@pytest.mark.parametrize(("kind", "query", "variables"), MISTAKES, ids=[m[0] for m in MISTAKES])
def test_production_suggests_nothing(
    stack: Stack, kind: str, query: str, variables: dict[str, Any]
) -> None:
    found = messages(stack, query, variables)
    assert "Did you mean" not in found, (kind, found)
    assert "contractNumber'?" not in found
    sent = query + str(variables)
    typo = next(t for t in ("viewr", "contractNumbr", "Strin", "TOP_UPP", "nam") if t in sent)
    assert f"'{typo}'" in found, found  # the mistake is still named


@pytest.mark.parametrize(("kind", "query", "variables"), MISTAKES, ids=[m[0] for m in MISTAKES])
def test_development_suggests_for_the_same_mistakes(
    dev: Stack, kind: str, query: str, variables: dict[str, Any]
) -> None:
    assert "Did you mean" in messages(dev, query, variables), kind
