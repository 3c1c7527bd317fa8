"""setRate and logTime: rates that price usage, and hours priced as usage."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

import strawberry

from app.services import pricing, rates
from schema import ids, refs
from schema.context import Info
from schema.mutations import payload, run
from schema.mutations.spending import SpendRecorded
from schema.types.pricing import Rate
from schema.types.spend import Spend


@strawberry.input(description="One price version on a rate card (created if new).")
class SetRateInput:
    card: str = strawberry.field(
        description='The rate card\'s name, e.g. "litellm" or "lab-hourly"; a new name creates '
        "the card (global, or scoped to budgetId)."
    )
    service: str = strawberry.field(
        description='A model ("gpt-4o"), service, role ("postdoc") or person ("user:7").'
    )
    unit: str = strawberry.field(description="input_token, output_token, hour, gpu_hour, …")
    price: Decimal = strawberry.field(description="Per unit, exact; any number of decimals.")
    effective_from: date | None = strawberry.field(
        default=None,
        description="First UTC day of the price (default today); the same day again replaces "
        "that version's price. Spend already recorded keeps its amount.",
    )
    budget_id: strawberry.ID | None = strawberry.field(
        default=None, description="Scope a new card to this budget (its owners may set rates)."
    )
    currency: str | None = strawberry.field(
        default=None,
        description="ISO 4217 code of a new card (default: the budget's, or USD); must match an "
        "existing card's.",
    )


@strawberry.type(description="The price is in force from its date on.")
class RateSet:
    rate: Rate = strawberry.field(description="The rate version now in force on that date.")
    #: False when the price in force on that date was already this one (no new version).
    changed: bool = strawberry.field(
        description="False when that price was already in force on that date (no new version)."
    )


SetRatePayload = payload("SetRatePayload", RateSet)


@strawberry.input(
    description="Hours worked on a project, priced at an hourly rate (give role or userId)."
)
class LogTimeInput:
    project_id: strawberry.ID = strawberry.field(
        description="The project: its id (prj_3) or its slug (genomics)."
    )
    hours: Decimal = strawberry.field(description='Hours, > 0, exact (e.g. "1.5").')
    role: str | None = strawberry.field(
        default=None, description="Priced at this role's hourly rate."
    )
    user_id: strawberry.ID | None = strawberry.field(
        default=None, description='Priced at this person\'s hourly rate (rate key "user:<id>").'
    )
    occurred_at: datetime | None = strawberry.field(
        default=None, description="When the work was done (with an offset); default now."
    )
    description: str | None = strawberry.field(default=None, description="Free text.")
    budget_id: strawberry.ID | None = strawberry.field(
        default=None, description="Which budget's envelope; needed when several fund it."
    )
    external_id: str | None = strawberry.field(
        default=None, description="Your id for the entry: logging it again changes nothing."
    )
    idempotency_key: str | None = strawberry.field(
        default=None, description="Your key for this request; a retry returns the first result."
    )


LogTimePayload = payload("LogTimePayload", SpendRecorded)


@strawberry.type
class PricingMutations:
    @strawberry.mutation(
        description="Set the price of one unit of a service from a date on "
        "(admins: global cards; budget owners: their budget's cards). Errors: PermissionDenied, "
        "NotFound (budgetId), ValidationError, CurrencyMismatch (card in another currency)."
    )
    async def set_rate(
        self,
        info: Info,
        input: Annotated[SetRateInput, strawberry.argument(description="The price.")],
    ) -> SetRatePayload:
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
        'hourly rate (unit "hour") of a role or a person (source "time"). Who may: as '
        "recordSpend. Errors: as recordSpend; UnpricedUsage when no hourly rate is in force."
    )
    async def log_time(
        self,
        info: Info,
        input: Annotated[LogTimeInput, strawberry.argument(description="The hours.")],
    ) -> LogTimePayload:
        async def call() -> SpendRecorded:
            row, created = await pricing.log_time(
                info.context.actor,
                project_id=await refs.project_pk(info.context.actor, input.project_id, "projectId"),
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
