"""Delivering the outbox: claim, hand to the sinks, mark delivered; retry with backoff.

Several processes may run the worker against one database. An event is claimed with a
conditional UPDATE that moves its `next_attempt_at` past a lease: whoever's UPDATE matched the
row owns the event until the lease runs out, so two workers never deliver it at the same time.
A sink failure leaves the event undelivered with a later `next_attempt_at` (exponential backoff)
and the error text; a worker that died mid-delivery loses its lease and the event is retried.

Sinks receive a plain dict {"id", "kind", "budgetId", "payload", "audience", "createdAt"} (no ORM
rows: the Slack notifier lives in `bot/`). After an event is delivered it is broadcast to live
subscribers, each of whom receives it only if `audience` allows (app.domain.access.can_see_event).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import Any

from app import clock
from app.services.sql import execute, fetch

logger = logging.getLogger("allot.outbox")

Sink = Callable[[dict[str, Any]], Awaitable[None]]

#: How long a claim holds before another worker may take the event over.
LEASE = timedelta(seconds=120)
BACKOFF_BASE_SECONDS = 5.0
BACKOFF_MAX_SECONDS = 3600.0


def backoff(attempts: int) -> timedelta:
    """5 s, 10 s, 20 s, … capped at an hour, after the n-th failed attempt."""
    return timedelta(
        seconds=min(BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0), BACKOFF_MAX_SECONDS)
    )


def _as_event(row: dict[str, Any]) -> dict[str, Any]:
    import json

    payload = row["payload"]
    if isinstance(payload, (str, bytes)):
        payload = json.loads(payload)
    audience = row.get("audience")
    if isinstance(audience, (str, bytes)):
        audience = json.loads(audience)
    created = row["created_at"]
    return {
        "id": int(row["id"]),
        "kind": row["kind"],
        "budgetId": row["budget_id"],
        "payload": payload,
        "audience": audience,
        "createdAt": created.isoformat() if hasattr(created, "isoformat") else str(created),
    }


async def _claim(event_id: int) -> dict[str, Any] | None:
    now = clock.now()
    rows = await fetch(
        "UPDATE outbox_event SET next_attempt_at = ?, attempts = attempts + 1"
        " WHERE id = ? AND delivered_at IS NULL"
        " AND (next_attempt_at IS NULL OR next_attempt_at <= ?)"
        " RETURNING id, kind, budget_id, payload, audience, created_at, attempts",
        now + LEASE,
        event_id,
        now,
    )
    return rows[0] if rows else None


async def deliver_pending(
    sinks: Sequence[Sink],
    limit: int = 100,
    *,
    broadcast: Sink | None = None,
) -> int:
    """Deliver up to `limit` due events, oldest first; returns how many were delivered."""
    now = clock.now()
    due = await fetch(
        "SELECT id FROM outbox_event WHERE delivered_at IS NULL"
        " AND (next_attempt_at IS NULL OR next_attempt_at <= ?) ORDER BY id LIMIT ?",
        now,
        limit,
    )
    delivered = 0
    for candidate in due:
        row = await _claim(int(candidate["id"]))
        if row is None:
            continue  # another worker claimed it between our SELECT and UPDATE
        event = _as_event(row)
        try:
            for sink in sinks:
                await sink(event)
        except Exception as exc:
            attempts = int(row["attempts"])
            logger.warning(
                "outbox event %s (%s) failed, attempt %s: %s",
                event["id"],
                event["kind"],
                attempts,
                exc,
            )
            await execute(
                "UPDATE outbox_event SET next_attempt_at = ?, last_error = ? WHERE id = ?",
                clock.now() + backoff(attempts),
                f"{type(exc).__name__}: {exc}"[:2000],
                event["id"],
            )
            continue
        await execute(
            "UPDATE outbox_event SET delivered_at = ?, last_error = NULL WHERE id = ?",
            clock.now(),
            event["id"],
        )
        delivered += 1
        if broadcast is not None:
            try:
                await broadcast(event)
            except Exception:
                logger.exception("broadcasting outbox event %s failed", event["id"])
    return delivered


async def run_outbox_worker(
    stop: asyncio.Event,
    sinks: Sequence[Sink],
    poll: float = 1.0,
    *,
    broadcast: Sink | None = None,
    limit: int = 100,
) -> None:
    """Deliver until `stop` is set; sleep `poll` seconds whenever nothing was due."""
    while not stop.is_set():
        try:
            delivered = await deliver_pending(sinks, limit, broadcast=broadcast)
        except Exception:
            logger.exception("outbox delivery pass failed")
            delivered = 0
        if delivered < limit:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=poll)
