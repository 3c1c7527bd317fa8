"""The GraphiQL page of GET /graphql, with its scripts and styles served by Allot itself.

No CDN: React, ReactDOM and GraphiQL's built files are vendored in vendor/ (versions, npm
integrity and sha256 in vendor/SOURCES.json, licences beside them; refresh with
update-vendor.sh), so the page works offline and its Content-Security-Policy allows this
origin only (and, for one style element GraphiQL makes at run time, a nonce). The page
itself (index.html) has no inline script or style: allot-graphiql.js sets GraphiQL up (the
Authorization header to fill in, the example operations).

Asset URLs carry a hash of the file (`?v=…`), so they are cached for a year and a new version
of Allot is fetched at once.
"""

from __future__ import annotations

import hashlib
import secrets
from functools import cache
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.routing import BaseRoute, Route

DIRECTORY = Path(__file__).resolve().parent
VENDOR = DIRECTORY / "vendor"

JS = "text/javascript; charset=utf-8"
CSS = "text/css; charset=utf-8"
#: Only these files are served (a StaticFiles mount would also hand out this module).
ASSETS: dict[str, tuple[Path, str]] = {
    "graphiql.min.js": (VENDOR / "graphiql.min.js", JS),
    "graphiql.min.css": (VENDOR / "graphiql.min.css", CSS),
    "react.production.min.js": (VENDOR / "react.production.min.js", JS),
    "react-dom.production.min.js": (VENDOR / "react-dom.production.min.js", JS),
    "allot-graphiql.js": (DIRECTORY / "allot-graphiql.js", JS),
    "allot-graphiql.css": (DIRECTORY / "allot-graphiql.css", CSS),
}


#: Exactly what the page needs: its own scripts and styles, GraphiQL's fonts and icons (data:
#: URIs inside graphiql.min.css), and requests to this origin (HTTP and, in CSP Level 3,
#: its WebSocket for subscriptions). GraphiQL sets styles through the DOM (element.style),
#: which style-src does not govern. One <style> element is made at run time: the scroll lock
#: of GraphiQL's menus and dialogs (react-remove-scroll, with sizes measured on the spot, so
#: no hash can allow it) -- it carries the page's nonce, which allot-graphiql.js hands to it
#: (`__webpack_nonce__`, the global the bundle reads). Nothing else inline is allowed.
def content_security_policy(style_nonce: str) -> str:
    return "; ".join(
        [
            "default-src 'none'",
            "script-src 'self'",
            f"style-src 'self' 'nonce-{style_nonce}'",
            "font-src data:",
            "img-src 'self' data:",
            "connect-src 'self'",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
        ]
    )


#: Not in a frame (clickjacking), no Referer to other sites (app.dashboard.PAGE_HEADERS too);
#: not cached, as its nonce is new each time.
PAGE_HEADERS = {
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}


@cache
def fingerprint(name: str) -> str:
    return hashlib.sha256(ASSETS[name][0].read_bytes()).hexdigest()[:16]


@cache
def page_html() -> str:
    html = (DIRECTORY / "index.html").read_text(encoding="utf-8")
    for name in ASSETS:
        html = html.replace("{" + name + "}", fingerprint(name))
    return html


def page() -> Response:
    nonce = secrets.token_urlsafe(18)
    html = page_html().replace("{style-nonce}", nonce)
    headers = {**PAGE_HEADERS, "Content-Security-Policy": content_security_policy(nonce)}
    return HTMLResponse(html, headers=headers)


async def asset(request: Request) -> Response:
    name = request.path_params["name"]
    if name not in ASSETS:
        return Response("Not Found", status_code=404, media_type="text/plain")
    path, media_type = ASSETS[name]
    versioned = request.query_params.get("v") == fingerprint(name)
    cache_control = "public, max-age=31536000, immutable" if versioned else "no-cache"
    headers = {"Cache-Control": cache_control, "X-Content-Type-Options": "nosniff"}
    return FileResponse(path, media_type=media_type, headers=headers)


def routes() -> list[BaseRoute]:
    return [Route("/graphiql/{name:str}", asset, methods=["GET", "HEAD"])]
