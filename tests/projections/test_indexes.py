"""A projection's secondary indexes are exactly the declared ones, on every start and after
every rebuild: an index an earlier version declared is dropped, none is made twice."""

from typing import Any

import psycopg

from domain.ledger import Ledger
from projections import all_projections, by_name
from projections.runner import Source, rebuild, setup


def index_columns(conn: psycopg.Connection[Any], table: str) -> list[str]:
    rows = conn.execute(
        "SELECT string_agg(a.attname, ', ' ORDER BY k.ord)"
        " FROM pg_index x JOIN pg_class t ON t.oid = x.indrelid"
        " CROSS JOIN LATERAL unnest(x.indkey) WITH ORDINALITY AS k(attnum, ord)"
        " JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum"
        " WHERE t.relname = %s AND NOT x.indisprimary GROUP BY x.indexrelid",
        (table,),
    ).fetchall()
    return sorted(cols for (cols,) in rows)


def test_an_index_no_longer_declared_is_dropped_when_the_runner_starts(
    database_url: str,
) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        setup(conn, all_projections())
        conn.execute(
            "CREATE INDEX charges_account_id_local_date_idx ON charges (account_id, local_date)"
        )
        assert "account_id, local_date" in index_columns(conn, "charges")

        setup(conn, all_projections())

        assert index_columns(conn, "charges") == ["account_id, tapped_at, position"]


def test_a_rebuild_and_a_restart_leave_each_declared_index_once_even_with_long_names(
    ledger: Ledger, database_url: str
) -> None:
    roster = by_name("roster")
    declared = sorted(roster.indexes["roster"])
    assert any(len(f"roster_next_{c.replace(', ', '_')}_idx") > 63 for c in declared)
    with psycopg.connect(database_url, autocommit=True) as conn:
        setup(conn, all_projections())
        rebuild(database_url, Source(ledger), roster, batch_size=50)
        setup(conn, all_projections())

        assert index_columns(conn, "roster") == declared
