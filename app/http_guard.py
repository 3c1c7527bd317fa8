"""ASGI middleware in front of every route: refuse an oversized request before anything parses
it, and send the headers every response should carry.

Why a pure ASGI middleware (not Starlette's BaseHTTPMiddleware): it sees the body as it
arrives, message by message, so a 20 MB body is refused after reading at most
`max_body_bytes` of it (or none at all when Content-Length already says too much), and it
does not buffer or wrap responses. Starlette, Strawberry and the Slack adapter would each read
the whole body into memory first.

- HTTP: a `Content-Length` over the limit gets 413 at once; a body without one (chunked,
  streamed) is counted as it arrives and buffered up to the limit, then handed on whole, or
  refused with 413 as soon as it goes over.
- WebSocket: a message over the limit closes the connection with 1009 ("message too big").
  `allot serve` also sets uvicorn's `ws_max_size`, which refuses it before it is even read;
  this covers a server started with plain `uvicorn app.main:create`.
- Every HTTP response gets `X-Content-Type-Options: nosniff`; the HTML pages set their own
  Content-Security-Policy (app/dashboard, the GraphiQL page in app/server.py).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: RFC 6455: the endpoint received a message too big for it to process.
WS_MESSAGE_TOO_BIG = 1009


def error_body(message: str, code: str, **extensions: Any) -> bytes:
    """A GraphQL-shaped error body, so every client reads refusals the same way."""
    return json.dumps(
        {"errors": [{"message": message, "extensions": {"code": code, **extensions}}]}
    ).encode()


async def send_json(
    send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"x-content-type-options", b"nosniff"),
                (b"connection", b"close"),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class RequestGuard:
    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self._http(scope, receive, send)
        elif scope["type"] == "websocket":
            await self._websocket(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    # --- HTTP ---------------------------------------------------------------------------

    async def _too_large(self, send: Send) -> None:
        limit = self.max_body_bytes
        body = error_body(
            f"The request body is larger than {limit:,} bytes (ALLOT_MAX_BODY_BYTES).",
            "PAYLOAD_TOO_LARGE",
            limit=limit,
        )
        await send_json(send, 413, body)

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        send = _with_nosniff(send)
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None:
            try:
                length = int(declared)
            except ValueError:
                length = -1
            if length < 0:
                body = error_body("Content-Length is not a number of bytes.", "BAD_REQUEST")
                await send_json(send, 400, body)
                return
            if length > self.max_body_bytes:
                await self._too_large(send)
                return
            await self.app(scope, _counted(receive, self.max_body_bytes), send)
            return
        if b"chunked" not in headers.get(b"transfer-encoding", b"").lower():
            await self.app(scope, receive, send)  # no body
            return
        # A streamed body: read it up to the limit, then hand it on in one message.
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                await self._too_large(send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        await self.app(scope, _replay(b"".join(chunks), receive), send)

    # --- WebSocket ----------------------------------------------------------------------

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        limit = self.max_body_bytes
        closed = False

        async def guarded_receive() -> Message:
            nonlocal closed
            message = await receive()
            if message["type"] == "websocket.receive" and _ws_over(message, limit):
                closed = True
                await send(
                    {
                        "type": "websocket.close",
                        "code": WS_MESSAGE_TOO_BIG,
                        "reason": f"message larger than {limit} bytes",
                    }
                )
                return {"type": "websocket.disconnect", "code": WS_MESSAGE_TOO_BIG}
            return message

        async def guarded_send(message: Message) -> None:
            if not closed:  # the app does not know yet that the socket is gone
                await send(message)

        await self.app(scope, guarded_receive, guarded_send)


def _with_nosniff(send: Send) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = list(message.get("headers") or [])
            if not any(name.lower() == b"x-content-type-options" for name, _ in headers):
                headers.append((b"x-content-type-options", b"nosniff"))
            message = {**message, "headers": headers}
        await send(message)

    return wrapped


def _counted(receive: Receive, limit: int) -> Receive:
    """Belt and braces for a declared length: never hand on more than the limit."""
    seen = 0

    async def wrapped() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:  # the server let through more than Content-Length said
                return {"type": "http.disconnect"}
        return message

    return wrapped


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def wrapped() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # then wait for the disconnect, as the server would

    return wrapped


def _ws_over(message: Message, limit: int) -> bool:
    data = message.get("bytes")
    if data is not None:
        return len(data) > limit
    text = message.get("text") or ""
    # A character is 1 to 4 bytes of UTF-8: encode only when the length alone cannot tell.
    if len(text) > limit:
        return True
    if len(text) * 4 <= limit:
        return False
    return len(text.encode()) > limit
