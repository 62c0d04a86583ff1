"""PostgreSQL plumbing: URLs to eventsourcing settings, and creating databases."""

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo


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


def eventsourcing_env(url: str, pool_size: int = 5, max_overflow: int = 20) -> dict[str, str]:
    """The environment eventsourcing's PostgreSQL module reads, from a libpq URL.

    `pool_size` connections are opened at once and kept; up to `max_overflow` more are opened
    under load and closed when idle.
    """
    params = conninfo_to_dict(url)
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": str(params.get("dbname") or "postgres"),
        "POSTGRES_HOST": str(params.get("host") or "127.0.0.1"),
        "POSTGRES_PORT": str(params.get("port") or "5432"),
        "POSTGRES_USER": str(params.get("user") or "postgres"),
        "POSTGRES_PASSWORD": str(params.get("password") or ""),
        "POSTGRES_POOL_SIZE": str(pool_size),
        "POSTGRES_MAX_OVERFLOW": str(max_overflow),
    }
