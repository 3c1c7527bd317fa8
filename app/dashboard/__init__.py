"""The dashboard: one static page (index.html, dashboard.js, dashboard.css) that talks to
/graphql with the user's API token. No build step and no CDN: the files are served as they
are, the page at `/` and `/dashboard`, its script and style under `/dashboard/`."""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Route

DIRECTORY = Path(__file__).resolve().parent

# Only these files: a StaticFiles mount would also hand out this module and __pycache__.
ASSETS = {
    "index.html": "text/html; charset=utf-8",
    "dashboard.js": "text/javascript; charset=utf-8",
    "dashboard.css": "text/css; charset=utf-8",
}


def _serve(name: str) -> FileResponse:
    # no-cache: the browser revalidates (ETag), so an upgrade shows at the next load.
    return FileResponse(
        DIRECTORY / name, media_type=ASSETS[name], headers={"Cache-Control": "no-cache"}
    )


async def page(_: Request) -> Response:
    return _serve("index.html")


async def asset(request: Request) -> Response:
    name = request.path_params["name"]
    if name not in ASSETS:
        return Response("Not Found", status_code=404, media_type="text/plain")
    return _serve(name)


def routes() -> list[BaseRoute]:
    methods = ["GET", "HEAD"]
    return [
        Route("/", page, methods=methods),
        Route("/dashboard", page, methods=methods),
        Route("/dashboard/", page, methods=methods),
        Route("/dashboard/{name:str}", asset, methods=methods),
    ]
