"""On a new database, before the projections runner has created the read models, GraphQL
answers `NOT_YET_CONSISTENT` (retry), not "Unexpected error."; then the same queries answer."""

from collections.abc import Iterator

import pytest

from tests.api.stack import Client, Stack, stack_of_its_own

ACCOUNT = "query($c: String!) { account(contractNumber: $c) { regular } }"
STATEMENT = "query($c: String!) { statement(contractNumber: $c) { edges { node { amount } } } }"
REPORT = "query($s: UUID!) { schoolReport(school: $s) { days { date } } }"
MENU = 'query($s: UUID!) { menu(school: $s, date: "2026-11-25") { items { name } } }'


@pytest.fixture
def new_database() -> Iterator[Stack]:
    with stack_of_its_own(pool_size=2) as found:
        yield found


def codes(client: Client, query: str, **variables: str) -> list[str]:
    body = client.gql(query, **variables)
    return [str(e.get("extensions", {}).get("code")) for e in body.get("errors") or []]


def test_before_the_read_models_exist_graphql_answers_not_yet_consistent(
    new_database: Stack,
) -> None:
    stack = new_database
    world, family, admin = stack.school_office()
    school = str(world.school_id)
    asked = [
        (admin, ACCOUNT, {"c": family.contract}),
        (family.client, STATEMENT, {"c": family.contract}),
        (family.client, MENU, {"s": school}),
        (admin, REPORT, {"s": school}),
    ]

    for client, query, variables in asked:
        assert codes(client, query, **variables) == ["NOT_YET_CONSISTENT"], query

    stack.project()
    for client, query, variables in asked:
        assert codes(client, query, **variables) == [], query
    assert admin.data(ACCOUNT, c=family.contract)["account"] == {"regular": "50000"}
