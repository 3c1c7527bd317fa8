"""The web app: one page (index.html) whose ES modules (app.js and the modules it imports) talk
to /graphql with the signed-in person's session (app/sessions.py). Components are Preact + htm,
vendored in vendor/ (VENDOR.md): no build step and no CDN, the files are served as they are.

The page is served at `/`, `/dashboard`, `/login`, `/settings` and at every deep link the app routes
(`/budgets/bud_1`, `/projects/prj_3`, `/transfers/trf_12`: Slack messages link to them); its
scripts and styles under `/dashboard/` and `/dashboard/vendor/`.
"""

from __future__ import annotations

import re
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Route

DIRECTORY = Path(__file__).resolve().parent
VENDOR = DIRECTORY / "vendor"

MEDIA_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
}
#: Only files named like this, from these two folders: a StaticFiles mount would also hand out
#: this module and __pycache__.
_ASSET_NAME = re.compile(r"^[a-z][a-z0-9_-]*\.(?:js|mjs|css)$")


#: Headers of every HTML page (the GraphiQL page adds its own policy, app/server.py): not in
#: a frame (clickjacking), no Referer to other sites (URLs may name budgets).
PAGE_HEADERS = {
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}

#: The page loads only its own scripts and style and talks only to its own /graphql; it has no
#: inline script or <style>. Preact sets the progress bars' widths through the CSSOM
#: (`element.style`), which style-src does not govern; no markup carries a style attribute.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def _serve(path: Path) -> FileResponse:
    # no-cache: the browser revalidates (ETag), so an upgrade shows at the next load.
    headers = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}
    if path.suffix == ".html":
        headers |= {**PAGE_HEADERS, "Content-Security-Policy": CONTENT_SECURITY_POLICY}
    return FileResponse(path, media_type=MEDIA_TYPES[path.suffix], headers=headers)


def _not_found() -> Response:
    return Response("Not Found", status_code=404, media_type="text/plain")


async def page(_: Request) -> Response:
    return _serve(DIRECTORY / "index.html")


def _asset_in(folder: Path):  # type: ignore[no-untyped-def]
    async def asset(request: Request) -> Response:
        name = request.path_params["name"]
        path = folder / name
        if not _ASSET_NAME.match(name) or not path.is_file():
            return _not_found()
        return _serve(path)

    return asset


def routes() -> list[BaseRoute]:
    methods = ["GET", "HEAD"]
    return [
        Route("/", page, methods=methods),
        Route("/dashboard", page, methods=methods),
        Route("/dashboard/", page, methods=methods),
        Route("/login", page, methods=methods),
        Route("/settings", page, methods=methods),
        Route("/budgets/{ref}", page, methods=methods),
        Route("/budgets/{ref}/periods", page, methods=methods),
        Route("/alerts", page, methods=methods),
        Route("/budgets/{ref}/edit", page, methods=methods),
        Route("/budgets/{ref}/spend", page, methods=methods),
        Route("/unassigned", page, methods=methods),
        Route("/projects/{ref}", page, methods=methods),
        Route("/transfers/{ref}", page, methods=methods),
        Route("/dashboard/vendor/{name:str}", _asset_in(VENDOR), methods=methods),
        Route("/dashboard/{name:str}", _asset_in(DIRECTORY), methods=methods),
    ]
