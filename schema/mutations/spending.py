from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import strawberry

from app.services import spending as service
from schema import ids
from schema.context import Info
from schema.mutations import payload, run
from schema.types.pricing import UsageInput, usage_parts
from schema.types.spend import Spend


@strawberry.input
class RecordSpendInput:
    project_id: strawberry.ID
    amount: Decimal | None = strawberry.field(
        default=None, description="The cost; or give usage (and service or model) instead."
    )
    budget_id: strawberry.ID | None = None
    service: str | None = None
    description: str | None = None
    occurred_at: datetime | None = None
    external_id: str | None = None
    quantity: Decimal | None = None
    unit: str | None = None
    currency: str | None = None
    idempotency_key: str | None = None
    usage: list[UsageInput] | None = strawberry.field(
        default=None, description="Quantities priced at the rates in force at occurredAt."
    )
    model: str | None = strawberry.field(
        default=None, description="The rate key that prices usage (default: service)."
    )
    card: str | None = strawberry.field(default=None, description="Price from this rate card.")


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
        amount=item.amount,
        service=item.service,
        description=item.description,
        occurred_at=item.occurred_at,
        external_id=item.external_id,
        quantity=item.quantity,
        unit=item.unit,
        currency=item.currency,
        idempotency_key=item.idempotency_key,
        usage=usage_parts(item.usage),
        model=item.model,
        card=item.card,
    )


@strawberry.type
class SpendMutations:
    @strawberry.mutation(description="Record spend against a project's allocation.")
    async def record_spend(self, info: Info, input: RecordSpendInput) -> RecordSpendPayload:
        async def call() -> SpendRecorded:
            row, created = await service.record_spend(info.context.actor, to_spend_input(input))
            return SpendRecorded(spend=Spend.from_model(row), duplicate=not created)

        return await run(call)
