"""`infoshkola api`: serve the HTTP API (terminal ingestion and GraphQL) with uvicorn."""

from typing import Annotated

import typer
import uvicorn

from adapters.bootstrap import bootstrap
from adapters.logs import configure_logging
from api.app import create_app
from api.graphql.services import ApiSettings


def api(
    host: Annotated[str | None, typer.Option(help="interface to bind [API_HOST]")] = None,
    port: Annotated[int | None, typer.Option(help="TCP port [API_PORT]")] = None,
) -> None:
    """Serve the API until interrupted."""
    container = bootstrap()
    configure_logging(container.settings)
    host = host or container.settings.api_host
    port = port or container.settings.api_port
    try:
        settings = ApiSettings.from_env()
        app = create_app(container, settings)
        uvicorn.run(
            app,
            host=host,
            port=port,
            log_config=None,  # adapters/logs.py: JSON lines with the request id
            log_level=container.settings.log_level.lower(),
            proxy_headers=False,
            ws_max_size=settings.graphql_max_body,  # a WebSocket message is a body too
        )
    finally:
        container.close()
