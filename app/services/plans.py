"""The budget's future: end dates that move, amounts planned for future periods, and the
rollover policy of one allocation. Closing periods is app.services.periods."""

from __future__ import annotations

from datetime import date, datetime

from tortoise.transactions import in_transaction

from app import clock
from app.domain.access import Actor, require_owner
from app.domain.errors import PeriodClosed, ValidationError
from app.domain.money import to_micros
from app.domain.periods import (
    PeriodBounds,
    calendar_period,
    local_date,
    next_period,
    period_containing,
)
from app.domain.validation import RolloverPolicy
from app.models import Allocation, Budget, BudgetPeriod, BudgetPlan
from app.services import lookup
from app.services.calendars import calendar_of
from app.services.events import emit
from app.services.rollover import load_envelopes, open_next
from app.services.sql import fetch


async def apply_end_date(budget: Budget, end_date: date, now: datetime | None = None) -> None:
    """After the budget's end date changed (inside the caller's transaction).

    GRANT/CUSTOM: the one period follows the new end; a closed one whose new end is today or
    later reopens (a no-cost extension). Recurring: the open period is clipped to the new end.
    An ended recurring budget whose last period was cut short by the old end date reopens that
    period up to its calendar end (or the new end): it was funded as a whole period, so the days
    the extension adds belong to it, as a grant's do. Otherwise (it ended at a calendar end, or
    was closed early) it opens its next regular period, as its close would have, rollover
    included: never a period for the days an early close left, which would fund them twice.
    """
    now = now or clock.now()
    calendar = calendar_of(budget)
    kind = calendar.kind
    latest = await BudgetPeriod.filter(budget_id=budget.id).order_by("-seq").first()
    if latest is None:
        return
    today = local_date(now, budget.timezone)
    if not kind.is_recurring:
        if end_date < latest.start_date:
            raise ValidationError("endDate", "must not be before the period's start")
        if latest.status == "CLOSED" and end_date >= today:
            await fetch(
                "UPDATE budget_period SET status = 'OPEN' WHERE id = ? AND status = 'CLOSED'"
                " RETURNING id",
                latest.id,
            )
            await BudgetPeriod.filter(id=latest.id).update(closed_at=None, end_date=end_date)
            await emit(
                "period.reopened",
                {"budgetId": budget.id, "periodId": latest.id},
                budget_id=budget.id,
            )
        else:
            await BudgetPeriod.filter(id=latest.id).update(end_date=end_date)
        return
    if latest.status == "OPEN":
        if end_date < latest.start_date:
            raise ValidationError("endDate", "must not be before the current period's start")
        clipped = period_containing(calendar, budget.start_date, end_date, latest.start_date)
        if clipped is not None:
            await BudgetPeriod.filter(id=latest.id).update(end_date=clipped.end)
        return
    whole = calendar_period(calendar, latest.start_date)
    if budget.end_date is not None and latest.end_date == budget.end_date < whole.end:
        new_end = min(whole.end, end_date)
        if new_end > latest.end_date:
            await fetch(
                "UPDATE budget_period SET status = 'OPEN' WHERE id = ? AND status = 'CLOSED'"
                " RETURNING id",
                latest.id,
            )
            await BudgetPeriod.filter(id=latest.id).update(closed_at=None, end_date=new_end)
            await emit(
                "period.reopened",
                {"budgetId": budget.id, "periodId": latest.id},
                budget_id=budget.id,
            )
        return
    regular_end = max(latest.end_date, whole.end)
    bounds = next_period(calendar, PeriodBounds(latest.start_date, regular_end), end_date)
    if bounds is not None:
        budget.end_date = end_date
        await open_next(
            budget,
            latest,
            latest.unallocated_micros,
            await load_envelopes(latest.id),
            bounds,
            None,
        )


async def set_planned_amount(
    actor: Actor, *, budget_id: int, period_start: date, amount: object | None
) -> BudgetPlan | None:
    """Fund the future period starting on `period_start` with `amount` instead of the budget's
    amount (None removes the plan). The current period's amount is changed with updateBudget."""
    budget = await lookup.budget(budget_id)
    require_owner(actor, budget.id, "plan this budget")
    calendar = calendar_of(budget)
    if not calendar.kind.is_recurring:
        raise ValidationError(
            "periodStart",
            "is only for recurring budgets; change a grant's amount with updateBudget",
        )
    bounds = period_containing(calendar, budget.start_date, budget.end_date, period_start)
    if bounds is None or bounds.start != period_start:
        raise ValidationError("periodStart", "must be the first day of one of the budget's periods")
    current = await lookup.current_period(budget.id)
    latest = current or await BudgetPeriod.filter(budget_id=budget.id).order_by("-seq").first()
    if latest is not None and period_start <= latest.start_date:
        raise ValidationError(
            "periodStart", "must be a future period; change the current one with updateBudget"
        )
    async with in_transaction():
        if amount is None:
            await BudgetPlan.filter(budget_id=budget.id, period_start=period_start).delete()
            return None
        micros = to_micros(amount, field="amount")  # type: ignore[arg-type]
        if micros < 0:
            raise ValidationError("amount", "must not be negative")
        plan = await BudgetPlan.get_or_none(budget_id=budget.id, period_start=period_start)
        if plan is None:
            plan = await BudgetPlan.create(
                budget_id=budget.id, period_start=period_start, amount_micros=micros
            )
        else:
            await BudgetPlan.filter(id=plan.id).update(amount_micros=micros)
            await plan.refresh_from_db()
        await emit(
            "budget.planned",
            {"budgetId": budget.id, "periodStart": period_start.isoformat(), "amount": micros},
            budget_id=budget.id,
        )
    return plan


async def future_plans(budget_id: int) -> list[BudgetPlan]:
    return await BudgetPlan.filter(budget_id=budget_id).order_by("period_start")


async def set_allocation_rollover(
    actor: Actor, *, allocation_id: int, policy: str | None
) -> Allocation:
    """Override the budget's rollover policy for one allocation (None: follow the budget). The
    override is carried to the allocation's successors."""
    allocation = await lookup.allocation(allocation_id)
    require_owner(actor, allocation.budget_id, "change this allocation")  # type: ignore[attr-defined]
    if policy is not None:
        try:
            policy = RolloverPolicy(policy).value
        except ValueError:
            raise ValidationError(
                "rolloverPolicy", "must be NONE, CARRY_UNSPENT or CARRY_ALL"
            ) from None
    period = await BudgetPeriod.get(id=allocation.period_id)  # type: ignore[attr-defined]
    if period.status != "OPEN":
        raise PeriodClosed("this allocation's period is closed")
    await Allocation.filter(id=allocation.id).update(rollover_policy=policy)
    await allocation.refresh_from_db()
    return allocation


__all__ = ["apply_end_date", "future_plans", "set_allocation_rollover", "set_planned_amount"]
