"""Live fan-out of delivered outbox events to GraphQL subscribers.

One process (SQLite): an in-process broker, budget id → subscriber queues. Several processes
(PostgreSQL): the outbox worker that delivered an event `NOTIFY`s it, and every process
`LISTEN`s on its own asyncpg connection and feeds its local subscribers; so each event reaches
each subscriber once, whichever process delivered it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import defaultdict
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from app.services.sql import execute, is_postgres

logger = logging.getLogger("allot.broker")

CHANNEL = "allot_events"
#: PostgreSQL caps a NOTIFY payload at 8000 bytes; bigger events go out without their payload.
MAX_NOTIFY_BYTES = 7000
QUEUE_SIZE = 1000


class Broker:
    def __init__(self) -> None:
        self._subscribers: dict[int, set[asyncio.Queue[dict[str, Any]]]] = defaultdict(set)
        #: True while this process LISTENs on PostgreSQL: publish then goes through NOTIFY.
        self.listening = False

    @contextlib.asynccontextmanager
    async def subscribe(self, budget_id: int) -> AsyncIterator[asyncio.Queue[dict[str, Any]]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(QUEUE_SIZE)
        self._subscribers[budget_id].add(queue)
        try:
            yield queue
        finally:
            self._subscribers[budget_id].discard(queue)
            if not self._subscribers[budget_id]:
                del self._subscribers[budget_id]

    def subscriber_count(self, budget_id: int) -> int:
        return len(self._subscribers.get(budget_id, ()))

    def publish_local(self, event: dict[str, Any]) -> None:
        budget_id = event.get("budgetId")
        if budget_id is None:
            return
        for queue in list(self._subscribers.get(int(budget_id), ())):
            try:
                queue.put_nowait(event)
            except asyncio.QueueFull:  # a stalled subscriber loses events, not the worker
                logger.warning("subscriber queue full, event %s dropped", event.get("id"))

    async def publish(self, event: dict[str, Any]) -> None:
        """The outbox worker's broadcast: NOTIFY on PostgreSQL when listening, else local."""
        if self.listening and is_postgres():
            text = json.dumps(event, default=str)
            if len(text.encode()) > MAX_NOTIFY_BYTES:
                text = json.dumps({**event, "payload": {}}, default=str)
            await execute("SELECT pg_notify(?, ?)", CHANNEL, text)
        else:
            self.publish_local(event)

    async def listen(self, database_url: str, stop: asyncio.Event) -> None:
        """LISTEN on PostgreSQL until `stop` is set (a no-op on SQLite)."""
        import asyncpg

        dsn = _asyncpg_dsn(database_url)
        if dsn is None:
            return
        connection = await asyncpg.connect(dsn)

        def received(_conn: Any, _pid: int, _channel: str, payload: str) -> None:
            try:
                self.publish_local(json.loads(payload))
            except ValueError:
                logger.warning("ignoring a malformed notification")

        await connection.add_listener(CHANNEL, received)
        self.listening = True
        try:
            await stop.wait()
        finally:
            self.listening = False
            with contextlib.suppress(Exception):
                await connection.remove_listener(CHANNEL, received)
            await connection.close()


def _asyncpg_dsn(database_url: str) -> str | None:
    from app.db import normalize_url

    url = normalize_url(database_url)
    if not url.startswith(("postgres://", "asyncpg://")):
        return None
    parts = urlsplit(url)
    return urlunsplit(("postgresql", parts.netloc, parts.path, "", ""))


#: The process's broker: the outbox worker publishes, subscriptions read.
broker = Broker()
