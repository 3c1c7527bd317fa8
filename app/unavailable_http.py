"""Database trouble on HTTP routes: a 503 with `Retry-After`, never a plain-text 500.

Inside a GraphQL operation, database trouble is already an error with the code UNAVAILABLE
(`retryable: true`, schema.MaskErrors). This middleware catches what escapes a route before or
outside GraphQL execution — /graphql authenticating its bearer token with PostgreSQL down, a
report download, the dashboard — when the exception is the database being unreachable or
unable to write (app.services.faults.is_unavailable): the client gets a GraphQL-shaped JSON
body `{"errors": [{"message", "extensions": {"code": "UNAVAILABLE", "retryable": true}}]}`
with status 503 and `Retry-After: 5`. Anything else (a bug) propagates as before. Once a
response has started nothing can be changed: the connection is closed as it would be.
"""

from __future__ import annotations

import logging

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.http_guard import error_body
from app.services.faults import MESSAGE, is_unavailable

logger = logging.getLogger("allot.server")

#: Seconds a client is told to wait before trying again.
RETRY_AFTER = "5"


class UnavailableAs503:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception as exc:
            if started or not is_unavailable(exc):
                raise
            logger.warning("database unavailable on %s: %s", scope.get("path"), exc)
            body = error_body(MESSAGE, "UNAVAILABLE", retryable=True)
            await send(
                {
                    "type": "http.response.start",
                    "status": 503,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode()),
                        (b"retry-after", RETRY_AFTER.encode()),
                        (b"cache-control", b"no-store"),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
