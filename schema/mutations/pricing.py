"""setRate and logTime: rates that price usage, and hours priced as usage."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import strawberry

from app.services import pricing, rates
from schema import ids
from schema.context import Info
from schema.mutations import payload, run
from schema.mutations.spending import SpendRecorded
from schema.types.pricing import Rate
from schema.types.spend import Spend


@strawberry.input
class SetRateInput:
    card: str
    service: str = strawberry.field(
        description='A model ("gpt-4o"), service, role ("postdoc") or person ("user:7").'
    )
    unit: str = strawberry.field(description="input_token, output_token, hour, gpu_hour, …")
    price: Decimal = strawberry.field(description="Per unit, exact; any number of decimals.")
    effective_from: date | None = None
    budget_id: strawberry.ID | None = strawberry.field(
        default=None, description="Scope a new card to this budget (its owners may set rates)."
    )
    currency: str | None = None


@strawberry.type
class RateSet:
    rate: Rate
    #: False when the price in force on that date was already this one (no new version).
    changed: bool


SetRatePayload = payload("SetRatePayload", RateSet)


@strawberry.input
class LogTimeInput:
    project_id: strawberry.ID
    hours: Decimal
    role: str | None = strawberry.field(
        default=None, description="Priced at this role's hourly rate."
    )
    user_id: strawberry.ID | None = strawberry.field(
        default=None, description='Priced at this person\'s hourly rate (rate key "user:<id>").'
    )
    occurred_at: datetime | None = None
    description: str | None = None
    budget_id: strawberry.ID | None = None
    external_id: str | None = None
    idempotency_key: str | None = None


LogTimePayload = payload("LogTimePayload", SpendRecorded)


@strawberry.type
class PricingMutations:
    @strawberry.mutation(
        description="Set the price of one unit of a service from a date on "
        "(admins: global cards; budget owners: their budget's cards)."
    )
    async def set_rate(self, info: Info, input: SetRateInput) -> SetRatePayload:
        async def call() -> RateSet:
            rate, changed = await rates.set_rate(
                info.context.actor,
                card=input.card,
                service=input.service,
                unit=input.unit,
                price=input.price,
                effective_from=input.effective_from,
                budget_id=ids.decode_optional(input.budget_id, "Budget", "budgetId"),
                currency=input.currency,
            )
            return RateSet(rate=Rate.from_model(rate, input.card.strip()), changed=changed)

        return await run(call)

    @strawberry.mutation(
        description="Hours on a project, recorded as spend priced at the "
        'hourly rate (unit "hour") of a role or a person.'
    )
    async def log_time(self, info: Info, input: LogTimeInput) -> LogTimePayload:
        async def call() -> SpendRecorded:
            row, created = await pricing.log_time(
                info.context.actor,
                project_id=ids.decode(input.project_id, "Project", "projectId"),
                hours=input.hours,
                role=input.role,
                user_id=ids.decode_optional(input.user_id, "User", "userId"),
                occurred_at=input.occurred_at,
                description=input.description,
                budget_id=ids.decode_optional(input.budget_id, "Budget", "budgetId"),
                external_id=input.external_id,
                idempotency_key=input.idempotency_key,
            )
            return SpendRecorded(spend=Spend.from_model(row), duplicate=not created)

        return await run(call)
