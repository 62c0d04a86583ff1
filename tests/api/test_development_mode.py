"""Development mode: GraphiQL, introspection and suggestions (all off in production)."""

from tests.api.stack import Stack


def test_development_serves_graphiql_introspection_and_suggestions(dev: Stack) -> None:
    page = dev.http.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert "graphiql" in page.text.lower()
    client = dev.client()
    types = client.data("{ __schema { types { name } } }")["__schema"]["types"]
    assert "Kopecks" in {t["name"] for t in types}
    typo = client.gql("{ viewr { role } }")["errors"][0]["message"]
    assert "Did you mean 'viewer'?" in typo
