"""Is a missing read-model table one the projections runner has not created yet?

On a new database GraphQL starts before the runner has set up its tables; a read then
fails with `UndefinedTable`. That is a state to wait out (`NOT_YET_CONSISTENT`), unlike a
table missing from a projection the runner did set up, which is a broken read model and
stays an unexpected error.
"""

import re
from typing import Any

import psycopg
from graphql import GraphQLError

from projections import all_projections

MISSING = re.compile(r'relation "(?:[^".]+\.)?([^".]+)" does not exist')


class NotYetBuiltError(GraphQLError):
    def __init__(self) -> None:
        super().__init__(
            "the read models are not built yet; retry shortly",
            extensions={"code": "NOT_YET_CONSISTENT"},
        )


def owner_of(table: str) -> str | None:
    """The projection whose table `table` is (None for tables no projection owns)."""
    return next((p.name for p in all_projections() if table in p.tables), None)


def never_built(conn: psycopg.Connection[Any], error: psycopg.errors.UndefinedTable) -> bool:
    """True when the runner has not set up the read models, or not the one `error` misses."""
    if conn.execute("SELECT to_regclass('projection_positions')").fetchone() == (None,):
        return True
    found = MISSING.search(error.diag.message_primary or "")
    owner = owner_of(found.group(1)) if found else None
    if owner is None:
        return False
    row = conn.execute("SELECT 1 FROM projection_positions WHERE name = %s", (owner,)).fetchone()
    return row is None
