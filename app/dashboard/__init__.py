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


#: Headers of every HTML page (the GraphiQL page adds its own policy, app/server.py): not in
#: a frame (clickjacking), no Referer to other sites (URLs may name budgets).
PAGE_HEADERS = {
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}

#: The dashboard loads only its own script and style and talks only to its own /graphql; it
#: has no inline script or <style>, and sets text with textContent only. One exception:
#: dashboard.js sets the progress bars' widths with a style="width: …%" attribute, which
#: style-src-attr allows (an attribute cannot run script; setting `node.style.width` in
#: dashboard.js instead would let this line go).
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "style-src-attr 'unsafe-inline'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def _serve(name: str) -> FileResponse:
    # no-cache: the browser revalidates (ETag), so an upgrade shows at the next load.
    headers = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}
    if name == "index.html":
        headers |= {**PAGE_HEADERS, "Content-Security-Policy": CONTENT_SECURITY_POLICY}
    return FileResponse(DIRECTORY / name, media_type=ASSETS[name], headers=headers)


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
