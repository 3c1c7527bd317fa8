"""Outbox: events are rows written in the transaction of the change that caused them; a worker
delivers them afterwards (Slack, subscriptions), so nothing is lost and nothing is sent twice."""

from __future__ import annotations

from typing import Any

from tortoise.exceptions import IntegrityError

from app.models import OutboxEvent


async def emit(
    kind: str,
    payload: dict[str, Any],
    *,
    budget_id: int | None = None,
    dedupe_key: str | None = None,
) -> OutboxEvent | None:
    """Record an event; with a dedupe key, a second event of the same key is dropped."""
    if dedupe_key is not None and await OutboxEvent.exists(dedupe_key=dedupe_key):
        return None
    try:
        return await OutboxEvent.create(
            kind=kind, payload=payload, budget_id=budget_id, dedupe_key=dedupe_key
        )
    except IntegrityError:  # pragma: no cover - a racing writer won; its event stands
        return None
