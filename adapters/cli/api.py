"""`infoshkola api`: serve the HTTP API (terminal ingestion and GraphQL) with uvicorn."""

from typing import Annotated

import typer
import uvicorn

from adapters.bootstrap import bootstrap
from api.app import create_app


def api(
    host: Annotated[str, typer.Option(envvar="API_HOST", help="interface to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(envvar="API_PORT", help="TCP port")] = 8000,
) -> None:
    """Serve the API until interrupted."""
    container = bootstrap()
    try:
        app = create_app(container)
        uvicorn.run(app, host=host, port=port, log_level="info", proxy_headers=False)
    finally:
        container.close()
