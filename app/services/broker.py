"""Live fan-out of delivered outbox events to GraphQL subscribers.

One process (SQLite): an in-process broker, budget id → subscriber queues. Several processes
(PostgreSQL): the outbox worker that delivered an event `NOTIFY`s it, and every process
`LISTEN`s on its own asyncpg connection and feeds its local subscribers; so each event reaches
each subscriber once, whichever process delivered it.

The LISTEN connection is watched (a termination callback and a ping every few seconds) and
reopened with backoff when it is lost (a PostgreSQL restart, a network cut). Events notified
meanwhile never reach this process, so on reconnecting every subscriber queue gets a RESUME
marker with the time the connection was lost: the subscription then reads the events fanned
out since (from the outbox, by `delivered_at`) and yields those it has not seen. A queue that
overflowed gets the same marker. If the connection stays away longer than
`INTERRUPTED_AFTER_SECONDS`, subscribers get an INTERRUPTED marker and end with an explicit
UNAVAILABLE error: never silence.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections import defaultdict
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from app import clock
from app.services.sql import execute, is_postgres

logger = logging.getLogger("allot.broker")

CHANNEL = "allot_events"
#: PostgreSQL caps a NOTIFY payload at 8000 bytes; bigger events go out without their payload.
MAX_NOTIFY_BYTES = 7000
QUEUE_SIZE = 1000
#: Markers the broker puts into subscriber queues (see the module docstring).
RESUME = "_resume"
INTERRUPTED = "_interrupted"
#: Reconnect backoff (seconds), doubling; the LISTEN connection's ping interval.
RECONNECT_MIN, RECONNECT_MAX = 0.2, 10.0
PING_SECONDS = 5.0


class Broker:
    def __init__(self) -> None:
        self._subscribers: dict[int, set[asyncio.Queue[dict[str, Any]]]] = defaultdict(set)
        self._overflowed: dict[asyncio.Queue[dict[str, Any]], datetime] = {}
        #: True while this process LISTENs on PostgreSQL: publish then goes through NOTIFY.
        self.listening = False
        #: When the LISTEN connection was lost (UTC), while it is away.
        self.down_since: datetime | None = None
        #: How many times the LISTEN connection was (re)opened.
        self.connects = 0
        self.interrupted_after = 30.0
        self._interrupted_sent = False
        self._down_at = 0.0

    @contextlib.asynccontextmanager
    async def subscribe(self, budget_id: int) -> AsyncIterator[asyncio.Queue[dict[str, Any]]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(QUEUE_SIZE)
        self._subscribers[budget_id].add(queue)
        try:
            yield queue
        finally:
            self._subscribers[budget_id].discard(queue)
            self._overflowed.pop(queue, None)
            if not self._subscribers[budget_id]:
                del self._subscribers[budget_id]

    def subscriber_count(self, budget_id: int) -> int:
        return len(self._subscribers.get(budget_id, ()))

    def publish_local(self, event: dict[str, Any]) -> None:
        budget_id = event.get("budgetId")
        if budget_id is None:
            return
        for queue in list(self._subscribers.get(int(budget_id), ())):
            self._put(queue, event)

    def _put(self, queue: asyncio.Queue[dict[str, Any]], event: dict[str, Any]) -> None:
        try:
            queue.put_nowait(event)
        except asyncio.QueueFull:
            # A stalled subscriber loses live events, not the worker; it reads them back
            # from the outbox once it catches up (a RESUME marker goes in when there is room).
            logger.warning("subscriber queue full, event %s dropped", event.get("id"))
            self._overflowed[queue] = self._overflowed.get(queue) or clock.now()

    def overflowed(self, queue: asyncio.Queue[dict[str, Any]]) -> datetime | None:
        """When `queue` first dropped an event (and forget it): the subscriber replays."""
        return self._overflowed.pop(queue, None)

    def announce(self, marker: dict[str, Any]) -> None:
        """A marker for every local subscriber, whatever its budget."""
        for queues in list(self._subscribers.values()):
            for queue in list(queues):
                self._put(queue, marker)

    async def publish(self, event: dict[str, Any]) -> None:
        """The outbox worker's broadcast: NOTIFY on PostgreSQL when listening, else local."""
        if self.listening and is_postgres():
            text = json.dumps(event, default=str)
            if len(text.encode()) > MAX_NOTIFY_BYTES:
                text = json.dumps({**event, "payload": {}}, default=str)
            try:
                await execute("SELECT pg_notify(?, ?)", CHANNEL, text)
            except Exception:
                # This process's subscribers at least; the others replay it on reconnecting.
                logger.warning("NOTIFY failed; event %s delivered locally only", event.get("id"))
                self.publish_local(event)
        else:
            self.publish_local(event)

    async def listen(self, database_url: str, stop: asyncio.Event) -> None:
        """LISTEN on PostgreSQL until `stop` is set, reconnecting with backoff (a no-op on
        SQLite)."""
        dsn = _asyncpg_dsn(database_url)
        if dsn is None:
            return
        delay = RECONNECT_MIN
        try:
            while not stop.is_set():
                try:
                    await self._listen_once(dsn, stop)
                    delay = RECONNECT_MIN
                except Exception as exc:
                    logger.warning("LISTEN connection failed (%s); retrying in %.1f s", exc, delay)
                if stop.is_set():
                    break
                self._lost()
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=delay)
                delay = min(delay * 2, RECONNECT_MAX)
        finally:
            self.listening = False

    def _lost(self) -> None:
        self.listening = False
        if self.down_since is None:
            self.down_since = clock.now()
            self._down_at = time.monotonic()
            self._interrupted_sent = False
        elif (
            not self._interrupted_sent and time.monotonic() - self._down_at > self.interrupted_after
        ):
            self._interrupted_sent = True
            self.announce({INTERRUPTED: True})

    async def _listen_once(self, dsn: str, stop: asyncio.Event) -> None:
        import asyncpg

        connection = await asyncpg.connect(dsn, timeout=10)
        lost = asyncio.Event()

        def received(_conn: Any, _pid: int, _channel: str, payload: str) -> None:
            try:
                self.publish_local(json.loads(payload))
            except ValueError:
                logger.warning("ignoring a malformed notification")

        connection.add_termination_listener(lambda _conn: lost.set())
        try:
            await connection.add_listener(CHANNEL, received)
            self.listening = True
            self.connects += 1
            since, self.down_since = self.down_since, None
            if since is not None:
                logger.info("LISTEN connection back; subscribers replay from %s", since)
                self.announce({RESUME: since.isoformat()})
            while not stop.is_set() and not lost.is_set():
                waits = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(lost.wait())]
                done, _ = await asyncio.wait(waits, timeout=PING_SECONDS)
                for w in waits:
                    w.cancel()
                if not done:  # a half-open connection answers nothing: find out
                    await asyncio.wait_for(connection.execute("SELECT 1"), PING_SECONDS)
        finally:
            self.listening = False
            with contextlib.suppress(Exception):
                await connection.remove_listener(CHANNEL, received)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(connection.close(), 2)
            connection.terminate()


def _asyncpg_dsn(database_url: str) -> str | None:
    from app.db import normalize_url

    url = normalize_url(database_url)
    if not url.startswith(("postgres://", "asyncpg://")):
        return None
    parts = urlsplit(url)
    return urlunsplit(("postgresql", parts.netloc, parts.path, "", ""))


#: The process's broker: the outbox worker publishes, subscriptions read.
broker = Broker()


#: The most events one subscriber replays after a gap; more is an explicit error instead.
MAX_REPLAY = 1000


async def latest_event_id() -> int:
    """The newest outbox event's id: a subscription replays nothing older than where it began."""
    from app.services.sql import fetch

    rows = await fetch("SELECT MAX(id) AS top FROM outbox_event")
    return int(rows[0]["top"] or 0) if rows else 0


async def missed_events(
    budget_id: int, since: datetime, after_id: int = 0
) -> list[dict[str, Any]] | None:
    """Events of a budget fanned out since `since` (less a little slack) and newer than
    `after_id`, oldest first, for a subscriber that may have missed them; None when there are
    more than MAX_REPLAY."""
    from datetime import timedelta

    from app.services.delivery.dispatch import as_event
    from app.services.sql import fetch

    rows = await fetch(
        "SELECT id, kind, budget_id, payload, audience, created_at FROM outbox_event"
        " WHERE budget_id = ? AND id > ? AND delivered_at IS NOT NULL AND delivered_at >= ?"
        " ORDER BY id LIMIT ?",
        budget_id,
        after_id,
        since - timedelta(seconds=5),
        MAX_REPLAY + 1,
    )
    if len(rows) > MAX_REPLAY:
        return None
    return [as_event(r) for r in rows]
