"""READ_DATABASE_URL: the read models are read from that server (a streaming replica in
production, docs/SCALING.md); the event store and the credentials stay on DATABASE_URL.
Read-your-writes holds on it: a query's `atLeast` waits on the positions of that server, where
the rows are, so a lagging replica answers NOT_YET_CONSISTENT, never the state before."""

from collections.abc import Iterator
from typing import Any

import anyio
import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict

from adapters.postgres import ensure_database, eventsourcing_env
from api.graphql.services import ApiSettings, Services
from domain.ledger import Ledger
from identity.service import Role
from tests.adapters.private_postgres import PrivatePostgres
from tests.api.stack import running_stack
from tests.projections.helpers import catch_up
from tests.services import drop_database, fresh_database
from tests.workers.harness import wait_for

ACCOUNT = """query($c: String!, $atLeast: Position) {
  account(contractNumber: $c, atLeast: $atLeast) { dailyLimit } }"""


def one(conn: Any, query: str, *params: Any) -> Any:
    return conn.execute(query, params).fetchone()[0]


def current_database(conn: Any) -> str:
    return str(conn.execute("SELECT current_database()").fetchone()[0])


def test_read_models_come_from_read_database_url(ledger: Ledger, database_url: str) -> None:
    replica = fresh_database()
    try:
        settings = ApiSettings.from_env({"READ_DATABASE_URL": replica})
        services = Services(ledger, database_url, settings)
        try:
            assert anyio.run(services.read, current_database) == conninfo_to_dict(replica)["dbname"]
        finally:
            services.close()
        services = Services(ledger, database_url, ApiSettings.from_env({}))
        try:
            own = conninfo_to_dict(database_url)["dbname"]
            assert anyio.run(services.read, current_database) == own
        finally:
            services.close()
    finally:
        drop_database(replica)


@pytest.fixture
def replicated() -> Iterator[tuple[PrivatePostgres, PrivatePostgres]]:
    """A PostgreSQL primary of the test's own and a streaming replica of it."""
    primary = PrivatePostgres().init()
    replica = PrivatePostgres()
    try:
        primary.start()
        replica.standby_of(primary).start()
        yield primary, replica
    finally:
        replica.remove()
        primary.remove()


def replayed(primary: str, replica: str) -> None:
    """Wait until the replica has replayed everything the primary has written so far."""
    with psycopg.connect(primary, autocommit=True) as conn:
        written = str(one(conn, "SELECT pg_current_wal_lsn()::text"))
    with psycopg.connect(replica, autocommit=True) as conn:
        query = "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn"
        wait_for(lambda: one(conn, query, written), 60, "the replay")


def test_a_write_is_read_from_the_replica_only_once_it_has_been_replayed_there(
    replicated: tuple[PrivatePostgres, PrivatePostgres],
) -> None:
    servers = replicated
    primary, replica = (server.database("infoshkola") for server in servers)
    ensure_database(primary)
    ledger = Ledger(eventsourcing_env(primary, pool_size=2))
    try:
        with running_stack(
            ledger, primary, read_database_url=replica, read_wait_seconds=0.3
        ) as stack:
            pupil = stack.school().pupil()
            catch_up(ledger, primary)
            support = stack.staff(Role.SUPPORT, all_schools=True)
            replayed(servers[0].url, servers[1].url)
            c = pupil.contract_number
            assert support.data(ACCOUNT, c=c)["account"] == {"dailyLimit": "20000"}

            with psycopg.connect(servers[1].url, autocommit=True) as conn:
                conn.execute("SELECT pg_wal_replay_pause()")  # the replica lags from here
                position = ledger.change_daily_limit(pupil.account_id, 12_300)
                catch_up(ledger, primary)  # the read models on the primary have the write
                lagging = support.error_code(ACCOUNT, c=c, atLeast=str(position))
                assert lagging == "NOT_YET_CONSISTENT", "never the state before the write"
                assert support.data(ACCOUNT, c=c)["account"] == {"dailyLimit": "20000"}
                conn.execute("SELECT pg_wal_replay_resume()")

            replayed(servers[0].url, servers[1].url)
            found = support.data(ACCOUNT, c=c, atLeast=str(position))
            assert found["account"] == {"dailyLimit": "12300"}
    finally:
        ledger.close()
