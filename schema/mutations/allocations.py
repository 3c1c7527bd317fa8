"""allocate, allocateMany, releaseAllocation: moving money between the pool and envelopes."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

import strawberry

from app.services import allocations as service
from schema import ids, refs
from schema.context import Info
from schema.mutations import payload, run
from schema.types.allocation import Allocation, allocation_for, allocations_for
from schema.types.common import describe_values

SplitKind = describe_values(
    strawberry.enum(
        service.Split,
        name="SplitKind",
        description="How allocateMany divides money among its items. Shares always add up: "
        "remainders of a micro go to the first items, so nothing is lost to rounding.",
    ),
    {
        "EXPLICIT": "Each item gives its own amount.",
        "EQUAL": "`total` divided equally among the items.",
        "PERCENT": "Each item gets its percent of `total` (percents add up to at most 100).",
    },
)


@strawberry.input(description="Set one project's envelope in a budget's current period.")
class AllocateInput:
    budget_id: strawberry.ID = strawberry.field(description="The budget, e.g. bud_1.")
    project_id: strawberry.ID = strawberry.field(
        description="The project: its id (prj_3) or its slug (genomics)."
    )
    amount: Decimal = strawberry.field(
        description="The envelope's new total (not an increment), exact decimal string ≥ 0: "
        "raising it takes the difference from the pool, lowering it returns the difference, "
        "never below what the project already spent."
    )
    notes: str | None = strawberry.field(
        default=None, description="Free text kept on the allocation; omitted: unchanged."
    )
    alert_threshold: int | None = strawberry.field(
        default=None,
        description="An extra percent-used alert level for this envelope (1–1000); omitted: "
        "unchanged.",
    )
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="Your key for this request: a retry with the same key and content returns "
        "the first result; other content is an IdempotencyConflict.",
    )


@strawberry.type(description="The envelope now holds the amount given.")
class AllocationSet:
    allocation: Allocation = strawberry.field(description="The allocation, as now set.")


@strawberry.input(description="One project of an allocateMany split.")
class SplitItemInput:
    project_id: strawberry.ID = strawberry.field(
        description="The project: its id (prj_3) or its slug (genomics)."
    )
    amount: Decimal | None = strawberry.field(
        default=None, description="Its envelope's new total (EXPLICIT splits only)."
    )
    percent: Decimal | None = strawberry.field(
        default=None,
        description='Its share of total, in percent, e.g. "40" (PERCENT splits only).',
    )


@strawberry.input(description="Set several envelopes at once, all or nothing.")
class AllocateManyInput:
    budget_id: strawberry.ID = strawberry.field(description="The budget, e.g. bud_3.")
    split: SplitKind = strawberry.field(description="EXPLICIT, EQUAL or PERCENT.")
    items: list[SplitItemInput] = strawberry.field(
        description="The projects, each once (not empty)."
    )
    total: Decimal | None = strawberry.field(
        default=None, description="The money to divide (EQUAL and PERCENT splits; > 0)."
    )


@strawberry.type(description="Every envelope of the split now holds its share.")
class AllocationsSet:
    allocations: list[Allocation] = strawberry.field(
        description="The allocations, in the order of the items."
    )


@strawberry.input(description="Which envelope to release.")
class ReleaseAllocationInput:
    allocation_id: strawberry.ID = strawberry.field(description="The allocation, e.g. alc_7.")


@strawberry.type(description="The envelope's remaining funds went back to the pool.")
class AllocationReleased:
    allocation: Allocation = strawberry.field(
        description="The allocation: its amount now equals what it spent."
    )


AllocatePayload = payload("AllocatePayload", AllocationSet)
AllocateManyPayload = payload("AllocateManyPayload", AllocationsSet)
ReleaseAllocationPayload = payload("ReleaseAllocationPayload", AllocationReleased)


@strawberry.type
class AllocationMutations:
    @strawberry.mutation(
        description="Set a project's allocation in the budget's current period to `amount` "
        "(creates it if needed); the pool never goes negative. Owners and admins. Errors: "
        "PermissionDenied, NotFound, ValidationError (negative, below spent), "
        "InsufficientFunds (the pool cannot cover the increase), PeriodClosedError (the budget "
        "ended), IdempotencyConflict, Conflict (concurrent changes; retry)."
    )
    async def allocate(
        self,
        info: Info,
        input: Annotated[
            AllocateInput, strawberry.argument(description="The envelope and its new amount.")
        ],
    ) -> AllocatePayload:
        async def call() -> AllocationSet:
            row = await service.allocate(
                info.context.actor,
                budget_id=ids.decode(input.budget_id, "Budget", "budgetId"),
                project_id=await refs.project_pk(info.context.actor, input.project_id, "projectId"),
                amount=input.amount,
                notes=input.notes,
                alert_threshold=input.alert_threshold,
                idempotency_key=input.idempotency_key,
            )
            return AllocationSet(allocation=await allocation_for(info, row))

        return await run(call)

    @strawberry.mutation(
        description="Set several allocations at once, all or nothing: EXPLICIT, EQUAL or "
        "PERCENT (e.g. $3,750 EQUAL over 25 projects: $150 each). Owners and admins. Errors: "
        "as allocate; ValidationError names the item (items[2].percent)."
    )
    async def allocate_many(
        self,
        info: Info,
        input: Annotated[
            AllocateManyInput, strawberry.argument(description="The budget, split and items.")
        ],
    ) -> AllocateManyPayload:
        async def call() -> AllocationsSet:
            slugs = await refs.slugs_to_keys(
                info.context.actor, (i.project_id for i in input.items)
            )
            items = [
                service.SplitItem(
                    project_id=refs.project_key(i.project_id, f"items[{n}].projectId", slugs),
                    amount=i.amount,
                    percent=i.percent,
                )
                for n, i in enumerate(input.items)
            ]
            rows = await service.allocate_many(
                info.context.actor,
                budget_id=ids.decode(input.budget_id, "Budget", "budgetId"),
                split=service.Split(input.split.value),
                items=items,
                total=input.total,
            )
            return AllocationsSet(allocations=await allocations_for(info, rows))

        return await run(call)

    @strawberry.mutation(
        description="Return an allocation's remaining funds to the pool; what was spent stays "
        "spent. Owners and admins. Errors: PermissionDenied, NotFound, PeriodClosedError."
    )
    async def release_allocation(
        self,
        info: Info,
        input: Annotated[
            ReleaseAllocationInput, strawberry.argument(description="The envelope to release.")
        ],
    ) -> ReleaseAllocationPayload:
        async def call() -> AllocationReleased:
            row = await service.release_allocation(
                info.context.actor,
                allocation_id=ids.decode(input.allocation_id, "Allocation", "allocationId"),
            )
            return AllocationReleased(allocation=await allocation_for(info, row))

        return await run(call)
