"""A fake Slack Web API on 127.0.0.1 that records every call and answers like Slack.

Point `AsyncWebClient(base_url=fake.url)` (or `ALLOT_SLACK_API_URL`) at it. slack_sdk joins the
base URL and the method name (`…/api/chat.postMessage`) and sends JSON bodies for chat.* and
views.*, form or query parameters for the rest; all three end up merged in `SlackCall.params`.
Calls to `fake.response_url(name)` (for a payload's `response_url`) are recorded as method
"response_url" with the name in `params["_name"]`.

Socket Mode: `apps.connections.open` answers `fake.socket_url`, a WebSocket that greets each
client with Slack's `hello`; `await fake.socket_send(envelope)` pushes an envelope (or a
`{"type": "disconnect", ...}`) to the connected client, and every message the client sends back
(the acks: `{"envelope_id": ..., "payload": ...}`) is kept in `fake.socket_acks`.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import uvicorn
from blockkit import violations
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket

BOT_USER_ID = "UBOT"
BOT_ID = "BBOT"
APP_ID = "A111"


class SlackError(Exception):
    """Raised by a method handler to answer {"ok": false, "error": code}, as Slack does."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class SlackCall:
    method: str
    params: dict[str, Any]
    headers: dict[str, str] = field(repr=False)
    http_method: str = "POST"
    #: When it arrived (time.perf_counter), for benchmarks (bench/slack_ack.py).
    at: float = field(default_factory=time.perf_counter, repr=False, compare=False)

    @property
    def token(self) -> str | None:
        auth = self.headers.get("authorization", "")
        if auth.lower().startswith("bearer "):
            return auth[7:]
        return self.params.get("token")


class FakeSlack:
    """Start with `start()` (or as a context manager); `reset()` between tests."""

    def __init__(self, team_id: str = "T111") -> None:
        self.team_id = team_id
        #: Slack user id → e-mail for users.info; None gives a profile without an e-mail, and an
        #: id not in the dict gets Slack's "user_not_found".
        self.users: dict[str, str | None] = {}
        #: Method → Slack error code: every call to it answers {"ok": false, "error": code}.
        self.errors: dict[str, str] = {}
        #: (method, channel) → Slack error code, for that channel only (e.g. not_in_channel).
        self.channel_errors: dict[tuple[str, str], str] = {}
        #: Block Kit violations (tests/bot/blockkit.py) of the payloads received, by method;
        #: the `fake_slack` fixture fails the test that sent any. Such a call gets
        #: Slack's `invalid_blocks`.
        self.violations: list[tuple[str, list[str]]] = []
        self._calls: list[SlackCall] = []
        self._lock = threading.Lock()
        self._ts = itertools.count(1)
        #: Messages Socket Mode clients sent (acks), oldest first; see `socket_acks`.
        self._acks: list[dict[str, Any]] = []
        #: How many Socket Mode connections were opened since the last reset.
        self.socket_connections = 0
        self._socket: tuple[WebSocket, asyncio.AbstractEventLoop] | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.port = 0
        self.app = Starlette(
            routes=[
                Route("/api/{method}", self._api, methods=["GET", "POST"]),
                Route("/response/{name}", self._response_url, methods=["POST"]),
                WebSocketRoute("/socket-mode", self._socket_mode),
            ]
        )

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> FakeSlack:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        # h11, wsproto (not the websockets package), no lifespan: nothing that imports
        # deprecated modules, because the tests turn every warning into an error, in this
        # thread too.
        config = uvicorn.Config(
            self.app,
            log_level="warning",
            lifespan="off",
            http="h11",
            ws="wsproto",
            loop="asyncio",
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, name="fake-slack", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the fake Slack server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)
        self._server = self._thread = None

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- what tests read -------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The Web API base URL, with the trailing slash slack_sdk's urljoin needs."""
        return f"http://127.0.0.1:{self.port}/api/"

    def response_url(self, name: str = "default") -> str:
        return f"http://127.0.0.1:{self.port}/response/{name}"

    @property
    def socket_url(self) -> str:
        """The Socket Mode WebSocket's address (what apps.connections.open answers)."""
        return f"ws://127.0.0.1:{self.port}/socket-mode"

    @property
    def socket_acks(self) -> list[dict[str, Any]]:
        """A snapshot of what Socket Mode clients sent back, oldest first."""
        with self._lock:
            return list(self._acks)

    async def wait_for_socket(self, connections: int = 1, timeout: float = 5.0) -> None:
        """Wait until a Socket Mode client is connected (and was sent `hello`), on the
        `connections`-th connection since the last reset."""
        deadline = time.monotonic() + timeout
        while self._socket is None or self.socket_connections < connections:
            if time.monotonic() > deadline:
                seen = [call.method for call in self.calls]
                raise AssertionError(
                    f"{self.socket_connections} Socket Mode connection(s), "
                    f"wanted {connections}; saw {seen}"
                )
            await asyncio.sleep(0.01)

    async def socket_send(self, message: dict[str, Any], timeout: float = 5.0) -> None:
        """Send one message (an envelope, or a disconnect) to the connected Socket Mode client."""
        await self.wait_for_socket(timeout=timeout)
        with self._lock:
            assert self._socket is not None
            websocket, loop = self._socket
        sent = asyncio.run_coroutine_threadsafe(websocket.send_text(json.dumps(message)), loop)
        await asyncio.wait_for(asyncio.wrap_future(sent), timeout)

    async def wait_for_ack(self, envelope_id: str, timeout: float = 5.0) -> dict[str, Any]:
        """The client's acknowledgement of `envelope_id` (waits for it)."""
        deadline = time.monotonic() + timeout
        while True:
            acks = [a for a in self.socket_acks if a.get("envelope_id") == envelope_id]
            if acks:
                return acks[-1]
            if time.monotonic() > deadline:
                raise AssertionError(f"no ack for {envelope_id!r}; got {self.socket_acks}")
            await asyncio.sleep(0.01)

    @property
    def calls(self) -> list[SlackCall]:
        """A snapshot of the calls so far, oldest first."""
        with self._lock:
            return list(self._calls)

    def calls_to(self, method: str) -> list[SlackCall]:
        return [call for call in self.calls if call.method == method]

    async def wait_for(self, method: str, count: int = 1, timeout: float = 5.0) -> list[SlackCall]:
        """Wait (without blocking the event loop) until `method` was called `count` times."""
        deadline = time.monotonic() + timeout
        while len(found := self.calls_to(method)) < count:
            if time.monotonic() > deadline:
                seen = [call.method for call in self.calls]
                raise AssertionError(f"{method} called {len(found)}x, wanted {count}; saw {seen}")
            await asyncio.sleep(0.01)
        return found

    def reset(self) -> None:
        with self._lock:
            self._calls.clear()
            self._acks.clear()
            self.violations.clear()
            self.socket_connections = 0
        self.users.clear()
        self.errors.clear()
        self.channel_errors.clear()

    @staticmethod
    def dm_channel(user_id: str) -> str:
        """The DM channel id conversations.open answers for a user."""
        return f"D{user_id}"

    # -- the server ------------------------------------------------------------------------

    def _next_ts(self) -> str:
        return f"1700000000.{next(self._ts):06d}"

    async def _record(
        self, request: Request, method: str, extra: dict[str, Any] | None = None
    ) -> SlackCall:
        params: dict[str, Any] = dict(extra or {})
        params.update(request.query_params)
        body = (await request.body()).decode()
        content_type = request.headers.get("content-type", "")
        if body and "json" in content_type:
            params.update(json.loads(body))
        elif body:
            params.update(parse_qsl(body, keep_blank_values=True))
        call = SlackCall(method, params, dict(request.headers), request.method)
        with self._lock:
            self._calls.append(call)
        return call

    def _check(self, method: str, params: dict[str, Any]) -> bool:
        """Block Kit check of a payload that carries blocks or a view; False if it fails."""
        if not (method.startswith(("chat.", "views.")) or method == "response_url"):
            return True
        problems = violations(params)
        if problems:
            with self._lock:
                self.violations.append((method, problems))
        return not problems

    async def _response_url(self, request: Request) -> JSONResponse:
        call = await self._record(request, "response_url", {"_name": request.path_params["name"]})
        if not self._check("response_url", call.params):
            return JSONResponse({"ok": False, "error": "invalid_blocks"}, status_code=400)
        return JSONResponse({"ok": True})

    async def _socket_mode(self, websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text(
            json.dumps(
                {
                    "type": "hello",
                    "num_connections": 1,
                    "debug_info": {"host": "applink-fake", "approximate_connection_time": 18060},
                    "connection_info": {"app_id": APP_ID},
                }
            )
        )
        with self._lock:  # only now may tests push envelopes: hello comes first, as in Slack
            self._socket = (websocket, asyncio.get_running_loop())
            self.socket_connections += 1
        try:
            while True:
                message = await websocket.receive()
                if message["type"] == "websocket.disconnect":
                    break
                text = message.get("text") or (message.get("bytes") or b"").decode()
                try:
                    received = json.loads(text)
                except ValueError:
                    received = {"_raw": text}
                with self._lock:
                    self._acks.append(received)
        finally:
            with self._lock:
                if self._socket is not None and self._socket[0] is websocket:
                    self._socket = None

    async def _api(self, request: Request) -> JSONResponse:
        method = request.path_params["method"]
        call = await self._record(request, method)
        if method in self.errors:
            return JSONResponse({"ok": False, "error": self.errors[method]})
        channel_error = self.channel_errors.get((method, str(call.params.get("channel", ""))))
        if channel_error:
            return JSONResponse({"ok": False, "error": channel_error})
        if not self._check(method, call.params):
            return JSONResponse({"ok": False, "error": "invalid_blocks"})
        if not call.token:
            return JSONResponse({"ok": False, "error": "not_authed"})
        handler = getattr(self, "_" + method.replace(".", "_"), None)
        try:
            if handler is None:
                raise SlackError("unknown_method")
            return JSONResponse({"ok": True, **handler(call.params)})
        except SlackError as exc:
            return JSONResponse({"ok": False, "error": exc.code})

    def _message(self, params: dict[str, Any], ts: str) -> dict[str, Any]:
        message = {"type": "message", "user": BOT_USER_ID, "bot_id": BOT_ID, "ts": ts}
        message.update({k: params[k] for k in ("text", "blocks") if k in params})
        return message

    def _chat_postMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        ts = self._next_ts()
        return {"channel": params.get("channel"), "ts": ts, "message": self._message(params, ts)}

    def _chat_update(self, params: dict[str, Any]) -> dict[str, Any]:
        ts = params.get("ts", "")
        return {
            "channel": params.get("channel"),
            "ts": ts,
            "text": params.get("text", ""),
            "message": self._message(params, ts),
        }

    def _chat_postEphemeral(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"message_ts": self._next_ts()}

    def _view(self, params: dict[str, Any]) -> dict[str, Any]:
        view = params.get("view") or {}
        if isinstance(view, str):  # form-encoded callers send the view as JSON text
            view = json.loads(view)
        return {"view": {"id": f"V{next(self._ts):08d}", "team_id": self.team_id, **view}}

    _views_open = _views_publish = _views_update = _views_push = _view

    def _users_info(self, params: dict[str, Any]) -> dict[str, Any]:
        user_id = str(params.get("user", ""))
        if user_id not in self.users:
            raise SlackError("user_not_found")
        profile: dict[str, Any] = {"real_name": user_id, "display_name": user_id}
        if self.users.get(user_id) is not None:
            profile["email"] = self.users[user_id]
        user = {"id": user_id, "team_id": self.team_id, "name": user_id.lower(), "deleted": False}
        return {"user": {**user, "is_bot": False, "profile": profile}}

    def _conversations_open(self, params: dict[str, Any]) -> dict[str, Any]:
        users = str(params.get("users", "")).split(",")
        return {"channel": {"id": self.dm_channel(users[0])}}

    def _apps_connections_open(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"url": self.socket_url}

    def _auth_test(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": "https://allot-test.slack.com/",
            "team": "Allot Test",
            "user": "allot",
            "team_id": self.team_id,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
        }
