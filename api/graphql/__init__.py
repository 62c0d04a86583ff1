"""GraphQL for parents, school staff and auditors (strawberry on FastAPI, at /graphql)."""
