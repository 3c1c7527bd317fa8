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
from schema import ids, refs
from schema.context import Info
from schema.mutations import payload, run
from schema.types.allocation import Allocation, allocation_for
from schema.types.budget import Budget
from schema.types.common import RolloverPolicy
from schema.types.period import BudgetPeriod


@strawberry.input(
    description="One envelope of the period a close opens: the project's new allocation."
)
class NextAllocationInput:
    project_id: strawberry.ID = strawberry.field(
        description="The project: its id (prj_3) or its slug (genomics)."
    )
    amount: Decimal = strawberry.field(
        description="What the next period's pool gives the project (≥ 0): its base, which "
        "later closes carry over as any base. What its envelope carries under the rollover "
        "policy comes on top (see Budget.rolloverPreview); a project the closing period did "
        "not fund gets a new envelope."
    )


@strawberry.input(description="Which budget's open period to close.")
class ClosePeriodInput:
    budget_id: strawberry.ID = strawberry.field(description="The budget, e.g. bud_2.")
    allocations: list[NextAllocationInput] | None = strawberry.field(
        default=None,
        description="Optionally, the next period's allocations, set in the same transaction "
        "as the close (allocateMany's EXPLICIT rules: each project once, amounts ≥ 0, all or "
        "nothing). They are taken from the next pool first and must fit in it "
        "(InsufficientFunds otherwise: the pool never goes negative); projects not named keep "
        "their carried-over bases, scaled down into what is left if need be.",
    )


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
        "the period ends today (local) and the budget moves on to its next regular period at "
        "once (its own dates and funding: no period is funded for the days left; their spend "
        "lands in the open period as a late charge); a GRANT or CUSTOM budget ends today. "
        "Pending transfers and open reservations of the period expire. `allocations` sets the "
        "next period's envelopes in the same transaction. Errors: PermissionDenied, NotFound "
        "(budget, allocations[n].projectId), ValidationError (allocations), InsufficientFunds "
        "(allocations beyond the next pool), PeriodClosedError (the budget ended), "
        "InvalidState (closed by someone else just now, or not started yet)."
    )
    async def close_period(
        self,
        info: Info,
        input: Annotated[ClosePeriodInput, strawberry.argument(description="The budget.")],
    ) -> ClosePeriodPayload:
        async def call() -> PeriodClosed:
            budget_id = ids.decode(input.budget_id, "Budget", "budgetId")
            allocations = None
            if input.allocations is not None:
                slugs = await refs.slugs_to_keys(
                    info.context.actor, (a.project_id for a in input.allocations)
                )
                allocations = [
                    (refs.project_key(a.project_id, f"allocations[{n}].projectId", slugs), a.amount)
                    for n, a in enumerate(input.allocations)
                ]
            result = await periods.close_period(
                info.context.actor, budget_id, allocations=allocations
            )
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
            return AllocationRolloverSet(allocation=await allocation_for(info, row))

        return await run(call)
