"""The composition root: Starlette app with /graphql, /slack/events, /healthz, /metrics and the
dashboard; the lifespan opens the database and starts the background workers.

Every route sits behind app.http_guard.RequestGuard (body and WebSocket message size, nosniff).
On /graphql a bearer token that authenticates nobody is refused with 401 before the body is
read (no token at all is allowed: fields that need someone say "authentication required"), a
WebSocket authenticates only through its `connection_init` payload, and a JSON body nested
too deeply for the parser is a 400, not a crash.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import json
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from functools import cached_property
from typing import Any

from cross_web import HTTPException
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL

from app import dashboard, db, reports_http
from app.http_guard import RequestGuard, error_body
from app.settings import Settings, get_settings
from schema import build_schema
from schema.context import Context, bearer, context_for_token

logger = logging.getLogger("allot.server")

Worker = Callable[[], Awaitable[None]]

#: A bearer token that authenticates nobody (RFC 6750 §3).
UNAUTHORIZED_HEADERS = {"WWW-Authenticate": 'Bearer error="invalid_token"'}


class InvalidToken(Exception):
    """A request sent credentials that authenticate nobody: 401, before any work."""


class UnreadableBody(json.JSONDecodeError):
    """JSON that Python's parser gives up on with something else than a JSONDecodeError: a
    body nested deeper than its recursion limit, or a number of more than 4,300 digits. A
    JSONDecodeError, so the WebSocket transport treats such a message as invalid JSON (and
    closes with 4400), and HTTP answers 400 (parse_json) instead of crashing with 500."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason, "", 0)


def _json_error(
    status: int, message: str, code: str, headers: dict[str, str] | None = None
) -> Response:
    return Response(
        error_body(message, code),
        status_code=status,
        media_type="application/json",
        headers=headers,
    )


#: The codes of Strawberry's own refusals (HTTPException), by status.
HTTP_CODES = {400: "BAD_REQUEST", 404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}


class AllotGraphQL(GraphQL):
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        try:
            response = await self.run(Request(scope=scope, receive=receive))
        except InvalidToken as exc:
            response = _json_error(401, str(exc), "UNAUTHENTICATED", UNAUTHORIZED_HEADERS)
        except HTTPException as exc:  # Strawberry's refusals, as JSON like everything else
            code = HTTP_CODES.get(exc.status_code, "BAD_REQUEST")
            response = _json_error(exc.status_code, exc.reason, code)
        await response(scope, receive, send)

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:  # type: ignore[override]
        if isinstance(request, WebSocket):
            # Only the connection_init payload authenticates a WebSocket (on_ws_connect): a
            # token in the URL would end up in access logs, proxies and browser history.
            context = await context_for_token(None, request)
        else:
            header = (request.headers.get("authorization") or "").strip()
            token = bearer(header)
            if header and token is None:
                raise InvalidToken("invalid token: send 'Authorization: Bearer <token>'")
            context = await context_for_token(token, request)
            if token is not None and context.user is None:
                raise InvalidToken("invalid token: it is unknown or was revoked")
        context.response = response
        return context

    async def on_ws_connect(self, context: Context) -> Any:  # type: ignore[override]
        from strawberry.exceptions import ConnectionRejectionError
        from strawberry.types.unset import UNSET

        from schema.context import authenticate_connection

        if not await authenticate_connection(context):
            raise ConnectionRejectionError({"message": "invalid token"})
        return UNSET

    def decode_json(self, data: str | bytes) -> object:
        try:
            return json.loads(data)
        except RecursionError:
            raise UnreadableBody("the JSON is nested too deeply to be read") from None
        except json.JSONDecodeError:
            raise
        except ValueError:  # int() of more than 4,300 digits
            raise UnreadableBody("the JSON holds a number with too many digits") from None

    def parse_json(self, data: str | bytes) -> Any:
        try:
            return self.decode_json(data)
        except UnreadableBody as exc:
            raise HTTPException(400, f"Unable to parse the request body: {exc.msg}.") from None
        except json.JSONDecodeError as exc:
            raise HTTPException(400, "Unable to parse request body as JSON") from exc

    async def render_graphql_ide(self, request: Request) -> Response:
        return HTMLResponse(self.graphql_ide_html, headers=self.graphql_ide_headers)

    @cached_property
    def graphql_ide_headers(self) -> dict[str, str]:
        """GraphiQL's page loads React, GraphiQL and its explorer plugin (scripts and styles)
        from unpkg.com, with subresource integrity, plus one inline script and one inline
        style. This policy allows exactly that: unpkg.com for scripts, styles and fonts, the
        inline blocks by their SHA-256, data: images (its favicon), and requests to this
        origin only. When the assets are vendored, replace https://unpkg.com with 'self'."""
        html = self.graphql_ide_html
        scripts = _inline_hashes(html, "script")
        styles = _inline_hashes(html, "style")
        policy = "; ".join(
            [
                "default-src 'none'",
                f"script-src https://unpkg.com {scripts}".strip(),
                f"style-src https://unpkg.com {styles}".strip(),
                "font-src https://unpkg.com data:",
                "img-src 'self' data:",
                "connect-src 'self'",
                "base-uri 'none'",
                "form-action 'none'",
                "frame-ancestors 'none'",
            ]
        )
        return {**dashboard.PAGE_HEADERS, "Content-Security-Policy": policy}


def _inline_hashes(html: str, tag: str) -> str:
    """'sha256-…' sources for every inline <tag> block (one without src=) of a page."""
    blocks = re.findall(rf"<{tag}(?![^>]*\bsrc=)[^>]*>(.*?)</{tag}>", html, re.S | re.I)
    return " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(b.encode()).digest()).decode() + "'"
        for b in blocks
    )


async def healthz(_: Request) -> Response:
    try:
        from app.services.sql import fetch

        await fetch("SELECT 1 AS ok")
    except Exception:
        logger.exception("health check failed")
        return JSONResponse({"status": "error", "database": "unreachable"}, status_code=503)
    return JSONResponse({"status": "ok"})


def metrics_route(settings: Settings) -> Route:
    """/metrics, behind the bearer token ALLOT_METRICS_TOKEN: the gauges say how much money
    and how many people there are, which is nobody's business without it."""

    async def metrics(request: Request) -> Response:
        expected = settings.metrics_token
        if not expected:
            return _json_error(
                404, "/metrics is off: set ALLOT_METRICS_TOKEN to turn it on.", "NOT_FOUND"
            )
        given = bearer(request.headers.get("authorization")) or ""
        if not hmac.compare_digest(given.encode(), expected.encode()):
            return _json_error(
                401,
                "/metrics needs 'Authorization: Bearer <ALLOT_METRICS_TOKEN>'.",
                "UNAUTHENTICATED",
                UNAUTHORIZED_HEADERS,
            )
        from app.services import stats

        lines = []
        for name, value, help_text in await stats.gauges():
            lines += [f"# HELP {name} {help_text}", f"# TYPE {name} gauge", f"{name} {value}"]
        return PlainTextResponse("\n".join(lines) + "\n", media_type="text/plain; version=0.0.4")

    return Route("/metrics", metrics)


async def stop_workers(tasks: list[asyncio.Task[None]], grace: float) -> None:
    """Cancel the background workers and wait at most `grace` seconds for them: a worker
    stuck in a cleanup (a Slack socket that does not close) must not keep the process up."""
    for task in tasks:
        task.cancel()
    if not tasks:
        return
    _, pending = await asyncio.wait(tasks, timeout=grace)
    for task in pending:
        logger.warning("background worker %s did not stop within %ss", task.get_name(), grace)
    for task in tasks:
        if task.done() and not task.cancelled() and task.exception() is not None:
            logger.error("background worker failed", exc_info=task.exception())


def create_app(
    settings: Settings | None = None,
    *,
    init_database: bool = True,
    workers: list[Worker] | None = None,
    extra_routes: list[Any] | None = None,
    slack_app: Any = None,
) -> Starlette:
    settings = settings or get_settings()
    graphql = AllotGraphQL(build_schema(settings), allow_queries_via_get=False)

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        if init_database:
            await db.init_db(settings.database_url, shared=True)
        tasks = [
            asyncio.create_task(w(), name=getattr(w, "__name__", "worker")) for w in (workers or [])
        ]
        try:
            yield
        finally:
            await stop_workers(tasks, settings.shutdown_grace_seconds)
            if init_database:
                await db.close_db()

    routes: list[Any] = [
        Route("/healthz", healthz),
        metrics_route(settings),
        Route("/graphql", graphql, methods=["GET", "POST"]),
        *dashboard.routes(),  # the page at / and /dashboard (app/dashboard/)
        *reports_http.routes(),  # /reports/{budget_id}/{report}.{csv|json|ndjson}
        *(extra_routes or []),
    ]
    if slack_app is not None:
        from app.slack_http import slack_routes

        routes += slack_routes(slack_app, signing_secret=settings.slack_signing_secret or "")
    routes.append(WebSocketRoute("/graphql", graphql))
    # Outermost, so nothing reads a body before its size is checked.
    guard = Middleware(RequestGuard, max_body_bytes=settings.max_body_bytes)
    return Starlette(routes=routes, lifespan=lifespan, middleware=[guard])
