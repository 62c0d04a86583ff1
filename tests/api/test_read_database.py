"""READ_DATABASE_URL: the read models are read from that server (a streaming replica in
production, docs/SCALING.md); the event store and the credentials stay on DATABASE_URL."""

from typing import Any

import anyio
from psycopg.conninfo import conninfo_to_dict

from api.graphql.services import ApiSettings, Services
from domain.ledger import Ledger
from tests.services import drop_database, fresh_database


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
