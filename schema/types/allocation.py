from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from app import clock
from app.domain import forecast as domain_forecast
from app.domain.money import from_micros
from app.domain.periods import PeriodBounds, local_date
from app.domain.status import percent_used, status_band
from app.models import Allocation as AllocationRow
from app.models import Spend as SpendRow
from app.models import SpendDaily
from schema import ids
from schema.context import Info
from schema.loaders import daily_series
from schema.pagination import Connection, paginate
from schema.types import pacing
from schema.types.common import (
    After,
    BudgetStatus,
    First,
    Forecast,
    RolloverPolicy,
    ServiceCost,
)
from schema.types.node import Node

if TYPE_CHECKING:
    from schema.types.budget import Budget
    from schema.types.project import Project
    from schema.types.spend import Spend


@strawberry.type(
    description="A project's envelope in one budget period (id `alc_…`): the money the budget "
    "set aside for it, and what it spent. Visible to the budget's owners and the project's "
    "people (leads, members, viewers); anyone else gets null or no row. Money fields are exact "
    "decimal strings in the budget's currency."
)
class Allocation(Node, pacing.PacingFields):
    id: strawberry.ID = strawberry.field(description="Opaque id, e.g. `alc_7`.")
    amount: Decimal = strawberry.field(
        description="Allocated: the net money moved into the envelope this period (allocations, "
        "transfers in and out, rollover)."
    )
    spent: Decimal = strawberry.field(
        description="Net spend recorded on it this period (credits subtract)."
    )
    remaining: Decimal = strawberry.field(
        description="amount − spent; negative when the project overspent (allowed unless the "
        "budget sets hardLimit)."
    )
    held: Decimal = strawberry.field(
        description="Money in open reservations (reserveSpend), not yet spent."
    )
    available: Decimal = strawberry.field(
        description="remaining − held: what a new reservation or spend check may still take."
    )
    percent_used: float = strawberry.field(
        description="spent ÷ amount × 100, for display; over 100 when overdrawn (100 when "
        "something was spent from nothing allocated)."
    )
    status: BudgetStatus = strawberry.field(
        description="Band of remaining ÷ amount: HEALTHY, WARNING (< 25%), CRITICAL (< 10%), "
        "EXHAUSTED (≤ 0)."
    )
    alert_threshold: int | None = strawberry.field(
        description="An extra percent-used threshold for this envelope's alerts (1–1000), on "
        "top of the budget's alertThresholds; null: none."
    )
    notes: str | None = strawberry.field(description="Free text set with `allocate`.")
    row: strawberry.Private[AllocationRow]
    memo: strawberry.Private[dict[str, Any]]

    @classmethod
    def from_model(cls, row: AllocationRow) -> Allocation:
        remaining = row.allocated_micros - row.spent_micros
        return cls(
            id=strawberry.ID(ids.encode("Allocation", row.id)),
            amount=from_micros(row.allocated_micros),
            spent=from_micros(row.spent_micros),
            remaining=from_micros(remaining),
            held=from_micros(row.held_micros),
            available=from_micros(remaining - row.held_micros),
            percent_used=percent_used(row.allocated_micros, row.spent_micros),
            status=status_band(row.allocated_micros, remaining),
            alert_threshold=row.alert_threshold,
            notes=row.notes,
            row=row,
            memo={},
        )

    @strawberry.field(description="The budget the envelope belongs to.")
    async def budget(self, info: Info) -> Annotated[Budget, strawberry.lazy("schema.types.budget")]:
        from schema.types.budget import Budget

        row = await info.context.loaders.budget.load(self.row.budget_id)  # type: ignore[attr-defined]
        return Budget.from_model(row)

    @strawberry.field(description="The project the envelope funds.")
    async def project(
        self, info: Info
    ) -> Annotated[Project, strawberry.lazy("schema.types.project")]:
        from schema.types.project import Project

        row = await info.context.loaders.project.load(self.row.project_id)  # type: ignore[attr-defined]
        return Project.from_model(row)

    async def _bounds_and_today(self, info: Info) -> tuple[PeriodBounds, object]:
        loaders = info.context.loaders
        period = await loaders.period.load(self.row.period_id)  # type: ignore[attr-defined]
        budget = await loaders.budget.load(self.row.budget_id)  # type: ignore[attr-defined]
        today = local_date(clock.now(), budget.timezone)
        return PeriodBounds(period.start_date, period.end_date), today

    async def _history(self, info: Info) -> dict:
        """The project's daily spend in this budget over recent weeks, across periods."""
        key = (self.row.budget_id, self.row.project_id)  # type: ignore[attr-defined]
        return daily_series(await info.context.loaders.daily_by_envelope.load(key))

    async def _pace(self, info: Info) -> pacing.PaceFigures:
        bounds, today = await self._bounds_and_today(info)
        return pacing.figures(
            bounds,
            today,
            self.row.allocated_micros,  # type: ignore[arg-type]
            self.row.spent_micros,
            await self._history(info),
        )

    @strawberry.field(description="This allocation's own rollover policy; null follows the budget.")
    def rollover_override(self) -> RolloverPolicy | None:
        policy = self.row.rollover_policy
        return None if policy is None else RolloverPolicy(policy)

    @strawberry.field(description="The rollover policy that applies when the period closes.")
    async def rollover_policy(self, info: Info) -> RolloverPolicy:
        if self.row.rollover_policy is not None:
            return RolloverPolicy(self.row.rollover_policy)
        budget = await info.context.loaders.budget.load(self.row.budget_id)  # type: ignore[attr-defined]
        return RolloverPolicy(budget.rollover_policy)

    async def _forecast(self, info: Info) -> domain_forecast.Forecast:
        """Computed once per allocation object: `forecast` and `runwayDays` both need it, and
        their resolvers run concurrently."""
        task = self.memo.get("forecast")
        if task is None:
            task = self.memo["forecast"] = asyncio.ensure_future(self._compute_forecast(info))
        return await asyncio.shield(task)  # a cancelled field must not cancel its sibling's

    async def _compute_forecast(self, info: Info) -> domain_forecast.Forecast:
        bounds, today = await self._bounds_and_today(info)
        return domain_forecast.forecast(
            await self._history(info),
            bounds,
            today,  # type: ignore[arg-type]
            self.row.allocated_micros,
            self.row.spent_micros,
        )

    @strawberry.field(
        description="Where this envelope's spend is heading by the period end (from the "
        "project's daily spend in this budget, across periods)."
    )
    async def forecast(self, info: Info) -> Forecast:
        return Forecast.from_domain(await self._forecast(info))

    @strawberry.field(
        description="Days until the money runs out at the current burn rate (remaining ÷ "
        "forecast.burnRatePerDay, 2 decimals); null when nothing is being spent."
    )
    async def runway_days(self, info: Info) -> float | None:
        days = (await self._forecast(info)).runway_days
        return None if days is None else round(days, 2)

    @strawberry.field(description="The spend records of this envelope, oldest first.")
    async def spends(
        self, info: Info, first: First = None, after: After = None
    ) -> Connection[Annotated[Spend, strawberry.lazy("schema.types.spend")]]:
        from schema.types.spend import Spend

        query = SpendRow.filter(allocation_id=self.row.id)
        return await paginate(query, first, after, Spend.from_model)

    @strawberry.field(description="This envelope's spend by service, largest first.")
    async def service_breakdown(self) -> list[ServiceCost]:
        from schema.types.budget_figures import service_costs

        return await service_costs(SpendDaily.filter(allocation_id=self.row.id))
