"""Periods: closing one on demand, planning the amount of future periods, and the rollover
policy of one allocation."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import strawberry

from app.services import lookup, periods, plans
from schema import ids
from schema.context import Info
from schema.mutations import payload, run
from schema.types.allocation import Allocation
from schema.types.budget import Budget
from schema.types.common import RolloverPolicy
from schema.types.period import BudgetPeriod


@strawberry.input
class ClosePeriodInput:
    budget_id: strawberry.ID


@strawberry.type(
    description="The period that closed, and the one that opened (null when the "
    "budget ended: a grant at its end date)."
)
class PeriodClose:
    closed_period: BudgetPeriod
    next_period: BudgetPeriod | None


@strawberry.input
class SetPlannedAmountInput:
    budget_id: strawberry.ID
    period_start: date = strawberry.field(description="First day of a future period.")
    amount: Decimal | None = strawberry.field(
        default=None, description="The pool of that period; null removes the plan."
    )


@strawberry.type
class PlannedAmountSet:
    budget: Budget


@strawberry.input
class SetAllocationRolloverInput:
    allocation_id: strawberry.ID
    rollover_policy: RolloverPolicy | None = strawberry.field(
        default=None, description="null: follow the budget's policy."
    )


@strawberry.type
class AllocationRolloverSet:
    allocation: Allocation


ClosePeriodPayload = payload("ClosePeriodPayload", PeriodClose)
SetPlannedAmountPayload = payload("SetPlannedAmountPayload", PlannedAmountSet)
SetAllocationRolloverPayload = payload("SetAllocationRolloverPayload", AllocationRolloverSet)


@strawberry.type
class PeriodMutations:
    @strawberry.mutation(
        description="Close the budget's open period now and open the next "
        "(owners and admins). Rollover applies as at a scheduled close."
    )
    async def close_period(self, info: Info, input: ClosePeriodInput) -> ClosePeriodPayload:
        async def call() -> PeriodClose:
            budget_id = ids.decode(input.budget_id, "Budget", "budgetId")
            result = await periods.close_period(info.context.actor, budget_id)
            budget = await lookup.budget(budget_id)
            return PeriodClose(
                closed_period=BudgetPeriod.from_model(result.closed, budget),
                next_period=None
                if result.next is None
                else BudgetPeriod.from_model(result.next, budget),
            )

        return await run(call)

    @strawberry.mutation(
        description="Fund a future period with another amount than the budget's (a planned amount)."
    )
    async def set_planned_amount(
        self, info: Info, input: SetPlannedAmountInput
    ) -> SetPlannedAmountPayload:
        async def call() -> PlannedAmountSet:
            budget_id = ids.decode(input.budget_id, "Budget", "budgetId")
            await plans.set_planned_amount(
                info.context.actor,
                budget_id=budget_id,
                period_start=input.period_start,
                amount=input.amount,
            )
            return PlannedAmountSet(budget=Budget.from_model(await lookup.budget(budget_id)))

        return await run(call)

    @strawberry.mutation(description="Override the budget's rollover policy for one allocation.")
    async def set_allocation_rollover(
        self, info: Info, input: SetAllocationRolloverInput
    ) -> SetAllocationRolloverPayload:
        async def call() -> AllocationRolloverSet:
            row = await plans.set_allocation_rollover(
                info.context.actor,
                allocation_id=ids.decode(input.allocation_id, "Allocation", "allocationId"),
                policy=None if input.rollover_policy is None else input.rollover_policy.value,
            )
            return AllocationRolloverSet(allocation=Allocation.from_model(row))

        return await run(call)
