"""A stock GraphQL client (`gql`, as a third party would use it) against the real API over
HTTP: it validates its documents against `schema.graphql`, pages the statement with Relay
cursors, and refetches a line by its global id through `node`."""

from pathlib import Path
from typing import Any

import pytest
from gql import Client, GraphQLRequest, gql
from gql.transport.exceptions import TransportQueryError
from gql.transport.httpx import HTTPXTransport

from domain.kinds import TerminalKind
from tests.api.stack import Family, Stack
from tests.builders import meal

SDL = (Path(__file__).parents[2] / "schema.graphql").read_text()
PAGE = gql("""
query Page($contract: String!, $first: Int!, $after: String) {
  statement(contractNumber: $contract, first: $first, after: $after) {
    pageInfo { hasNextPage hasPreviousPage endCursor }
    edges { cursor node { id position kind amount } }
  }
}""")
NODE = gql("""
query Refetch($id: ID!) { node(id: $id) { id ... on StatementLine { position kind amount } } }
""")


def refetch(node_id: str) -> GraphQLRequest:
    return GraphQLRequest(NODE, variable_values={"id": node_id})


def stock_client(stack: Stack, family: Family) -> Client:
    transport = HTTPXTransport(
        url=f"{stack.url}/graphql",
        headers={
            "Authorization": f"Bearer {family.client.token}",
            "X-Forwarded-For": family.client.address,
        },
    )
    return Client(transport=transport, schema=SDL)  # documents validated against the SDL


def test_a_stock_client_pages_the_statement_by_cursor_and_refetches_a_node(stack: Stack) -> None:
    world = stack.school()
    family = stack.family(world, deposit=100_000)
    for _ in range(4):
        world.tap(TerminalKind.CANTEEN_POS, family.pupil.uid, items=[meal()])
    stack.project()
    pages: list[dict[str, Any]] = []
    with stock_client(stack, family) as session:
        after: str | None = None
        while True:
            variables = {"contract": family.contract, "first": 2, "after": after}
            page = session.execute(GraphQLRequest(PAGE, variable_values=variables))["statement"]
            pages.append(page)
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
            assert after == page["edges"][-1]["cursor"]
        lines = [edge["node"] for page in pages for edge in page["edges"]]
        assert [len(page["edges"]) for page in pages] == [2, 2, 1]
        assert lines[-1]["kind"] == "TOP_UP"  # the deposit, oldest
        assert {line["kind"] for line in lines[:-1]} <= {"PURCHASE", "PURCHASE_DECLINED"}
        positions = [int(line["position"]) for line in lines]
        assert positions == sorted(positions, reverse=True)  # newest first, none twice
        assert len(set(positions)) == 5
        again = session.execute(refetch(lines[2]["id"]))["node"]
        assert again == {k: lines[2][k] for k in ("id", "position", "kind", "amount")}
    with stock_client(stack, stack.family(world)) as stranger:  # another parent's line
        with pytest.raises(TransportQueryError) as refused:
            stranger.execute(refetch(lines[2]["id"]))
        assert refused.value.data == {"node": None}
        assert refused.value.errors
        assert refused.value.errors[0]["extensions"]["code"] == "FORBIDDEN"
