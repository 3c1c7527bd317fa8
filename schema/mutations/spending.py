from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import strawberry

from app.services import spending as service
from schema import ids
from schema.context import Info
from schema.mutations import payload, run
from schema.types.spend import Spend


@strawberry.input
class RecordSpendInput:
    project_id: strawberry.ID
    amount: Decimal
    budget_id: strawberry.ID | None = None
    service: str | None = None
    description: str | None = None
    occurred_at: datetime | None = None
    external_id: str | None = None
    quantity: Decimal | None = None
    unit: str | None = None
    currency: str | None = None
    idempotency_key: str | None = None


@strawberry.type
class SpendRecorded:
    spend: Spend
    #: True when this call replayed an earlier one (same idempotencyKey or externalId).
    duplicate: bool


RecordSpendPayload = payload("RecordSpendPayload", SpendRecorded)


def to_spend_input(item: RecordSpendInput, prefix: str = "") -> service.SpendInput:
    return service.SpendInput(
        project_id=ids.decode(item.project_id, "Project", f"{prefix}projectId"),
        budget_id=ids.decode_optional(item.budget_id, "Budget", f"{prefix}budgetId"),
        amount=item.amount, service=item.service, description=item.description,
        occurred_at=item.occurred_at, external_id=item.external_id, quantity=item.quantity,
        unit=item.unit, currency=item.currency, idempotency_key=item.idempotency_key,
    )


@strawberry.type
class SpendMutations:
    @strawberry.mutation(description="Record spend against a project's allocation.")
    async def record_spend(self, info: Info, input: RecordSpendInput) -> RecordSpendPayload:
        async def call() -> SpendRecorded:
            row, created = await service.record_spend(info.context.actor, to_spend_input(input))
            return SpendRecorded(spend=Spend.from_model(row), duplicate=not created)

        return await run(call)
