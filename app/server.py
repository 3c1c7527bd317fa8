"""The composition root: Starlette app with /graphql, /slack/events, /healthz, /metrics and the
dashboard; the lifespan opens the database and starts the background workers."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL

from app import dashboard, db, reports_http
from app.settings import Settings, get_settings
from schema import build_schema
from schema.context import Context, bearer, context_for_token

logger = logging.getLogger("allot.server")

Worker = Callable[[], Awaitable[None]]


class AllotGraphQL(GraphQL):
    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:  # type: ignore[override]
        token = bearer(request.headers.get("authorization"))
        if token is None and "token" in request.query_params and isinstance(request, WebSocket):
            token = request.query_params["token"]
        context = await context_for_token(token, request)
        context.response = response
        return context

    async def on_ws_connect(self, context: Context) -> Any:  # type: ignore[override]
        from strawberry.exceptions import ConnectionRejectionError
        from strawberry.types.unset import UNSET

        from schema.context import authenticate_connection

        if not await authenticate_connection(context):
            raise ConnectionRejectionError({"message": "invalid token"})
        return UNSET


async def healthz(_: Request) -> Response:
    try:
        from app.services.sql import fetch

        await fetch("SELECT 1 AS ok")
    except Exception:
        logger.exception("health check failed")
        return JSONResponse({"status": "error", "database": "unreachable"}, status_code=503)
    return JSONResponse({"status": "ok"})


async def metrics(_: Request) -> Response:
    from app.services import stats

    lines = []
    for name, value, help_text in await stats.gauges():
        lines += [f"# HELP {name} {help_text}", f"# TYPE {name} gauge", f"{name} {value}"]
    return PlainTextResponse("\n".join(lines) + "\n", media_type="text/plain; version=0.0.4")


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
        tasks = [asyncio.create_task(w()) for w in (workers or [])]
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            if init_database:
                await db.close_db()

    routes: list[Any] = [
        Route("/healthz", healthz),
        Route("/metrics", metrics),
        Route("/graphql", graphql, methods=["GET", "POST"]),
        *dashboard.routes(),  # the page at / and /dashboard (app/dashboard/)
        *reports_http.routes(),  # /reports/{budget_id}/{report}.{csv|json|ndjson}
        *(extra_routes or []),
    ]
    if slack_app is not None:
        from app.slack_http import slack_routes

        routes += slack_routes(slack_app)
    from starlette.routing import WebSocketRoute

    routes.append(WebSocketRoute("/graphql", graphql))
    _ = Mount
    return Starlette(routes=routes, lifespan=lifespan)
