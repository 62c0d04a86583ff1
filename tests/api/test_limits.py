"""Abuse limits, production hardening and error hygiene, over HTTP."""

import psycopg

from identity.service import Role
from tests.api.stack import Stack


def deep(depth: int) -> str:
    """A selection `depth` levels deep below its root field (leaves do not count)."""
    levels = depth + 1
    return "{ " + " { ".join(f"f{i}" for i in range(levels)) + " }" * levels


def messages(body: dict[str, object]) -> list[str]:
    errors = body.get("errors") or []
    assert isinstance(errors, list)
    return [str(e["message"]) for e in errors]


def test_depth_beyond_8_is_refused(stack: Stack) -> None:
    client = stack.client()
    assert "exceeds maximum operation depth of 8" in " ".join(messages(client.gql(deep(9))))
    assert "exceeds maximum operation depth" not in " ".join(messages(client.gql(deep(8))))


def test_more_than_15_aliases_are_refused(stack: Stack) -> None:
    client = stack.client()
    many = "{ " + " ".join(f"a{i}: tariffs {{ tariff }}" for i in range(16)) + " }"
    assert "16 aliases found. Allowed: 15" in messages(client.gql(many))
    fifteen = "{ " + " ".join(f"a{i}: tariffs {{ tariff }}" for i in range(15)) + " }"
    assert not any("aliases" in m for m in messages(client.gql(fifteen)))


def test_more_than_2000_tokens_are_refused(stack: Stack) -> None:
    client = stack.client()
    long = "{ viewer { " + "role " * 2000 + "} }"
    assert messages(client.gql(long)) == [
        "Syntax Error: Document contains more than 2000 tokens. Parsing aborted."
    ]


def test_batches_hold_at_most_10_operations(stack: Stack) -> None:
    client = stack.client()
    assert client.post([{"query": "{ __typename }"}] * 11).status_code == 400
    ten = client.post([{"query": "{ __typename }"}] * 10)
    assert ten.status_code == 200
    assert len(ten.json()) == 10


def test_production_has_no_introspection_no_suggestions_and_no_graphiql(stack: Stack) -> None:
    client = stack.client()
    introspection = client.gql("{ __schema { types { name } } }")
    assert introspection.get("data") is None
    assert introspection["errors"]
    typo = " ".join(messages(client.gql("{ viewr { role } }")))
    assert "Cannot query field 'viewr'" in typo
    assert "Did you mean" not in typo
    page = stack.http.get("/graphql", headers={"Accept": "text/html"})
    assert "graphiql" not in page.text.lower()
    assert stack.http.get("/health").json() == {"status": "ok"}


def test_queries_over_get_are_refused(stack: Stack) -> None:
    assert stack.http.get("/graphql", params={"query": "{ __typename }"}).status_code != 200


def test_an_internal_failure_reaches_the_client_without_details(stack: Stack) -> None:
    world = stack.school()
    world.pupil()
    stack.project()
    admin = stack.staff(Role.SCHOOL_ADMIN, world.school_id)
    query = 'query($s: UUID!) { menu(school: $s, date: "2026-11-25") { date } }'
    with psycopg.connect(stack.database_url, autocommit=True) as conn:
        conn.execute("ALTER TABLE menus RENAME TO menus_away")  # the read model is broken
        try:
            response = admin.post({"query": query, "variables": {"s": str(world.school_id)}})
        finally:
            conn.execute("ALTER TABLE menus_away RENAME TO menus")
    body = response.json()
    assert [e["message"] for e in body["errors"]] == ["Unexpected error."]
    assert "menus" not in response.text
    assert "Traceback" not in response.text
    assert (
        "extensions" not in body["errors"][0] or "exception" not in body["errors"][0]["extensions"]
    )
