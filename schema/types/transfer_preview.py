"""What a pending transfer would do to both sides: remaining, status band and runway, before
and after. Computed here from the cached balances with the domain's own status and forecast
functions, so clients (the Slack bot) show figures without computing any."""

from __future__ import annotations

from decimal import Decimal

import strawberry

from app import clock
from app.domain import forecast as domain_forecast
from app.domain.access import can_view_allocation
from app.domain.money import from_micros
from app.domain.periods import PeriodBounds, local_date
from app.domain.status import status_band
from app.models import Allocation as AllocationRow
from app.models import TransferRequest
from schema.context import Info
from schema.loaders import daily_series
from schema.types.common import BudgetStatus


@strawberry.type(description="One envelope's figures at one moment (before or after).")
class SideFigures:
    remaining: Decimal = strawberry.field(description="Allocated − spent (exact decimal string).")
    status: BudgetStatus = strawberry.field(description="Its band of remaining ÷ allocated.")
    runway_days: float | None = strawberry.field(
        description="Days the remaining money lasts at the envelope's burn rate; null when "
        "nothing is being spent."
    )


@strawberry.type(description="One side of a pending transfer: its figures now and after.")
class SidePreview:
    before: SideFigures = strawberry.field(description="As the envelope stands now.")
    after: SideFigures = strawberry.field(description="If the transfer applied now.")


@strawberry.type(
    description="A pending transfer's effect; a side is null for the pool or "
    "for a project you cannot see."
)
class TransferPreview:
    from_: SidePreview | None = strawberry.field(
        name="from", description="The source envelope; null for the pool or a hidden project."
    )
    to: SidePreview | None = strawberry.field(
        description="The target envelope; null for the pool or a hidden project."
    )


async def _figures(info: Info, row: AllocationRow, allocated: int) -> SideFigures:
    loaders = info.context.loaders
    period = await loaders.period.load(row.period_id)  # type: ignore[attr-defined]
    budget = await loaders.budget.load(row.budget_id)  # type: ignore[attr-defined]
    # The same history as Allocation.runwayDays: the project's spend in this budget, across periods.
    key = (row.budget_id, row.project_id)  # type: ignore[attr-defined]
    daily = daily_series(await loaders.daily_by_envelope.load(key))
    today = local_date(clock.now(), budget.timezone)
    f = domain_forecast.forecast(
        daily, PeriodBounds(period.start_date, period.end_date), today, allocated, row.spent_micros
    )
    remaining = allocated - row.spent_micros
    return SideFigures(
        remaining=from_micros(remaining),
        status=status_band(allocated, remaining),
        runway_days=None if f.runway_days is None else round(f.runway_days, 2),
    )


async def _side(info: Info, pk: int | None, delta: int) -> SidePreview | None:
    if pk is None:
        return None
    row: AllocationRow | None = await info.context.loaders.allocation.load(pk)
    if row is None or not can_view_allocation(
        info.context.actor,
        row.budget_id,
        row.project_id,  # type: ignore[attr-defined]
    ):
        return None
    return SidePreview(
        before=await _figures(info, row, row.allocated_micros),
        after=await _figures(info, row, row.allocated_micros + delta),
    )


async def preview(info: Info, transfer: TransferRequest) -> TransferPreview | None:
    """Only a PENDING transfer has an "after": a decided one already moved (or never will)."""
    if transfer.status != "PENDING":
        return None
    amount = transfer.amount_micros
    return TransferPreview(
        from_=await _side(info, transfer.from_allocation_id, -amount),  # type: ignore[attr-defined]
        to=await _side(info, transfer.to_allocation_id, amount),  # type: ignore[attr-defined]
    )
