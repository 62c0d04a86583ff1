"""PostgreSQL plumbing: URLs to eventsourcing settings, pools, and creating databases.

Every pool, ours and the event store's, checks a connection before handing it out (one round
trip), unless it handed that connection out less than half a second ago. After PostgreSQL
restarts every pooled connection is dead. The first one found dead makes the pool check all
of its idle connections at once and replace the dead ones. Otherwise psycopg_pool would try
them one by one, waiting 1, 2, 4 … s between them, and a large pool would time out. So the
first requests after a restart succeed
(`tests/adapters/test_postgres_restart.py`).
"""

import time
from collections.abc import Mapping, Sequence
from typing import Any
from weakref import WeakKeyDictionary

import psycopg
from eventsourcing.persistence import StoredEvent, Transcoder
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore, PostgresFactory
from eventsourcing.utils import Environment
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg_pool import ConnectionPool

from adapters.event_reads import EventReads
from adapters.transcoder import OrjsonTranscoder

RECENTLY = 0.5  # seconds: a connection handed out this recently is not checked again


def with_database(url: str, dbname: str) -> str:
    """The same server as `url`, another database."""
    return make_conninfo(url, dbname=dbname)


def ensure_database(url: str) -> None:
    """Create the database `url` names if it does not exist yet."""
    params = conninfo_to_dict(url)
    dbname = str(params.get("dbname") or "postgres")
    with psycopg.connect(with_database(url, "postgres"), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (dbname,)).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))


def drop_database(url: str) -> None:
    dbname = str(conninfo_to_dict(url).get("dbname"))
    with psycopg.connect(with_database(url, "postgres"), autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(dbname))
        )


def checked_pool(
    url: str, max_size: int, min_size: int = 1, open: bool = True
) -> ConnectionPool[Any]:
    """A pool of autocommit connections, each checked when handed out."""
    pool: ConnectionPool[Any] = ConnectionPool(
        url, min_size=min_size, max_size=max_size, open=open, kwargs={"autocommit": True}
    )
    check_all_on_failure(pool)
    return pool


def check_all_on_failure(pool: ConnectionPool[Any]) -> None:
    """Check each connection `pool` hands out; when one is dead, check every idle one now
    (a restart killed them all) rather than meet them one by one with growing waits.

    A connection handed out less than `RECENTLY` seconds ago is not checked again: under load
    the check was a round trip on every query, and a restart of PostgreSQL (crash recovery,
    then start-up) takes longer than that, so a connection that died in one was idle longer.
    """
    handed_out: WeakKeyDictionary[psycopg.Connection[Any], float] = WeakKeyDictionary()

    def check(conn: psycopg.Connection[Any]) -> None:
        now = time.monotonic()
        last = handed_out.get(conn)
        handed_out[conn] = now
        if last is not None and now - last < RECENTLY and not conn.broken:
            return
        try:
            ConnectionPool.check_connection(conn)
        except Exception:
            pool.check()  # drops the dead idle connections and opens new ones
            raise

    # psycopg_pool takes `check` only in its constructor; the event store's pool is built
    # inside eventsourcing, so the callback is set where the constructor keeps it.
    assert hasattr(pool, "_check"), "psycopg_pool changed: see check_all_on_failure"
    pool._check = check


class ColumnsRecorder(PostgresApplicationRecorder):
    """eventsourcing's application recorder, the events inserted as four arrays of plain
    values (`unnest(uuid[], bigint[], text[], bytea[])`) instead of one array of the
    composite type, each array sent as one text value written here (`array_literal`):
    psycopg dumps an array in Python, value by value, which cost the group commit's thread
    more than the insert itself (a composite array), then a quarter of the save (plain
    arrays). The same statement otherwise: in the same transaction after the table lock
    and the NOTIFY, rows in the order given, their notification ids returned in that order."""

    def __init__(
        self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events"
    ) -> None:
        super().__init__(datastore, events_table_name=events_table_name)
        self.insert_events_statement = sql.SQL(
            "INSERT INTO {schema}.{table} (originator_id, originator_version, topic, state)"
            " SELECT * FROM unnest(%s::{id_type}[], %s::bigint[], %s::text[], %s::bytea[])"
            " RETURNING notification_id"
        ).format(
            schema=sql.Identifier(datastore.schema),
            table=sql.Identifier(events_table_name),
            id_type=sql.Identifier(datastore.originator_id_type),
        )

    def _insert_stored_events(
        self, curs: Any, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> None:
        self._lock_table(curs)
        self._notify_channel(curs)
        curs.execute(
            self.insert_events_statement,
            (
                array_literal([str(e.originator_id) for e in stored_events]),
                "{" + ",".join([str(int(e.originator_version)) for e in stored_events]) + "}",
                array_literal([e.topic for e in stored_events]),
                "{" + ",".join(['"\\\\x' + e.state.hex() + '"' for e in stored_events]) + "}",
            ),
            prepare=True,
        )


def array_literal(texts: Sequence[str]) -> str:
    """PostgreSQL's text form of an array of these strings: each one double-quoted, its
    backslashes and double quotes escaped (a bytea is written the same way, in hex)."""
    quoted = ['"' + t.replace("\\", "\\\\").replace('"', '\\"') + '"' for t in texts]
    return "{" + ",".join(quoted) + "}"


class RestartSafeFactory(PostgresFactory):
    """eventsourcing's PostgreSQL persistence with an event store pool that survives a
    restart of PostgreSQL (`check_all_on_failure`), inserting events as plain columns
    (`ColumnsRecorder`), encoding them with orjson (`OrjsonTranscoder`)."""

    application_recorder_class = ColumnsRecorder

    def __init__(self, env: Environment | Mapping[str, str] | None) -> None:
        super().__init__(env)
        check_all_on_failure(self.datastore.pool)

    def transcoder(self) -> Transcoder:
        """The events written by orjson, the same bytes (`adapters/transcoder.py`), unless
        the environment names another transcoder."""
        if self.env.get(self.TRANSCODER_TOPIC):
            return super().transcoder()
        return OrjsonTranscoder()

    @staticmethod
    def version_reader(recorder: Any) -> Any:
        """The group commit's batched version check (`adapters/event_reads.py`)."""
        return EventReads(recorder).versions

    @staticmethod
    def stored_reader(recorder: Any, snapshots: Any) -> Any:
        """Many aggregates' snapshots and events in one statement (`adapters/event_reads.py`),
        for the group commit's batched loads (`domain/lookups.py`)."""
        return EventReads(recorder, snapshots).stored


def eventsourcing_env(url: str, pool_size: int = 5, max_overflow: int = 20) -> dict[str, str]:
    """The environment eventsourcing's PostgreSQL module reads, from a libpq URL.

    `pool_size` connections are opened at once and kept; up to `max_overflow` more are opened
    under load and closed when idle. Each is checked before use (`POSTGRES_PRE_PING`, and
    `RestartSafeFactory`), so a restart of PostgreSQL costs no failed command.
    """
    params = conninfo_to_dict(url)
    return {
        "PERSISTENCE_MODULE": "adapters.postgres:RestartSafeFactory",
        "POSTGRES_DBNAME": str(params.get("dbname") or "postgres"),
        "POSTGRES_HOST": str(params.get("host") or "127.0.0.1"),
        "POSTGRES_PORT": str(params.get("port") or "5432"),
        "POSTGRES_USER": str(params.get("user") or "postgres"),
        "POSTGRES_PASSWORD": str(params.get("password") or ""),
        "POSTGRES_POOL_SIZE": str(pool_size),
        "POSTGRES_MAX_OVERFLOW": str(max_overflow),
        "POSTGRES_PRE_PING": "y",
    }
