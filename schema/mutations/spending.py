"""recordSpend: one cost, exact, at most once."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Annotated

import strawberry
from strawberry.scalars import JSON

from app.services import spending as service
from app.services.batch_items import with_metadata
from schema import ids, refs
from schema.context import Info
from schema.mutations import payload, run
from schema.types.pricing import UsageInput, usage_parts
from schema.types.spend import Spend


@strawberry.input(
    description="One cost of a project: an amount, or usage priced from a rate card (`usage`, "
    "or one `quantity` and `unit`)."
)
class RecordSpendInput:
    project_id: strawberry.ID = strawberry.field(
        description="The project: its id (prj_3) or its slug (genomics)."
    )
    amount: Decimal | None = strawberry.field(
        default=None,
        description="The cost, as an exact decimal string with at most 6 decimals "
        '("12.50", "0.000123"); or give usage (and service or model) instead. A negative '
        'amount ("-3.20") is a credit the source reports: the project\'s members may credit '
        "at most what the allocation spent, the budget's owners any amount (else a "
        "ValidationError naming amount). recordSpends takes charges only (> 0).",
    )
    budget_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="Which budget's envelope; needed when several budgets fund the project "
        "(else AmbiguousReference).",
    )
    service: str | None = strawberry.field(
        default=None, description='What it was spent on, e.g. "aws-ec2" or "gpt-4o".'
    )
    description: str | None = strawberry.field(default=None, description="Free text.")
    occurred_at: datetime | None = strawberry.field(
        default=None,
        description="When the cost was incurred, with a time zone offset (default now; not "
        "in the future). It picks the period the spend lands in.",
    )
    external_id: str | None = strawberry.field(
        default=None,
        description="Your id for the cost (e.g. an invoice line), unique per source and "
        "project: recording it again returns the first spend (duplicate: true).",
    )
    quantity: Decimal | None = strawberry.field(
        default=None,
        description="How much was used; with unit and no amount, it is priced from a rate card.",
    )
    unit: str | None = strawberry.field(
        default=None, description="The unit of quantity, e.g. input_token or hour."
    )
    currency: str | None = strawberry.field(
        default=None,
        description="The amount's currency, if you want it checked; another currency than the "
        "budget's is a CurrencyMismatch.",
    )
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="Your key for this request: a retry with the same key and content returns "
        "the first spend; other content is an IdempotencyConflict.",
    )
    usage: list[UsageInput] | None = strawberry.field(
        default=None, description="Quantities priced at the rates in force at occurredAt."
    )
    model: str | None = strawberry.field(
        default=None, description="The rate key that prices usage (default: service)."
    )
    card: str | None = strawberry.field(default=None, description="Price from this rate card.")
    metadata: JSON | None = strawberry.field(
        default=None,
        description='Your own key/values kept with the spend, e.g. {"ticket": "OPS-12"}: a JSON '
        "object of at most 50 keys (1 to 64 characters, no control characters) and string "
        "values of at most 500 characters, 8 KiB in all; else a ValidationError naming "
        "metadata (or metadata.<key>).",
    )


@strawberry.type(description="The spend is recorded (or was already: see duplicate).")
class SpendRecorded:
    spend: Spend = strawberry.field(description="The spend (the first one, for a replay).")
    #: True when this call replayed an earlier one (same idempotencyKey or externalId).
    duplicate: bool = strawberry.field(
        description="True when this call replayed an earlier one (same idempotencyKey or "
        "externalId, same content): nothing new was recorded."
    )


RecordSpendPayload = payload("RecordSpendPayload", SpendRecorded)


def to_spend_input(
    item: RecordSpendInput, prefix: str = "", slugs: Mapping[str, int] | None = None
) -> service.SpendInput:
    """The service's input; metadata rides along unchecked (the service checks it, naming
    `metadata` or `items[i].metadata`). `slugs`: project slugs already resolved
    (schema.refs.slugs_to_keys), for a projectId given as a slug."""
    return with_metadata(_spend_input(item, prefix, slugs or {}), item.metadata)


def _spend_input(
    item: RecordSpendInput, prefix: str, slugs: Mapping[str, int]
) -> service.SpendInput:
    return service.SpendInput(
        project_id=refs.project_key(item.project_id, f"{prefix}projectId", slugs),
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
    @strawberry.mutation(
        description="Record spend against a project's allocation in the open period (the "
        "project's members and leads, the budget's owners, admins). Spend may overdraw the "
        "envelope unless the budget sets hardLimit. Errors: PermissionDenied, NotFound, "
        "AmbiguousReference (several budgets: give budgetId), ValidationError, "
        "InsufficientFunds (hardLimit; with enforcePacing too, a charge over today's pacing "
        "cap, twice the daily drip, is refused naming the rule, not the figures), "
        "CurrencyMismatch, UnpricedUsage, IdempotencyConflict, "
        "PeriodClosedError."
    )
    async def record_spend(
        self,
        info: Info,
        input: Annotated[RecordSpendInput, strawberry.argument(description="The cost.")],
    ) -> RecordSpendPayload:
        async def call() -> SpendRecorded:
            slugs = await refs.slugs_to_keys(info.context.actor, [input.project_id])
            row, created = await service.record_spend(
                info.context.actor, to_spend_input(input, slugs=slugs), credits=True
            )
            return SpendRecorded(spend=Spend.from_model(row), duplicate=not created)

        return await run(call)
