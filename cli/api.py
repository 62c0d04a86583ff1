"""`infoshkola api`: serve the HTTP API (terminal ingestion and GraphQL) with uvicorn."""

from typing import Annotated

import typer
import uvicorn

from api.app import create_app
from api.graphql.services import ApiSettings
from app.composition import bootstrap


def api(
    host: Annotated[str, typer.Option(envvar="API_HOST", help="interface to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(envvar="API_PORT", help="TCP port")] = 8000,
) -> None:
    """Serve the API until interrupted."""
    container = bootstrap()
    try:
        settings = ApiSettings.from_env()
        app = create_app(container, settings)
        uvicorn.run(
            app,
            host=host,
            port=port,
            log_level="info",
            proxy_headers=False,
            ws_max_size=settings.graphql_max_body,  # a WebSocket message is a body too
        )
    finally:
        container.close()
