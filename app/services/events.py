"""Outbox: events are rows written in the transaction of the change that caused them; a worker
delivers them afterwards (Slack, subscriptions), so nothing is lost and nothing is sent twice."""

from __future__ import annotations

from typing import Any

from tortoise.exceptions import IntegrityError

from app.domain.access import EventAudience
from app.models import OutboxEvent


def for_projects(*project_ids: int | None, users: tuple[int, ...] = ()) -> EventAudience:
    """The audience of an event about these projects' envelopes (and these users)."""
    return EventAudience(
        projects=frozenset(p for p in project_ids if p is not None), users=frozenset(users)
    )


async def emit(
    kind: str,
    payload: dict[str, Any],
    *,
    budget_id: int | None = None,
    dedupe_key: str | None = None,
    audience: EventAudience | None = None,
) -> OutboxEvent | None:
    """Record an event; with a dedupe key, a second event of the same key is dropped.

    `audience` says who may receive it live beyond the budget's owners (see
    app.domain.access.can_see_event); None: whoever may see the budget, so only events that
    carry no project's figures may go without one."""
    if dedupe_key is not None and await OutboxEvent.exists(dedupe_key=dedupe_key):
        return None
    try:
        return await OutboxEvent.create(
            kind=kind,
            payload=payload,
            budget_id=budget_id,
            dedupe_key=dedupe_key,
            audience=None if audience is None else audience.to_json(),
        )
    except IntegrityError:  # pragma: no cover - a racing writer won; its event stands
        return None
