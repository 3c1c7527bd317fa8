"""The `Allocation` read model: an envelope's figures computed once, as plain values.

Every figure that comes from the row (amount, spent, remaining, status…) and the project and
budget it belongs to are plain attributes, set when the object is built, so GraphQL reads them
without a resolver (schema/execution.py completes such fields directly). Objects are built for a
whole page at once by `allocations_for` (one statement for the budgets and one for the projects
they need, none when the caller already has them), which also preloads the daily history of the
page when the selection asks for pacing or forecast figures; those are then computed without
waiting (and forecasts are cached per envelope and day, see `_FORECASTS`).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from tortoise.functions import Sum

from app import clock
from app.domain import forecast as domain_forecast
from app.domain.errors import ValidationError
from app.domain.money import from_micros, micros_text
from app.domain.periods import PeriodBounds, local_date, local_midnight_utc
from app.domain.status import percent_used, status_band
from app.domain.timeline import timeline_days
from app.models import Allocation as AllocationRow
from app.models import Spend as SpendRow
from app.models import SpendDaily
from schema import ids
from schema.context import Info, selects
from schema.loaders import daily_series
from schema.pagination import Connection, Row, paginate
from schema.types import pacing
from schema.types.common import (
    After,
    BudgetStatus,
    First,
    Forecast,
    RolloverPolicy,
    ServiceCost,
    TimelinePoint,
)
from schema.types.node import Node

if TYPE_CHECKING:
    from schema.types.budget import Budget
    from schema.types.project import Project
    from schema.types.spend import Spend

#: The columns a page of allocations is read with (with its project's and period's).
COLUMNS = (
    "id",
    "budget_id",
    "period_id",
    "project_id",
    "allocated_micros",
    "spent_micros",
    "held_micros",
    "notes",
    "alert_threshold",
    "rollover_policy",
    "project__name",
    "project__slug",
    "project__slack_channel",
    "period__start_date",
    "period__end_date",
)
#: `COLUMNS` for rows of one known period (its dates given to `allocations_for` once).
PERIOD_COLUMNS = COLUMNS[:-2]
#: Fields whose figures need the envelope's recent daily spend.
_HISTORY_FIELDS = frozenset(
    {
        "dailyDrip",
        "pace",
        "elapsedFraction",
        "todayAllowance",
        "spentToday",
        "forecast",
        "runwayDays",
    }
)
#: Forecasts by (allocation, day, allocated, spent): recomputed when a spend or a transfer
#: changes the envelope, or the day turns; a spend elsewhere in the window changes `spent` of
#: the open envelope too (late charges land in the open period), so the key is enough.
_FORECASTS: OrderedDict[tuple[int, date, int, int], domain_forecast.Forecast] = OrderedDict()
_FORECASTS_MAX = 50_000


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
    project: Annotated[Project, strawberry.lazy("schema.types.project")] = strawberry.field(
        description="The project the envelope funds."
    )
    budget: Annotated[Budget, strawberry.lazy("schema.types.budget")] = strawberry.field(
        description="The budget the envelope belongs to."
    )
    rollover_override: RolloverPolicy | None = strawberry.field(
        description="This allocation's own rollover policy; null follows the budget."
    )
    rollover_policy: RolloverPolicy = strawberry.field(
        description="The rollover policy that applies when the period closes."
    )
    row: strawberry.Private[Any]
    memo: strawberry.Private[dict[str, Any]]

    @classmethod
    def build(cls, row: Any, budget: Budget, project: Project) -> Allocation:
        """From an allocation row (a model or a `Row` of `COLUMNS`), with its budget and project.

        Only the row, budget and project are stored: the figures (`amount`, `spent`, `status`…)
        are computed from the row's micros when read (`_FIGURES` below), so a page of 1,000
        that asks for two of them makes 2,000 Decimals, not 5,000 plus statuses and enums."""
        allocation = cls.__new__(cls)
        allocation.__dict__ = {"row": row, "budget": budget, "project": project, "memo": {}}
        return allocation

    # -- figures from the daily history -------------------------------------------------------

    def _bounds_and_today(self) -> Any:
        bounds = self.memo.get("bounds")
        if bounds is None:
            return self._load_bounds()
        return bounds, local_date(clock.now(), self.budget.timezone)

    async def _load_bounds(self) -> tuple[PeriodBounds, date]:
        info: Info = self.memo["info"]
        period = await info.context.loaders.period.load(self.row.period_id)
        self.memo["bounds"] = PeriodBounds(period.start_date, period.end_date)
        return self.memo["bounds"], local_date(clock.now(), self.budget.timezone)

    async def _load_history(self) -> dict[date, int]:
        info: Info = self.memo["info"]
        key = (self.row.budget_id, self.row.project_id)
        self.memo["history"] = daily_series(await info.context.loaders.daily_by_envelope.load(key))
        return self.memo["history"]

    def _ready(self) -> bool:
        return "history" in self.memo and "bounds" in self.memo

    def _pace(self, info: Info) -> Any:
        self.memo.setdefault("info", info)
        if self._ready():
            return self._pace_now()

        async def later() -> pacing.PaceFigures:
            await self._ensure()
            return self._pace_now()

        return later()

    async def _ensure(self) -> None:
        if "bounds" not in self.memo:
            await self._load_bounds()
        if "history" not in self.memo:
            await self._load_history()

    def _pace_now(self) -> pacing.PaceFigures:
        figures = self.memo.get("pace")
        if figures is None:
            bounds, today = self._bounds_and_today()
            figures = self.memo["pace"] = pacing.figures(
                bounds,
                today,
                self.row.allocated_micros,
                self.row.spent_micros,
                self.memo["history"],
            )
        return figures  # type: ignore[no-any-return]

    def _forecast_now(self) -> domain_forecast.Forecast:
        bounds, today = self._bounds_and_today()
        key = (self.row.id, today, self.row.allocated_micros, self.row.spent_micros)
        cached = _FORECASTS.get(key)
        if cached is None:
            cached = domain_forecast.forecast(
                self.memo["history"],
                bounds,
                today,
                self.row.allocated_micros,
                self.row.spent_micros,
            )
            _FORECASTS[key] = cached
            if len(_FORECASTS) > _FORECASTS_MAX:
                _FORECASTS.popitem(last=False)
        return cached

    def _forecast(self, info: Info) -> Any:
        self.memo.setdefault("info", info)
        if self._ready():
            return self._forecast_now()

        async def later() -> domain_forecast.Forecast:
            await self._ensure()
            return self._forecast_now()

        return later()

    @strawberry.field(
        description="Where this envelope's spend is heading by the period end (from the "
        "project's daily spend in this budget, across periods)."
    )
    def forecast(self, info: Info) -> Forecast:
        return pacing._then(self._forecast(info), Forecast.from_domain)  # type: ignore[no-any-return]

    @strawberry.field(
        description="Days until the money runs out at the current burn rate (remaining ÷ "
        "forecast.burnRatePerDay, 2 decimals); null when nothing is being spent."
    )
    def runway_days(self, info: Info) -> float | None:
        return pacing._then(self._forecast(info), _runway)  # type: ignore[no-any-return]

    @strawberry.field(
        description="The spend records of this envelope, oldest first (corrections included), "
        "optionally only one service's or those of a range of local days."
    )
    async def spends(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        service: Annotated[
            str | None,
            strawberry.argument(
                description='Only spends of this service (exact name, e.g. "aws-ec2"); '
                "omitted: every service."
            ),
        ] = None,
        from_date: Annotated[
            date | None,
            strawberry.argument(
                description="Only spends that occurred on or after this local day (the "
                "budget's time zone)."
            ),
        ] = None,
        to_date: Annotated[
            date | None,
            strawberry.argument(
                description="Only spends that occurred on or before this local day (the "
                "budget's time zone); before fromDate is a VALIDATION error."
            ),
        ] = None,
    ) -> Connection[Annotated[Spend, strawberry.lazy("schema.types.spend")]]:
        from schema.types.spend import Spend

        if from_date is not None and to_date is not None and to_date < from_date:
            raise ValidationError("toDate", "must be on or after fromDate")
        query = SpendRow.filter(allocation_id=self.row.id)
        if service is not None:
            query = query.filter(service=service)
        tz = self.budget.timezone
        if from_date is not None:
            query = query.filter(occurred_at__gte=local_midnight_utc(from_date, tz))
        if to_date is not None:
            following = to_date + timedelta(days=1)
            query = query.filter(occurred_at__lt=local_midnight_utc(following, tz))
        return await paginate(query, first, after, Spend.from_model)

    @strawberry.field(
        description="Each local day of the envelope's period up to today (or the last day with "
        "spend), its cumulative spend against the straight-line ideal (the allocated amount "
        "spread evenly over the period: `ideal` ends at `amount` on the last day). Spend the "
        "envelope counts but dated outside the period is carried to the first (last) point, "
        "shown in `outside` and included in `cumulative`, so the last point's cumulative is "
        "the envelope's `spent` (docs/periods.md)."
    )
    async def timeline(self, info: Info) -> list[TimelinePoint]:
        self.memo.setdefault("info", info)
        if "bounds" not in self.memo:
            await self._load_bounds()
        bounds, today = self._bounds_and_today()
        rows = (
            await SpendDaily.filter(allocation_id=self.row.id, period_id=self.row.period_id)
            .annotate(total=Sum("amount_micros"))
            .group_by("day")
            .values("day", "total")
        )
        daily = {r["day"]: int(r["total"] or 0) for r in rows}
        allocated = self.row.allocated_micros
        points = []
        for point in timeline_days(daily, bounds.start, bounds.end, today):
            elapsed = (point.day - bounds.start).days + 1
            points.append(
                TimelinePoint(
                    date=point.day,
                    spent=from_micros(point.spent),
                    outside=from_micros(point.outside),
                    cumulative=from_micros(point.cumulative),
                    ideal=from_micros(allocated * elapsed // bounds.days),
                )
            )
        return points

    @strawberry.field(description="This envelope's spend by service, largest first.")
    async def service_breakdown(self) -> list[ServiceCost]:
        from schema.types.budget_figures import service_costs

        return await service_costs(SpendDaily.filter(allocation_id=self.row.id))


def _rollover_override(a: Allocation) -> RolloverPolicy | None:
    own = a.row.rollover_policy
    return None if own is None else RolloverPolicy(own)


#: An allocation's money fields as micros of its row: the Decimal figures and the fast
#: executor's readers below are both made from these, so the two cannot disagree.
_MICROS: dict[str, Any] = {
    "amount": lambda r: r.allocated_micros,
    "spent": lambda r: r.spent_micros,
    "remaining": lambda r: r.allocated_micros - r.spent_micros,
    "held": lambda r: r.held_micros,
    "available": lambda r: r.allocated_micros - r.spent_micros - r.held_micros,
}


def _money(micros: Any, write: Any) -> Any:
    return lambda a: write(micros(a.row))


#: The figures of an allocation, each computed from its row when GraphQL (or code) reads it.
#: They are properties on the type, so the fast executor reads them as plain attributes.
_FIGURES: dict[str, Any] = {
    "id": lambda a: strawberry.ID(ids.encode("Allocation", a.row.id)),
    **{name: _money(micros, from_micros) for name, micros in _MICROS.items()},
    "percent_used": lambda a: percent_used(a.row.allocated_micros, a.row.spent_micros),
    "status": lambda a: status_band(
        a.row.allocated_micros, a.row.allocated_micros - a.row.spent_micros
    ),
    "alert_threshold": lambda a: a.row.alert_threshold,
    "notes": lambda a: a.row.notes,
    "rollover_override": _rollover_override,
    "rollover_policy": lambda a: RolloverPolicy(
        a.row.rollover_policy or a.budget.row.rollover_policy
    ),
}
for _name, _compute in _FIGURES.items():
    setattr(Allocation, _name, property(_compute))

#: What the fast executor writes for these fields, straight from the row (schema/execution.py):
#: the same text as the figures above once serialized, without making their Decimals.
Allocation.__graphql_readers__ = {  # type: ignore[attr-defined]
    "id": lambda a: ids.encode("Allocation", a.row.id),
    **{name: _money(micros, micros_text) for name, micros in _MICROS.items()},
}


def _runway(f: domain_forecast.Forecast) -> float | None:
    return None if f.runway_days is None else round(f.runway_days, 2)


# -- building pages -----------------------------------------------------------------------------


def wants_history(info: Info) -> bool:
    """Whether the field's selection (at any depth, fragments included) asks for a figure that
    needs the daily history. Over-approximates (a preload it did not need costs one query);
    a miss only costs the figures being loaded field by field."""
    return selects(info, _HISTORY_FIELDS)


async def allocations_for(
    info: Info,
    rows: Iterable[Any],
    *,
    budgets: Mapping[int, Budget] | None = None,
    projects: Mapping[int, Project] | None = None,
    bounds: PeriodBounds | None = None,
) -> list[Allocation]:
    """Build the allocations of `rows` (models, or `Row`s of `COLUMNS`), loading what they
    share — their budgets and projects, in one batched statement each when not given, and the
    page's daily history when the selection needs it. `bounds`: the period every row belongs
    to, when the caller knows it (rows then need not carry the period's dates: a page of
    1,000 parses 2,000 dates less)."""
    from schema.types.budget import Budget
    from schema.types.project import Project

    rows = list(rows)
    loaders = info.context.loaders
    budget_objects = dict(budgets or {})
    missing = sorted({r.budget_id for r in rows} - set(budget_objects))
    for row in await loaders.budget.load_many(missing):
        budget_objects[row.id] = Budget.from_model(row)
    project_objects = dict(projects or {})
    new_row = Row.__new__
    for r in rows:
        if r.project_id not in project_objects and isinstance(r, Row) and "project__name" in r:
            project = new_row(Row)
            project.__dict__ = {
                "id": r.project_id,
                "name": r.project__name,
                "slug": r.project__slug,
                "slack_channel": r.project__slack_channel,
            }
            project_objects[r.project_id] = Project.from_model(project)
    missing = sorted({r.project_id for r in rows} - set(project_objects))
    for row in await loaders.project.load_many(missing):
        project_objects[row.id] = Project.from_model(row)
    build = Allocation.build
    out = []
    for r in rows:
        allocation = build(r, budget_objects[r.budget_id], project_objects[r.project_id])
        memo = allocation.memo
        memo["info"] = info
        if bounds is not None:
            memo["bounds"] = bounds
        elif isinstance(r, Row) and "period__start_date" in r:
            memo["bounds"] = PeriodBounds(r.period__start_date, r.period__end_date)
        out.append(allocation)
    if out and wants_history(info):
        keys = [(a.row.budget_id, a.row.project_id) for a in out]
        for allocation, history in zip(
            out, await loaders.daily_by_envelope.load_many(keys), strict=True
        ):
            allocation.memo["history"] = daily_series(history)
        for allocation in out:
            if "bounds" not in allocation.memo:
                await allocation._load_bounds()
    return out


async def allocation_for(info: Info, row: AllocationRow) -> Allocation:
    return (await allocations_for(info, [row]))[0]


__all__ = [
    "COLUMNS",
    "PERIOD_COLUMNS",
    "Allocation",
    "allocation_for",
    "allocations_for",
    "wants_history",
]
