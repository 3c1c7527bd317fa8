"""The composition root: Starlette app with /graphql, /slack/events, /healthz, /readyz,
/metrics and the dashboard; the lifespan opens the database (refusing to start on one that
lacks migrations) and starts the background workers.

Every route sits behind app.observe.Observer (request id, metrics) and app.http_guard.RequestGuard
(body and WebSocket message size, nosniff). On /graphql a bearer token that authenticates nobody
is refused with 401 before the body is read (no token at all is allowed: fields that need
someone say "authentication required"), a WebSocket authenticates only through its
`connection_init` payload, and a JSON body nested too deeply for the parser is a 400, not a
crash. /graphql follows the GraphQL-over-HTTP spec (app.graphql_http): media types by `Accept`,
400 for request errors under application/graphql-response+json, queries by GET, mutations by
POST only.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any

from cross_web import AsyncHTTPRequestAdapter, HTTPException
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, WebSocketRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import MissingQueryError
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.http.parse_content_type import parse_content_type
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType
from tortoise.exceptions import DBConnectionError

from app import (
    dashboard,
    db,
    gc_tuning,
    graphiql,
    graphql_http,
    health,
    logs,
    metrics,
    oidc,
    reports_http,
    sessions,
)
from app.http_guard import RequestGuard, error_body
from app.observe import Observer, OperationMetrics
from app.settings import Settings, get_settings
from app.unavailable_http import UnavailableAs503
from schema import build_schema
from schema.context import Context, bearer, context_for_token, context_for_user

logger = logging.getLogger("allot.server")

Worker = Callable[[], Awaitable[None]]

#: A bearer token that authenticates nobody (RFC 6750 §3).
UNAUTHORIZED_HEADERS = {"WWW-Authenticate": 'Bearer error="invalid_token"'}


class InvalidToken(Exception):
    """A request sent credentials that authenticate nobody: 401, before any work."""


class CsrfRefused(Exception):
    """A POST authenticated by the session cookie without the session's X-CSRF-Token header:
    403, before anything runs (app/sessions.py)."""


class UnreadableBody(json.JSONDecodeError):
    """JSON that Python's parser gives up on with something else than a JSONDecodeError: a
    body nested deeper than its recursion limit, or a number of more than 4,300 digits. A
    JSONDecodeError, so the WebSocket transport treats such a message as invalid JSON (and
    closes with 4400), and HTTP answers 400 (parse_json) instead of crashing with 500."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason, "", 0)


def _json_error(
    status: int,
    message: str,
    code: str,
    headers: Mapping[str, str] | None = None,
    media: str = graphql_http.JSON,
) -> Response:
    return Response(
        error_body(message, code),
        status_code=status,
        media_type=graphql_http.content_type(media),
        headers=dict(headers or {}),
    )


class Refusal(HTTPException):
    """A refusal of /graphql with headers of its own (405 says what is allowed)."""

    def __init__(self, status_code: int, reason: str, headers: Mapping[str, str]) -> None:
        super().__init__(status_code, reason)
        self.headers = dict(headers)


#: The codes of Strawberry's own refusals (HTTPException), by status.
HTTP_CODES = {
    400: "BAD_REQUEST",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    406: "NOT_ACCEPTABLE",
    415: "UNSUPPORTED_MEDIA_TYPE",
}
#: What a 405 of /graphql says is allowed when nothing more precise applies.
ALLOWED_METHODS = {"Allow": "GET, POST"}
#: Operations by method: GET reads (and may be cached or prefetched), POST reads and writes;
#: subscriptions only over the WebSocket, never over plain HTTP.
OPERATIONS_BY_METHOD = {
    "GET": frozenset({OperationType.QUERY}),
    "POST": frozenset({OperationType.QUERY, OperationType.MUTATION}),
}
#: The state key (on the Starlette request) where process_result notes a request error.
REQUEST_ERROR = "graphql_request_error"


class AllotGraphQL(GraphQL):
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope=scope, receive=receive)
        # Our own refusals are GraphQL-shaped too: in the negotiated type when there is one.
        media = graphql_http.negotiate(request.headers.get("accept")) or graphql_http.JSON
        try:
            response = await self.run(request)
        except InvalidToken as exc:
            response = _json_error(401, str(exc), "UNAUTHENTICATED", UNAUTHORIZED_HEADERS, media)
        except CsrfRefused as exc:
            response = _json_error(403, str(exc), "CSRF", None, media)
        except HTTPException as exc:  # Strawberry's refusals and ours, as JSON
            code = HTTP_CODES.get(exc.status_code, "BAD_REQUEST")
            headers = getattr(exc, "headers", None)
            if headers is None and exc.status_code == 405:
                headers = ALLOWED_METHODS
            response = _json_error(exc.status_code, exc.reason, code, headers, media)
        else:
            request_error = getattr(request.state, REQUEST_ERROR, None)
            if request_error is not None:  # a GraphQL answer (not the GraphiQL page)
                response.headers["content-type"] = graphql_http.content_type(media)
                response.status_code = graphql_http.status_for(media, request_error)
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
            if not header and sessions.has_cookie(request):
                # The web app's session cookie (no Authorization header at all). A POST may
                # write, so it must prove it comes from Allot's own page (the CSRF header).
                session = await sessions.load_session(request)
                if session is not None:
                    if request.method != "GET" and not sessions.csrf_ok(request, session):
                        raise CsrfRefused(
                            "a request signed in by cookie must send the X-CSRF-Token header"
                            " (sign in again if the page is old)"
                        )
                    context = await context_for_user(session.user, request)
        # One id for the request's log lines, its X-Request-ID header and masked errors.
        context.request_id = logs.current_request_id() or context.request_id
        context.response = response
        return context

    async def on_ws_connect(self, context: Context) -> Any:  # type: ignore[override]
        from strawberry.exceptions import ConnectionRejectionError
        from strawberry.types.unset import UNSET

        from schema.context import authenticate_connection

        if not await authenticate_connection(context):
            raise ConnectionRejectionError({"message": "invalid token"})
        return UNSET

    async def parse_http_body(
        self, request: AsyncHTTPRequestAdapter
    ) -> GraphQLRequestData | list[GraphQLRequestData]:
        """Before anything is read or run: an answer the client can accept (406), and a body
        in the one type a POST may have (415)."""
        if graphql_http.negotiate(request.headers.get("accept")) is None:
            supported = " or ".join(graphql_http.SUPPORTED)
            raise HTTPException(406, f"/graphql answers in {supported}: accept one of them.")
        if request.method == "POST":
            content_type, _ = parse_content_type(request.content_type or "")
            if content_type != graphql_http.JSON:
                raise Refusal(
                    415,
                    "Send the GraphQL request as JSON (Content-Type: application/json).",
                    {"Accept-Post": graphql_http.JSON},
                )
        data = await super().parse_http_body(request)
        for item in data if isinstance(data, list) else [data]:
            if not isinstance(item.operation_name, str | None):
                raise HTTPException(
                    400,
                    "The GraphQL operation's `operationName` must be a string or null,"
                    " if provided.",
                )
        return data

    async def execute_single(  # type: ignore[override]
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        sub_response: Response,
        context: Context,
        root_value: Any,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        method = request_adapter.method
        allowed = OPERATIONS_BY_METHOD.get(method, frozenset())
        if method == "GET" and not self.allow_queries_via_get:
            allowed = frozenset()
        try:
            return await self.schema.execute(
                request_data.query,
                root_value=root_value,
                variable_values=request_data.variables,
                context_value=context,
                operation_name=request_data.operation_name,
                allowed_operation_types=allowed,
                operation_extensions=request_data.extensions,
            )
        except InvalidOperationTypeError as exc:
            kind = exc.operation_type
            if kind == OperationType.SUBSCRIPTION:
                raise HTTPException(
                    400,
                    "Subscriptions are served over the WebSocket at /graphql"
                    " (graphql-transport-ws), not over HTTP.",
                ) from exc
            raise Refusal(
                405, f"{kind.value}s need POST: GET runs queries only.", {"Allow": "POST"}
            ) from exc
        except CannotGetOperationTypeError as exc:
            raise HTTPException(400, exc.as_http_error_reason()) from exc
        except MissingQueryError as exc:
            raise HTTPException(400, "No GraphQL query found in the request") from exc

    async def process_result(  # type: ignore[override]
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        """A request error (nothing ran) has no `data` entry, as the GraphQL spec says; note
        it for the status code (__call__)."""
        body = await super().process_result(request, result)
        request_error = graphql_http.is_request_error(result)
        if request_error:
            body.pop("data", None)
        setattr(request.state, REQUEST_ERROR, request_error)
        return body

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
        return graphiql.page()  # app/graphiql: vendored assets, CSP 'self'


def metrics_route(settings: Settings) -> Route:
    """/metrics, behind the bearer token ALLOT_METRICS_TOKEN: the gauges say how much money
    and how many people there are, which is nobody's business without it."""

    async def metrics_endpoint(request: Request) -> Response:
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

        body, content_type = metrics.exposition(await stats.gauges(), request.headers.get("accept"))
        return Response(body, media_type=content_type, headers={"Cache-Control": "no-store"})

    return Route("/metrics", metrics_endpoint)


class StartupRefusal:
    """uvicorn prints the message of `lifespan.startup.failed`, which Starlette fills with the
    traceback. A refusal the lifespan means (an unmigrated database: app.state.startup_refused)
    is printed as its message alone, as the command line says it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return

        async def plain(message: Message) -> None:
            if message["type"] == "lifespan.startup.failed":
                refused = getattr(getattr(scope.get("app"), "state", None), "startup_refused", None)
                if refused:
                    message = {**message, "message": refused}
            await send(message)

        await self.app(scope, receive, plain)


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


def graphql_app(settings: Settings) -> AllotGraphQL:
    schema = build_schema(settings)
    # Outermost of the extensions: it times and counts what the others decide.
    schema.extensions = [OperationMetrics, *schema.extensions]
    # Queries by GET too (GraphQL over HTTP): they only read. Tokens travel in a header; the
    # web app's session cookie writes only with its CSRF header (app/sessions.py).
    return AllotGraphQL(schema, allow_queries_via_get=True)


def create_app(
    settings: Settings | None = None,
    *,
    init_database: bool = True,
    workers: list[Worker] | None = None,
    extra_routes: list[Any] | None = None,
    slack_app: Any = None,
) -> Starlette:
    settings = settings or get_settings()
    graphql = graphql_app(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if init_database:
            await db.init_db(settings.database_url, shared=True)
            try:
                await db.require_migrated()  # the same check and words as the command line
            except (db.NotMigrated, DBConnectionError, OSError) as exc:
                await db.close_db()
                refusal = str(exc)
                if not isinstance(exc, db.NotMigrated):  # (not the URL: it may hold a password)
                    refusal = f"cannot open the database: {type(exc).__name__}: {exc}"
                app.state.startup_refused = refusal  # printed as is (StartupRefusal)
                raise
        tasks = [
            asyncio.create_task(w(), name=getattr(w, "__name__", "worker")) for w in (workers or [])
        ]
        gc_tuning.after_startup()  # gc.freeze() what start-up made; fewer young collections
        try:
            yield
        finally:
            gc_tuning.restore()
            await stop_workers(tasks, settings.shutdown_grace_seconds)
            if init_database:
                await db.close_db()
            metrics.process_stopped()

    routes: list[Any] = [
        Route("/healthz", health.healthz),  # liveness: no database call
        Route("/readyz", health.readyz),  # readiness: database, migrations, writes
        metrics_route(settings),
        # Every method reaches the view, so a PUT gets its JSON 405 with Allow like the rest.
        Route("/graphql", graphql),
        *graphiql.routes(),  # the GraphiQL page's scripts and styles (app/graphiql/)
        *dashboard.routes(),  # the page at / and /dashboard (app/dashboard/)
        *sessions.routes(settings),  # /auth/login, /auth/session, /auth/logout
        *oidc.routes(settings),  # /auth/oidc/login, /auth/oidc/callback (when configured)
        *reports_http.routes(),  # /reports/{budget_id}/{report}.{csv|json|ndjson}
        *(extra_routes or []),
    ]
    if slack_app is not None:
        from app.slack_http import slack_routes

        routes += slack_routes(slack_app, signing_secret=settings.slack_signing_secret or "")
    routes.append(WebSocketRoute("/graphql", graphql))
    middleware = [
        # Outermost: the request id is set before anything logs, and the time and status
        # recorded are those the client saw (the guard's 413s included).
        Middleware(Observer),
        Middleware(StartupRefusal),
        # Database trouble escaping a route is a 503 with Retry-After, not a plain 500.
        Middleware(UnavailableAs503),
        # Before any route, so nothing reads a body before its size is checked.
        Middleware(RequestGuard, max_body_bytes=settings.max_body_bytes),
    ]
    app = Starlette(routes=routes, lifespan=lifespan, middleware=middleware)
    app.state.settings = settings  # the session cookie's key (app/sessions.py)
    return app
