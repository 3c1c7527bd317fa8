"""The outbox worker: fan each event out to its destinations, then deliver each on its own.

1. **Fan-out.** Due `outbox_event`s are claimed with a lease (one conditional UPDATE moving
   their `next_attempt_at`), their destinations are planned (app.services.delivery.plan) and
   written as `Delivery` rows — together with marking the events delivered (`delivered_at`:
   they left the outbox), in one transaction per batch — and then they are broadcast to live
   subscribers at once: they never wait for Slack.
2. **Delivery.** `Dispatcher` (app.services.delivery.dispatch) sends each row with its own
   attempts, backoff, cap (DEAD) and per-call timeout, in parallel per destination kind.

Several processes may run the worker against one database: both stages claim with
conditional UPDATEs, so two workers never plan the same event or send the same row at once.

Sinks may be senders (the Slack notifier, e-mail, webhooks: objects with `channels`) or plain
`async def sink(event)` callables, which get one delivery per event (SINK rows).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import Any

from tortoise.transactions import in_transaction

from app import clock
from app.services.delivery import CallableSender, as_senders
from app.services.delivery.dispatch import Dispatcher, as_event, backoff
from app.services.delivery.plan import destinations
from app.services.sql import execute, fetch, is_postgres

logger = logging.getLogger("allot.outbox")

Sink = Callable[[dict[str, Any]], Awaitable[None]]

#: How long a fan-out claim holds before another worker may take the event over.
LEASE = timedelta(seconds=120)

__all__ = ["LEASE", "backoff", "deliver_pending", "fan_out", "run_outbox_worker"]


_RETURNING = " RETURNING id, kind, budget_id, payload, audience, created_at, attempts"
_DUE = "delivered_at IS NULL AND (next_attempt_at IS NULL OR next_attempt_at <= ?)"


async def _claim_due(limit: int) -> list[dict[str, Any]]:
    """Claim up to `limit` due events, oldest first, in one statement (a lease each).

    The outer WHERE repeats the due test: on PostgreSQL a row another worker claimed
    meanwhile is re-checked after its lock and skipped, and `SKIP LOCKED` lets two workers
    take different events instead of queueing on the same rows; SQLite writers take turns."""
    now = clock.now()
    skip = " FOR UPDATE SKIP LOCKED" if is_postgres() else ""
    rows = await fetch(
        "UPDATE outbox_event SET next_attempt_at = ?, attempts = attempts + 1"
        f" WHERE id IN (SELECT id FROM outbox_event WHERE {_DUE} ORDER BY id LIMIT ?{skip})"
        f" AND {_DUE}" + _RETURNING,
        now + LEASE,
        now,
        limit,
        now,
    )
    return sorted(rows, key=lambda r: int(r["id"]))


_INSERT_DELIVERY = (
    "INSERT INTO delivery (event_id, channel, target, user_id, state, attempts, uncertain,"
    " next_attempt_at, created_at) VALUES (?, ?, ?, ?, 'PENDING', 0, FALSE, ?, ?)"
    " ON CONFLICT (event_id, channel, target) DO NOTHING"
)
_INSERT_DIGEST = (
    "INSERT INTO digest_item (user_id, channel, frequency, alert_id, event_id, created_at)"
    " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (user_id, channel, event_id) DO NOTHING"
)


async def _write(
    planned: list[tuple[dict[str, Any], list[Any], list[Any]]], senders: list[Any]
) -> None:
    """The deliveries and digest entries of planned events, and their being fanned out."""
    now = clock.now()
    sinks = [s for s in senders if isinstance(s, CallableSender)]
    for event, dests, digests in planned:
        for d in dests:
            await execute(_INSERT_DELIVERY, event["id"], d.channel, d.target, d.user_id, now, now)
        for s in sinks:
            await execute(_INSERT_DELIVERY, event["id"], "SINK", s.name, None, now, now)
        for g in digests:
            await execute(
                _INSERT_DIGEST, g.user_id, g.channel, g.frequency, g.alert_id, event["id"], now
            )
    ids = [event["id"] for event, _, _ in planned]
    await execute(
        "UPDATE outbox_event SET delivered_at = ?, last_error = NULL"
        f" WHERE id IN ({', '.join('?' * len(ids))})",
        now,
        *ids,
    )


async def _failed(row: dict[str, Any], exc: Exception) -> None:
    attempts = int(row["attempts"])
    logger.warning("outbox event %s: fan-out failed, attempt %s: %s", row["id"], attempts, exc)
    await execute(
        "UPDATE outbox_event SET next_attempt_at = ?, last_error = ? WHERE id = ?",
        clock.now() + backoff(attempts),
        f"{type(exc).__name__}: {exc}"[:2000],
        row["id"],
    )


async def fan_out(
    senders: Sequence[Any], limit: int = 100, *, broadcast: Sink | None = None
) -> int:
    """Plan up to `limit` due events, oldest first, and broadcast each; returns how many.

    The claimed events are written in one transaction (one commit, one fsync on SQLite, for
    the whole batch); if that fails, each is tried in a transaction of its own, so one event
    that cannot be written never holds back the others."""
    senders = list(senders)
    channels = frozenset(c for s in senders for c in s.channels)
    rows = await _claim_due(limit)
    planned: list[tuple[dict[str, Any], list[Any], list[Any]]] = []
    for row in rows:
        event = as_event(row)
        try:
            dests, digests = await destinations(event, channels)
        except Exception as exc:
            await _failed(row, exc)
            continue
        planned.append((event, dests, digests))
    by_id = {int(r["id"]): r for r in rows}
    done: list[dict[str, Any]] = []
    if planned:
        try:
            async with in_transaction():
                await _write(planned, senders)
            done = [event for event, _, _ in planned]
        except Exception:
            for one in planned:
                try:
                    async with in_transaction():
                        await _write([one], senders)
                except Exception as exc:
                    await _failed(by_id[one[0]["id"]], exc)
                    continue
                done.append(one[0])
    if broadcast is not None:
        for event in done:
            try:
                await broadcast(event)
            except Exception:
                logger.exception("broadcasting outbox event %s failed", event["id"])
    return len(done)


async def deliver_pending(
    sinks: Sequence[Any], limit: int = 100, *, broadcast: Sink | None = None
) -> int:
    """One pass: fan out due events, then send due deliveries and wait for them; returns how
    many deliveries succeeded."""
    senders = as_senders(sinks)
    await fan_out(senders, limit, broadcast=broadcast)
    return await Dispatcher(senders).run_once(limit)


async def run_outbox_worker(
    stop: asyncio.Event,
    sinks: Sequence[Any],
    poll: float = 1.0,
    *,
    broadcast: Sink | None = None,
    limit: int = 100,
) -> None:
    """Fan out and deliver until `stop` is set. Sends run in the background (bounded per kind),
    so the loop keeps planning and starting other deliveries while a call hangs."""
    senders = as_senders(sinks)
    dispatcher = Dispatcher(senders)
    try:
        while not stop.is_set():
            dispatcher.wakeup.clear()
            busy = False
            try:
                busy = await fan_out(senders, limit, broadcast=broadcast) >= limit
                busy = await dispatcher.start_due(limit) > 0 or busy
            except Exception:
                logger.exception("outbox pass failed")
            if busy:
                await asyncio.sleep(0)
                continue
            # Until the poll comes round, a send that ends (freeing a slot) or stop wakes us.
            waits = [
                asyncio.ensure_future(stop.wait()),
                asyncio.ensure_future(dispatcher.wakeup.wait()),
            ]
            try:
                await asyncio.wait(waits, timeout=poll, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for w in waits:
                    w.cancel()
    finally:
        await dispatcher.drain(timeout=dispatcher.timeout)
