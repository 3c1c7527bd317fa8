from __future__ import annotations

from decimal import Decimal

import strawberry

from app.services import allocations as service
from schema import ids
from schema.context import Info
from schema.mutations import payload, run
from schema.types.allocation import Allocation

SplitKind = strawberry.enum(service.Split, name="SplitKind")


@strawberry.input
class AllocateInput:
    budget_id: strawberry.ID
    project_id: strawberry.ID
    amount: Decimal
    notes: str | None = None
    alert_threshold: int | None = None
    idempotency_key: str | None = None


@strawberry.type
class AllocationSet:
    allocation: Allocation


@strawberry.input
class SplitItemInput:
    project_id: strawberry.ID
    amount: Decimal | None = None
    percent: Decimal | None = None


@strawberry.input
class AllocateManyInput:
    budget_id: strawberry.ID
    split: SplitKind
    items: list[SplitItemInput]
    total: Decimal | None = None


@strawberry.type
class AllocationsSet:
    allocations: list[Allocation]


@strawberry.input
class ReleaseAllocationInput:
    allocation_id: strawberry.ID


@strawberry.type
class AllocationReleased:
    allocation: Allocation


AllocatePayload = payload("AllocatePayload", AllocationSet)
AllocateManyPayload = payload("AllocateManyPayload", AllocationsSet)
ReleaseAllocationPayload = payload("ReleaseAllocationPayload", AllocationReleased)


@strawberry.type
class AllocationMutations:
    @strawberry.mutation(description="Set a project's allocation (creates it if needed).")
    async def allocate(self, info: Info, input: AllocateInput) -> AllocatePayload:
        async def call() -> AllocationSet:
            row = await service.allocate(
                info.context.actor,
                budget_id=ids.decode(input.budget_id, "Budget", "budgetId"),
                project_id=ids.decode(input.project_id, "Project", "projectId"),
                amount=input.amount,
                notes=input.notes,
                alert_threshold=input.alert_threshold,
                idempotency_key=input.idempotency_key,
            )
            return AllocationSet(allocation=Allocation.from_model(row))

        return await run(call)

    @strawberry.mutation(description="Set several allocations at once: EXPLICIT, EQUAL or PERCENT.")
    async def allocate_many(self, info: Info, input: AllocateManyInput) -> AllocateManyPayload:
        async def call() -> AllocationsSet:
            items = [
                service.SplitItem(
                    project_id=ids.decode(i.project_id, "Project", f"items[{n}].projectId"),
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
            return AllocationsSet(allocations=[Allocation.from_model(r) for r in rows])

        return await run(call)

    @strawberry.mutation(description="Return an allocation's remaining funds to the pool.")
    async def release_allocation(
        self, info: Info, input: ReleaseAllocationInput
    ) -> ReleaseAllocationPayload:
        async def call() -> AllocationReleased:
            row = await service.release_allocation(
                info.context.actor,
                allocation_id=ids.decode(input.allocation_id, "Allocation", "allocationId"),
            )
            return AllocationReleased(allocation=Allocation.from_model(row))

        return await run(call)
