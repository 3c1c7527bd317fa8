"""What every request leaves behind: a request id (in the logs, in masked GraphQL errors and in
the `X-Request-ID` response header) and its metrics, per HTTP route and per GraphQL operation.

`Observer` is a pure ASGI middleware, outside everything else, so the time and status it
records are those the client saw, including the refusals of app.http_guard. The route label is
the template the router matched (Starlette leaves it in `scope["route"]`), or "unmatched".

`OperationMetrics` is a Strawberry extension: it sees the parsed document, so an unnamed
operation is labelled by its root fields.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

from graphql import FieldNode, InlineFragmentNode, OperationDefinitionNode, SelectionSetNode
from graphql.utilities import get_operation_ast
from strawberry.extensions import SchemaExtension

from app import logs, metrics
from app.graphql_http import is_request_error
from app.http_guard import ASGIApp, Message, Receive, Scope, Send

#: A caller's request id is kept when it is a short token (a proxy's or a client's trace id),
#: so one id follows the request through every log; anything else gets a fresh one.
_CALLER_ID = re.compile(rb"[A-Za-z0-9._:-]{1,64}")


def request_id_of(scope: Scope) -> str:
    for name, value in scope.get("headers") or []:
        if name.lower() == b"x-request-id" and _CALLER_ID.fullmatch(value):
            return str(value.decode("ascii"))
    return logs.new_request_id()


def route_of(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) and path else "unmatched"


class Observer:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        request_id = request_id_of(scope)
        token = logs.REQUEST_ID.set(request_id)
        try:
            if scope["type"] == "websocket":
                await self.app(scope, receive, send)
            else:
                await self._http(scope, receive, send, request_id)
        finally:
            logs.REQUEST_ID.reset(token)

    async def _http(self, scope: Scope, receive: Receive, send: Send, request_id: str) -> None:
        started = time.perf_counter()
        status = 500  # what the server sends when the app fails before it answers
        header = (b"x-request-id", request_id.encode())

        async def observed(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                message = {**message, "headers": [*(message.get("headers") or []), header]}
            await send(message)

        try:
            await self.app(scope, receive, observed)
        finally:
            seconds = time.perf_counter() - started
            metrics.observe_http(route_of(scope), scope.get("method", ""), status, seconds)


def _root_fields(selection_set: SelectionSetNode) -> Iterator[str]:
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            yield selection.name.value
        elif isinstance(selection, InlineFragmentNode):
            yield from _root_fields(selection.selection_set)


class OperationMetrics(SchemaExtension):
    """Counts every operation and times queries and mutations (a subscription's time is how
    long it stayed open, which says nothing about the server: only its count is kept)."""

    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self._observe(time.perf_counter() - started)

    def _observe(self, seconds: float) -> None:
        context = self.execution_context
        document = context.graphql_document
        operation: OperationDefinitionNode | None = None
        if document is not None:
            try:
                operation = get_operation_ast(document, context.operation_name)
            except Exception:  # a malformed document must not break the answer
                operation = None
        kind = operation.operation.value if operation is not None else "unknown"
        result: Any = context.result
        if result is None or document is None or is_request_error(result):
            outcome = "rejected"
        elif getattr(result, "errors", None):
            outcome = "error"
        else:
            outcome = "ok"
        name = operation.name.value if operation is not None and operation.name else None
        # The root fields of a document that did not validate are the client's words, not
        # the schema's: only those of an operation that ran name it.
        ran = operation is not None and outcome != "rejected"
        fields = _root_fields(operation.selection_set) if ran and operation else ()
        label = metrics.operation_label(name or context.operation_name, fields)
        timed = kind in ("query", "mutation")
        metrics.observe_operation(label, kind, outcome, seconds if timed else None)
