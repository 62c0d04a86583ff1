"""The browser pages, served by the API process from the front end's build (`frontend/dist`).

One single-page application holds the parent cabinet (`/cabinet`), the canteen operator's
till (`/till`), the kiosk (`/kiosk`) and the school admin pages (`/admin`); Swagger UI (`/docs`)
and GraphiQL (`/graphiql`, development only) come from npm packages copied into the same
build. Nothing is fetched from the internet at run time, and the pages may not load anything
from elsewhere (Content-Security-Policy).

`make setup` builds `frontend/dist` (`npm ci && npm run build`); `WEB_DIR` names another build
(the container image). Without a build the pages answer 503 with how to build it; the API
itself (GraphQL, terminals) works either way.
"""

import os
from pathlib import Path

from fastapi import FastAPI, Request, Response
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

REPOSITORY = Path(__file__).resolve().parents[1]
APP_PATHS = ("/", "/cabinet", "/till", "/kiosk", "/admin", "/reset")
PUBLIC_FILES = ("sw.js", "manifest.webmanifest", "icon.svg", "icon-192.png", "icon-512.png")
# Scripts and styles from this origin only; the live updates' WebSocket and the till's
# photos (blob: URLs) included. Inline styles: React's style attributes and the charts.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' blob: data:; connect-src 'self' ws: wss:; worker-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}
NOT_BUILT = """<!doctype html><html lang="ru"><head><meta charset="utf-8">
<title>Инфошкола</title></head><body><main><h1>Интерфейс не собран</h1>
<p>Соберите его командой <code>make setup</code> (нужен Node.js 20 или новее).
API работает: <code>/graphql</code>, <code>/terminal/v1/…</code>.</p></main></body></html>"""


def web_dir() -> Path:
    configured = os.environ.get("WEB_DIR")
    return Path(configured) if configured else REPOSITORY / "frontend" / "dist"


def page(path: Path) -> Response:
    if not path.is_file():
        return HTMLResponse(NOT_BUILT, status_code=503, headers={"Cache-Control": "no-cache"})
    return FileResponse(path, media_type="text/html; charset=utf-8", headers=HEADERS)


def graphiql_page() -> HTMLResponse:
    """GraphiQL from the build (the strawberry router's own page loads it from a CDN)."""
    file = web_dir() / "graphiql.html"
    if not file.is_file():
        return HTMLResponse(NOT_BUILT, status_code=503, headers={"Cache-Control": "no-cache"})
    return HTMLResponse(file.read_bytes(), headers=HEADERS)


def install_web(app: FastAPI, development: bool) -> None:
    root = web_dir()

    def app_page() -> Response:
        return page(root / "index.html")

    for path in APP_PATHS:
        app.add_api_route(path, app_page, methods=["GET"], include_in_schema=False)
        if path != "/":
            app.add_api_route(
                path + "/{rest:path}", app_page, methods=["GET"], include_in_schema=False
            )

    def public_file(request: Request) -> Response:
        name = request.url.path.lstrip("/")
        file = root / name
        if not file.is_file():
            return Response(status_code=404)
        headers = {"Cache-Control": "no-cache"}
        if name == "sw.js":  # a worker's own fetches obey its CSP: the pages' one, not 'none'
            headers["Service-Worker-Allowed"] = "/"
            headers["Content-Security-Policy"] = CSP
        return FileResponse(file, headers=headers)

    for name in PUBLIC_FILES:
        app.add_api_route(f"/{name}", public_file, methods=["GET"], include_in_schema=False)

    def docs() -> Response:
        return page(root / "swagger" / "index.html")

    app.add_api_route("/docs", docs, methods=["GET"], include_in_schema=False)
    if development:
        app.add_api_route("/graphiql", graphiql_page, methods=["GET"], include_in_schema=False)

    def app_home() -> Response:
        return RedirectResponse("/")

    app.add_api_route("/index.html", app_home, methods=["GET"], include_in_schema=False)
    # Without a build there is nothing to mount: the pages above answer 503.
    for folder in ("assets", "swagger"):
        directory = root / folder
        if directory.is_dir():
            app.mount(f"/{folder}", StaticFiles(directory=directory), name=f"web-{folder}")
