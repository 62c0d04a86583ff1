"""`infoshkola api`: serve the HTTP API (terminal ingestion and GraphQL) with uvicorn.

`--workers N` runs N uvicorn worker processes on the one port (each its own app, pools and
tap batcher, built by `app_factory`): a Python process decides and answers on one core,
so on a machine with several cores the terminals' throughput grows with the processes."""

from typing import TYPE_CHECKING, Annotated, Any

import typer

from app.composition import bootstrap
from app.logs import configure_logging
from app.processes import die_with_multiprocessing_parent

if TYPE_CHECKING:
    from fastapi import FastAPI

# The API's modules (FastAPI, strawberry's schema, uvicorn) are imported when the command runs,
# not when `cli.main` is: they cost about 0.8 s of CPU that every other command's process
# (the workers, the feed, the projections runner) would pay on each start.


def app_factory() -> "FastAPI":
    """One worker process's app (uvicorn calls it in each worker, which dies with uvicorn's
    main process: app/processes.py)."""
    from api.app import create_app
    from api.graphql.services import ApiSettings

    die_with_multiprocessing_parent()
    container = bootstrap()
    configure_logging(container.settings)
    return create_app(container, ApiSettings.from_env())


def api(
    host: Annotated[str | None, typer.Option(help="interface to bind [API_HOST]")] = None,
    port: Annotated[int | None, typer.Option(help="TCP port [API_PORT]")] = None,
    workers: Annotated[int, typer.Option(min=1, help="worker processes on the one port")] = 1,
) -> None:
    """Serve the API until interrupted."""
    import uvicorn

    from api.app import create_app
    from api.graphql.services import ApiSettings

    container = bootstrap()
    configure_logging(container.settings)
    settings = ApiSettings.from_env()
    options: dict[str, Any] = {
        "host": host or container.settings.api_host,
        "port": port or container.settings.api_port,
        "log_config": None,  # app/logs.py: JSON lines with the request id
        "log_level": container.settings.log_level.lower(),
        "proxy_headers": False,
        # uvicorn's own line per request repeated ours (`api/observability.py`: the request
        # id, the status, the duration and the client's address) at the same cost again
        "access_log": False,
        "ws_max_size": settings.graphql_max_body,  # a WebSocket message is a body too
    }
    if workers > 1:
        container.close()  # each worker builds its own
        uvicorn.run(
            "cli.api:app_factory", factory=True, workers=workers,
            # a worker answers uvicorn's health check only once its imports are done, which
            # takes more than uvicorn's default 5 s on a busy machine: it was killed and
            # restarted for ever
            timeout_worker_healthcheck=60, **options,
        )  # fmt: skip
        return
    try:
        uvicorn.run(create_app(container, settings), **options)
    finally:
        container.close()
