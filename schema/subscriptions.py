"""Live events of one budget over WebSocket (graphql-transport-ws): spend, transfer, alert and
period events, as the outbox worker delivers them."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from typing import Any

import strawberry
from strawberry.scalars import JSON

from app.domain.errors import NotFound
from app.models import Budget as BudgetRow
from app.services.broker import broker
from schema import ids
from schema.context import Info


@strawberry.type(
    description="One outbox event: `kind` such as spend.recorded, "
    "transfer.requested, transfer.decided, alert.raised."
)
class BudgetEvent:
    id: strawberry.ID
    kind: str
    budget_id: strawberry.ID
    data: JSON
    created_at: datetime | None

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
            data=event.get("payload") or {},
            created_at=moment,
        )


@strawberry.type
class Subscription:
    @strawberry.subscription(description="Events of a budget you can see, as they happen.")
    async def budget_events(
        self, info: Info, budget_id: strawberry.ID
    ) -> AsyncGenerator[BudgetEvent, None]:
        from schema.queries import _budget_visible

        pk = ids.decode(budget_id, "Budget", "budgetId")
        info.context.actor  # noqa: B018 - raises when unauthenticated
        row = await BudgetRow.get_or_none(id=pk)
        if row is None or not await _budget_visible(info, row):
            raise NotFound("Budget", budget_id, field="budgetId")
        async with broker.subscribe(pk) as queue:
            while True:
                yield BudgetEvent.from_event(await queue.get())
