"""Live events of one budget over WebSocket (graphql-transport-ws): spend, transfer, alert and
period events, as the outbox worker delivers them.

Each subscriber receives only the events the read rules let them see
(app.domain.access.can_see_event): a member of one project never hears of another project's
spend, alerts or transfers. Every `subscription_recheck_seconds` the subscription checks its
token and roles again, so a revoked token (or a role taken away) ends it within seconds.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import AsyncGenerator
from datetime import datetime
from typing import Annotated, Any

import strawberry
from strawberry.scalars import JSON

from app.domain.access import Actor, EventAudience, can_see_event, can_view_budget
from app.domain.errors import NotFound, PermissionDenied
from app.domain.money import from_micros
from app.models import Allocation as AllocationRow
from app.models import Budget as BudgetRow
from app.services.broker import (
    INTERRUPTED,
    RESUME,
    broker,
    latest_event_id,
    missed_events,
)
from app.services.faults import Unavailable, is_unavailable
from app.settings import get_settings
from schema import ids
from schema.context import Info, refresh_actor
from schema.scalars import serialize as decimal_text

#: Payload keys holding ids, and the kind of object each names (`allocationId` → `alc_7`).
_ID_KINDS = {
    "allocationId": "Allocation",
    "budgetId": "Budget",
    "spendId": "Spend",
    "transferId": "Transfer",
    "alertId": "Alert",
    "periodId": "BudgetPeriod",
    "nextPeriodId": "BudgetPeriod",
    "reservationId": "Reservation",
}
#: Payload keys holding money in micros.
_MONEY = frozenset({"amount", "held"})


def public_data(payload: dict[str, Any]) -> dict[str, Any]:
    """An outbox payload as clients see it: opaque ids and money as exact decimal strings,
    as everywhere else in the API (the outbox keeps integer ids and micros)."""
    out: dict[str, Any] = {}
    for key, value in payload.items():
        if key in _ID_KINDS and isinstance(value, int) and not isinstance(value, bool):
            out[key] = ids.encode(_ID_KINDS[key], value)
        elif key in _MONEY and isinstance(value, int) and not isinstance(value, bool):
            out[key] = decimal_text(from_micros(value))
        else:
            out[key] = value
    return out


@strawberry.type(
    description="One outbox event: `kind` such as spend.recorded, "
    "transfer.requested, transfer.decided, alert.raised; `data` names objects by their API "
    "ids and money as decimal strings."
)
class BudgetEvent:
    id: strawberry.ID = strawberry.field(
        description="The event's id (`evt_…`), unique: an event is delivered once."
    )
    kind: str = strawberry.field(
        description="What happened: spend.recorded, allocation.changed, transfer.requested, "
        "transfer.decided, alert.raised, period.closed, period.reopened, budget.planned, "
        "reservation.created / settled / released / expired, budget.created."
    )
    budget_id: strawberry.ID = strawberry.field(description="The budget it happened in.")
    data: JSON = strawberry.field(
        description='Details by kind, e.g. {"transferId": "trf_12", "status": "APPLIED"} or '
        '{"allocationId": "alc_7", "threshold": 80, "message": "…"}: ids are API ids, money '
        "(amount, held) exact decimal strings."
    )
    created_at: datetime | None = strawberry.field(
        description="When the change was committed (UTC)."
    )

    @classmethod
    def from_event(cls, event: dict[str, Any]) -> BudgetEvent:
        created = event.get("createdAt")
        try:
            moment = datetime.fromisoformat(created) if isinstance(created, str) else None
        except ValueError:
            moment = None
        return cls(
            id=strawberry.ID(f"evt_{event['id']}"),
            kind=str(event["kind"]),
            budget_id=strawberry.ID(ids.encode("Budget", int(event["budgetId"]))),
            data=public_data(event.get("payload") or {}),
            created_at=moment,
        )


async def _budget_projects(budget_id: int) -> list[int]:
    rows = (
        await AllocationRow.filter(budget_id=budget_id)
        .distinct()
        .values_list("project_id", flat=True)
    )
    return [int(p) for p in rows]  # type: ignore[arg-type]


def _visible(actor: Actor, budget_id: int, projects: list[int], event: dict[str, Any]) -> bool:
    return can_see_event(actor, budget_id, projects, EventAudience.from_json(event.get("audience")))


@strawberry.type(
    description="Live events over WebSocket (graphql-transport-ws at /graphql; the token in "
    'the connection_init payload as {"Authorization": "Bearer …"}).'
)
class Subscription:
    @strawberry.subscription(
        description="Events of a budget you can see, as they happen, filtered by the read "
        "rules: a project's people hear only of their projects (and the pool). Fails with "
        "NOT_FOUND for a budget you may not see; ends with PERMISSION_DENIED within "
        "ALLOT_SUBSCRIPTION_RECHECK_SECONDS (default 5) once your token or roles are revoked."
    )
    async def budget_events(
        self,
        info: Info,
        budget_id: Annotated[
            strawberry.ID, strawberry.argument(description="The budget to follow, e.g. bud_1.")
        ],
    ) -> AsyncGenerator[BudgetEvent, None]:
        pk = ids.decode(budget_id, "Budget", "budgetId")
        context = info.context
        actor = context.actor  # raises when unauthenticated
        projects = await _budget_projects(pk)
        if not await BudgetRow.exists(id=pk) or not can_view_budget(actor, pk, projects):
            raise NotFound("Budget", budget_id, field="budgetId")
        interval = max(0.1, get_settings().subscription_recheck_seconds)
        async with broker.subscribe(pk) as queue:
            check_at = time.monotonic() + interval
            seen = _Seen(floor=await latest_event_id())
            held: list[dict[str, Any]] = []
            while True:
                try:
                    event = await asyncio.wait_for(
                        queue.get(), max(0.0, check_at - time.monotonic())
                    )
                except TimeoutError:
                    event = None
                if event is not None:
                    held.append(event)
                if (overflow := broker.overflowed(queue)) is not None:
                    held.append({RESUME: overflow.isoformat()})
                if time.monotonic() >= check_at:
                    try:
                        actor = await refresh_actor(context)  # PermissionDenied once revoked
                        projects = await _budget_projects(pk)
                    except Exception as exc:
                        if not is_unavailable(exc):
                            raise
                        # The database is away (a restart): check again shortly; nothing is
                        # yielded until a check passes, and what arrives meanwhile is held.
                        check_at = time.monotonic() + min(1.0, interval)
                        continue
                    if not can_view_budget(actor, pk, projects):
                        raise PermissionDenied("you may no longer see this budget")
                    check_at = time.monotonic() + interval
                batch, held = held, []
                for item in batch:
                    for live in await _expand(pk, item, seen):
                        if _visible(actor, pk, projects, live):
                            yield BudgetEvent.from_event(live)


class _Seen:
    """Ids of events already yielded (the last 10,000): a replay after a gap skips them."""

    def __init__(self, floor: int = 0, size: int = 10_000) -> None:
        #: The newest event when the subscription began: older ones are not replayed.
        self.floor = floor
        self.ids: set[int] = set()
        self.order: deque[int] = deque()
        self.size = size

    def add(self, event_id: int) -> bool:
        """True the first time an id is seen."""
        if event_id in self.ids:
            return False
        self.ids.add(event_id)
        self.order.append(event_id)
        if len(self.order) > self.size:
            self.ids.discard(self.order.popleft())
        return True


async def _expand(pk: int, item: dict[str, Any], seen: _Seen) -> list[dict[str, Any]]:
    """An event, or for a broker marker the events missed since (app.services.broker): the
    LISTEN connection came back after a gap, or this subscriber's queue overflowed."""
    if item.get(INTERRUPTED):
        raise Unavailable(
            "live events are interrupted (the database connection is lost); subscribe again"
            " and reload what you show"
        )
    if RESUME in item:
        since = datetime.fromisoformat(str(item[RESUME]))
        missed = await missed_events(pk, since, seen.floor)
        if missed is None:
            raise Unavailable("too many live events were missed; subscribe again and reload")
        return [e for e in missed if seen.add(int(e["id"]))]
    return [item] if seen.add(int(item["id"])) else []
