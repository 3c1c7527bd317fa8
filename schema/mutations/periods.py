"""Periods: closing one on demand, planning the amount of future periods, and the rollover
policy of one allocation.

`PeriodClose`, the success type `closePeriod` once returned, is an interface now: `closePeriod`
returns `PeriodClosed`, which implements it, so a client's `... on PeriodClose { … }` still matches.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated

import strawberry

from app.services import lookup, periods, plans
from schema import ids
from schema.context import Info
from schema.mutations import payload, run
from schema.types.allocation import Allocation
from schema.types.budget import Budget
from schema.types.common import RolloverPolicy
from schema.types.period import BudgetPeriod


@strawberry.input(description="Which budget's open period to close.")
class ClosePeriodInput:
    budget_id: strawberry.ID = strawberry.field(description="The budget, e.g. bud_2.")


@strawberry.interface(
    description="The former success type of closePeriod, kept as an interface so "
    "`... on PeriodClose { closedPeriod nextPeriod }` still matches; closePeriod returns "
    "PeriodClosed, which implements it (`__typename` is PeriodClosed)."
)
class PeriodClose:
    closed_period: BudgetPeriod = strawberry.field(
        description="The period that closed, with its final figures."
    )
    next_period: BudgetPeriod | None = strawberry.field(
        description="The period that opened, funded and rolled over; null when the budget "
        "ended (a GRANT or CUSTOM budget, or a recurring one at its end date)."
    )


@strawberry.type(
    description="The period that closed, and the one that opened (null when the "
    "budget ended: a grant at its end date)."
)
class PeriodClosed(PeriodClose):
    pass


@strawberry.input(description="Fund one future period with another amount.")
class SetPlannedAmountInput:
    budget_id: strawberry.ID = strawberry.field(description="The budget, e.g. bud_2.")
    period_start: date = strawberry.field(description="First day of a future period.")
    amount: Decimal | None = strawberry.field(
        default=None, description="The pool of that period (≥ 0); null removes the plan."
    )


@strawberry.type(description="The plan is stored (or removed); see budget.plannedAmounts.")
class PlannedAmountSet:
    budget: Budget = strawberry.field(description="The budget, with its planned amounts.")


@strawberry.input(description="One envelope's own rollover policy.")
class SetAllocationRolloverInput:
    allocation_id: strawberry.ID = strawberry.field(description="The allocation, e.g. alc_7.")
    rollover_policy: RolloverPolicy | None = strawberry.field(
        default=None, description="null: follow the budget's policy."
    )


@strawberry.type(
    description="The envelope's rollover policy is set (and carries to its successors)."
)
class AllocationRolloverSet:
    allocation: Allocation = strawberry.field(
        description="The allocation, with rolloverOverride as now set."
    )


ClosePeriodPayload = payload("ClosePeriodPayload", PeriodClosed)
SetPlannedAmountPayload = payload("SetPlannedAmountPayload", PlannedAmountSet)
SetAllocationRolloverPayload = payload("SetAllocationRolloverPayload", AllocationRolloverSet)


@strawberry.type
class PeriodMutations:
    @strawberry.mutation(
        description="Close the budget's open period now and open the next "
        "(owners and admins). Rollover applies as at a scheduled close. Closed before its end, "
        "the period ends today (local) and the next starts tomorrow; pending transfers and open "
        "reservations of the period expire. Errors: PermissionDenied, NotFound, "
        "PeriodClosedError (the budget ended), InvalidState (closed by someone else just now, "
        "or not started yet)."
    )
    async def close_period(
        self,
        info: Info,
        input: Annotated[ClosePeriodInput, strawberry.argument(description="The budget.")],
    ) -> ClosePeriodPayload:
        async def call() -> PeriodClosed:
            budget_id = ids.decode(input.budget_id, "Budget", "budgetId")
            result = await periods.close_period(info.context.actor, budget_id)
            budget = await lookup.budget(budget_id)
            return PeriodClosed(
                closed_period=BudgetPeriod.from_model(result.closed, budget),
                next_period=None
                if result.next is None
                else BudgetPeriod.from_model(result.next, budget),
            )

        return await run(call)

    @strawberry.mutation(
        description="Fund a future period with another amount than the budget's (a planned "
        "amount); the current period's amount is changed with updateBudget. Owners and admins. "
        "Errors: PermissionDenied, NotFound, ValidationError (periodStart not the first day of "
        "a future period, negative amount)."
    )
    async def set_planned_amount(
        self,
        info: Info,
        input: Annotated[
            SetPlannedAmountInput, strawberry.argument(description="The period and its pool.")
        ],
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

    @strawberry.mutation(
        description="Override the budget's rollover policy for one allocation (owners and "
        "admins). Errors: PermissionDenied, NotFound, ValidationError, PeriodClosedError."
    )
    async def set_allocation_rollover(
        self,
        info: Info,
        input: Annotated[
            SetAllocationRolloverInput, strawberry.argument(description="The envelope, policy.")
        ],
    ) -> SetAllocationRolloverPayload:
        async def call() -> AllocationRolloverSet:
            row = await plans.set_allocation_rollover(
                info.context.actor,
                allocation_id=ids.decode(input.allocation_id, "Allocation", "allocationId"),
                policy=None if input.rollover_policy is None else input.rollover_policy.value,
            )
            return AllocationRolloverSet(allocation=Allocation.from_model(row))

        return await run(call)
