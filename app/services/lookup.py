"""Loading the rows a use case works on, with NotFound errors that name the input field."""

from __future__ import annotations

from collections.abc import Sequence

from tortoise.functions import Sum

from app.domain.errors import InvalidState, NotFound, PeriodClosed
from app.models import Allocation, Budget, BudgetPeriod, Project


async def budget(budget_id: int, field: str = "budgetId") -> Budget:
    row = await Budget.get_or_none(id=budget_id)
    if row is None:
        raise NotFound("Budget", budget_id, field=field)
    return row


async def project(project_id: int, field: str = "projectId") -> Project:
    row = await Project.get_or_none(id=project_id)
    if row is None:
        raise NotFound("Project", project_id, field=field)
    return row


async def allocation(allocation_id: int, field: str = "allocationId") -> Allocation:
    row = await Allocation.get_or_none(id=allocation_id).select_related("project")
    if row is None:
        raise NotFound("Allocation", allocation_id, field=field)
    return row


async def current_period(budget_id: int) -> BudgetPeriod | None:
    """The budget's open period (the latest one), or None when the budget has ended."""
    return await BudgetPeriod.filter(budget_id=budget_id, status="OPEN").order_by("-seq").first()


def writable_budget(b: Budget) -> Budget:
    """An archived budget is read-only (restoreBudget makes it writable again)."""
    if b.archived_at is not None:
        raise InvalidState(f"budget {b.name!r} is archived (read-only); restore it first")
    return b


def writable_project(p: Project) -> Project:
    """An archived project is read-only (restoreProject makes it writable again)."""
    if p.archived_at is not None:
        raise InvalidState(f"project {p.name!r} is archived (read-only); restore it first")
    return p


async def open_period(b: Budget) -> BudgetPeriod:
    writable_budget(b)
    period = await current_period(b.id)
    if period is None:
        raise PeriodClosed(f"budget {b.name!r} is closed: it takes no more spend or allocation")
    return period


async def with_open_spent(periods: Sequence[BudgetPeriod]) -> Sequence[BudgetPeriod]:
    """An open period's spent is the sum of its allocations (spends do not update the period
    row: no hot row per budget); set it on the rows read, in one statement. Closed periods keep
    the total frozen at their close."""
    open_ids = [p.id for p in periods if p.status == "OPEN"]
    if open_ids:
        sums = dict(
            await Allocation.filter(period_id__in=open_ids)
            .annotate(total=Sum("spent_micros"))
            .group_by("period_id")
            .values_list("period_id", "total")
        )
        for p in periods:
            if p.status == "OPEN":
                p.spent_micros = int(sums.get(p.id) or 0)  # type: ignore[call-overload]
    return periods
