from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any, TypeVar

import strawberry
from tortoise.expressions import Q
from tortoise.functions import Sum

from app import clock
from app.domain import forecast as domain_forecast
from app.domain.access import is_owner
from app.domain.money import from_micros
from app.domain.periods import PeriodBounds, first_period, local_date
from app.domain.periods import PeriodKind as DomainPeriodKind
from app.domain.status import percent_used, status_band
from app.domain.timeline import timeline_days
from app.models import Allocation as AllocationRow
from app.models import Budget as BudgetRow
from app.models import BudgetPeriod as PeriodRow
from app.models import JournalEntry
from app.services.calendars import calendar_of, first_period_prorated
from app.services.lookup import with_open_spent
from app.services.periods import preview_close
from schema import ids
from schema.context import Info, selects
from schema.loaders import HISTORY_DAYS
from schema.pagination import Connection, Row, paginate
from schema.types import pacing
from schema.types.allocation import COLUMNS as ALLOCATION_COLUMNS
from schema.types.allocation import PERIOD_COLUMNS as PERIOD_ALLOCATION_COLUMNS
from schema.types.allocation import Allocation, allocations_for
from schema.types.budget_figures import (
    Figures,
    available,
    service_costs,
    visible_allocations,
)
from schema.types.calendar import Weekday
from schema.types.common import (
    After,
    BudgetStatus,
    First,
    Forecast,
    PeriodKind,
    RolloverPolicy,
    ServiceCost,
    SlackPrivacy,
    TimelinePoint,
    TransferStatus,
)
from schema.types.node import Node
from schema.types.period import BudgetPeriod
from schema.types.rollover_preview import RolloverPreview
from schema.types.transfer import Transfer, visible_transfers
from schema.types.user import User

T = TypeVar("T")


@strawberry.type(
    description="A pool of money (a grant, a quarter, credits) divided among projects, period "
    "by period (id `bud_…`). Visible to its owners, admins, and the people of every project it "
    "funds. Owners see every figure; a project's people see the pool (amount and unallocated: "
    "they may ask for it) and figures derived from spend for their own projects only. Money "
    "fields are exact decimal strings in `currency`, for the current period."
)
class Budget(Node, pacing.PacingFields):
    id: strawberry.ID = strawberry.field(description="Opaque id, e.g. `bud_1`.")
    name: str = strawberry.field(description='Display name, e.g. "NSF CISE-2024-12345".')
    description: str | None = strawberry.field(description="Free text about the budget.")
    currency: str = strawberry.field(
        description="ISO 4217 code (e.g. USD) of every amount in this budget."
    )
    period_kind: PeriodKind = strawberry.field(
        description="How time is cut into periods: MONTHLY, QUARTERLY, ANNUAL (recurring) or "
        "GRANT, CUSTOM (one start–end period)."
    )
    start_date: date = strawberry.field(description="First day of the first period (local).")
    end_date: date | None = strawberry.field(
        description="Last day (local): required for GRANT and CUSTOM; for a recurring budget, "
        "when it stops (null: it goes on)."
    )
    timezone: str = strawberry.field(
        description='IANA time zone (e.g. America/New_York) of period boundaries, "today" '
        "and days left."
    )
    alert_thresholds: list[int] = strawberry.field(
        description="Percent-used levels that raise an alert once per envelope and period, "
        "sorted (default [50, 80, 100])."
    )
    rollover_policy: RolloverPolicy = strawberry.field(
        description="What carries into the next period when one closes (allocations may "
        "override it)."
    )
    hard_limit: bool = strawberry.field(
        description="When true, spend that would overdraw an envelope is refused "
        "(InsufficientFunds); when false, spend may overdraw and the status becomes EXHAUSTED."
    )
    enforce_pacing: bool = strawberry.field(
        description="When true, authorizeSpend refuses more than twice the daily drip in one day; "
        "with hardLimit too, recorded spend (recordSpend, recordSpends, reserveSpend) is held "
        "to the same cap (InsufficientFunds naming the pacing cap). Imports and credits are "
        "not paced."
    )
    allow_self_approval: bool = strawberry.field(
        description="When true, an owner may approve their own transfer request; otherwise "
        "another owner (or an admin) must."
    )
    auto_approve_below: Decimal | None = strawberry.field(
        description="Gifts and requests from the pool below this amount apply at once, without "
        "an owner; a request that takes from another project always waits. Null: none do."
    )
    transfer_expiry_days: int | None = strawberry.field(
        description="Pending transfer requests expire after this many days (1–365); null: never."
    )
    slack_channel: str | None = strawberry.field(
        description="Slack channel id where transfer requests and alerts are posted; null: "
        "owners get direct messages."
    )
    slack_privacy: SlackPrivacy = strawberry.field(
        description="What channel posts show of money (FULL, AMOUNTS, NONE)."
    )
    row: strawberry.Private[BudgetRow]
    #: Figures several fields share (the scoped totals, the forecast's history), fetched once
    #: per request however many fields ask (see `_once`).
    memo: strawberry.Private[dict[str, asyncio.Future[Any]]] = dataclasses.field(
        default_factory=dict
    )

    def _once(self, key: str, make: Callable[[], Awaitable[T]]) -> Awaitable[T]:
        """`make()` run once for this object, its result shared by every field that asks
        (concurrent ones too; a cancelled waiter leaves the shared task running)."""
        task = self.memo.get(key)
        if task is None:
            task = self.memo[key] = asyncio.ensure_future(make())
        return asyncio.shield(task)

    @classmethod
    def from_model(cls, row: BudgetRow) -> Budget:
        return cls(
            id=strawberry.ID(ids.encode("Budget", row.id)),
            name=row.name,
            description=row.description,
            currency=row.currency,
            period_kind=PeriodKind(row.period_kind),
            start_date=row.start_date,
            end_date=row.end_date,
            timezone=row.timezone,
            alert_thresholds=list(row.alert_thresholds or []),
            rollover_policy=RolloverPolicy(row.rollover_policy),
            hard_limit=row.hard_limit,
            enforce_pacing=row.enforce_pacing,
            allow_self_approval=row.allow_self_approval,
            auto_approve_below=None
            if row.auto_approve_below_micros is None
            else from_micros(row.auto_approve_below_micros),
            transfer_expiry_days=row.transfer_expiry_days,
            slack_channel=row.slack_channel,
            slack_privacy=SlackPrivacy(row.slack_privacy),
            row=row,
        )

    async def _period(self, info: Info) -> PeriodRow:
        periods = await info.context.loaders.current_period.load(self.row.id)
        return periods[0]

    async def _figures(self, info: Info) -> Figures:
        """The period's figures, scoped to what the viewer may see (see `Figures`)."""
        return await self._once("figures", lambda: self._load_figures(info))

    async def _load_figures(self, info: Info) -> Figures:
        p = await self._period(info)
        actor = info.context.actor
        if is_owner(actor, self.row.id):
            return Figures(
                p, p.funded_micros, p.unallocated_micros, p.allocated_micros, p.spent_micros, None
            )
        mine = list(actor.project_roles)
        sums = await visible_allocations(info, self.row.id, p.id).values_list(
            "allocated_micros", "spent_micros"
        )
        allocated = sum(int(a) for a, _ in sums)  # type: ignore[misc]
        spent = sum(int(b) for _, b in sums)  # type: ignore[misc]
        # Their view of the budget is their envelopes plus the shared pool.
        return Figures(
            p, allocated + p.unallocated_micros, p.unallocated_micros, allocated, spent, mine
        )

    @strawberry.field(
        description="The open period (or the last one, once the budget ended), with its figures "
        "as the viewer may see them."
    )
    async def current_period(self, info: Info) -> BudgetPeriod:
        f = await self._figures(info)
        scope = None if f.projects is None else (f.allocated_micros, f.spent_micros)
        return BudgetPeriod.from_model(f.period, self.row, scope)

    @strawberry.field(
        description="Funding of the current period: the budget's amount or the period's "
        "planned amount (what rolled over is carriedIn, so allocated + unallocated = amount + "
        "carriedIn). For a project's people: their envelopes plus the unallocated pool."
    )
    async def amount(self, info: Info) -> Decimal:
        return from_micros((await self._figures(info)).funded_micros)

    @strawberry.field(
        description="Sum of the envelopes' amounts (for a project's people: of their projects)."
    )
    async def allocated(self, info: Info) -> Decimal:
        return from_micros((await self._figures(info)).allocated_micros)

    @strawberry.field(
        description="The pool: money not in any envelope, which owners may allocate and anyone "
        "in the budget may ask for. Never negative."
    )
    async def unallocated(self, info: Info) -> Decimal:
        return from_micros((await self._figures(info)).unallocated_micros)

    @strawberry.field(
        description="Net spend of the current period (for a project's people: of their projects)."
    )
    async def spent(self, info: Info) -> Decimal:
        return from_micros((await self._figures(info)).spent_micros)

    @strawberry.field(
        description="(allocated + unallocated) − spent: what is left in the pool and the "
        "envelopes; negative when envelopes overspent more than the pool holds."
    )
    async def remaining(self, info: Info) -> Decimal:
        f = await self._figures(info)
        return from_micros(available(f) - f.spent_micros)

    @strawberry.field(
        description="spent ÷ (allocated + unallocated) × 100, for display; may exceed 100."
    )
    async def percent_used(self, info: Info) -> float:
        f = await self._figures(info)
        return percent_used(available(f), f.spent_micros)

    @strawberry.field(
        description="Band of remaining ÷ (allocated + unallocated): HEALTHY, WARNING (< 25%), "
        "CRITICAL (< 10%), EXHAUSTED (≤ 0)."
    )
    async def status(self, info: Info) -> BudgetStatus:
        f = await self._figures(info)
        return status_band(available(f), available(f) - f.spent_micros)

    async def _pace(self, info: Info) -> pacing.PaceFigures:
        f = await self._figures(info)
        today = local_date(clock.now(), self.row.timezone)
        return pacing.figures(
            PeriodBounds(f.start_date, f.end_date),
            today,
            available(f),
            f.spent_micros,
            await self._history(f, today),
        )

    @strawberry.field(
        description="Carried into the current period from the one before by rollover "
        "(negative when an overspend carried under CARRY_ALL); 0 once the budget ended. For a "
        "project's people: into the pool and their envelopes."
    )
    async def carried_in(self, info: Info) -> Decimal:
        p = await self._period(info)
        if p.status != "OPEN":
            return Decimal(0)
        if is_owner(info.context.actor, self.row.id):
            return from_micros(available(p) - p.funded_micros)
        # Members: what rolled into the pool and into their own envelopes, nothing else.
        mine = set(await visible_allocations(info, self.row.id, p.id).values_list("id", flat=True))
        entries = await JournalEntry.filter(
            Q(to_period_id=p.id) | Q(from_period_id=p.id), kind="ROLLOVER"
        ).values_list(
            "from_period_id",
            "from_allocation_id",
            "to_period_id",
            "to_allocation_id",
            "to_kind",
            "amount_micros",
        )
        total = 0
        for from_period, from_alloc, to_period, to_alloc, to_kind, amount in entries:
            if to_period == p.id and (to_alloc in mine or (to_alloc is None and to_kind == "POOL")):
                total += amount  # type: ignore[operator]
            elif from_period == p.id and from_alloc in mine:
                total -= amount  # type: ignore[operator]  # an overspend carried as a debt
        return from_micros(total)

    @strawberry.field(
        description="The most one envelope (or the pool) carries into the next period; "
        "null: no cap."
    )
    def rollover_cap(self) -> Decimal | None:
        cap = self.row.rollover_cap_micros
        return None if cap is None else from_micros(cap)

    @strawberry.field(
        description="Future periods funded with another amount than the budget's "
        "(setPlannedAmount), by start date."
    )
    async def planned_amounts(self) -> list[pacing.PlannedAmount]:
        from app.models import BudgetPlan

        rows = await BudgetPlan.filter(budget_id=self.row.id).order_by("period_start")
        return [
            pacing.PlannedAmount(period_start=r.period_start, amount=from_micros(r.amount_micros))
            for r in rows
        ]

    @strawberry.field(
        description="When the budget was archived (archiveBudget): read-only and left out of "
        "lists unless includeArchived; null when it is not archived."
    )
    def archived_at(self) -> datetime | None:
        return getattr(self.row, "archived_at", None)

    @strawberry.field(
        description="The envelopes of the current period (for a project's people: their own "
        "projects'), in id order; a released envelope nothing was spent on is left out."
    )
    async def allocations(
        self, info: Info, first: First = None, after: After = None
    ) -> Connection[Allocation]:
        p = await self._period(info)

        bounds = PeriodBounds(p.start_date, p.end_date)

        async def build(rows: list[Any]) -> list[Allocation]:
            return await allocations_for(info, rows, budgets={self.row.id: self}, bounds=bounds)

        return await paginate(
            visible_allocations(info, self.row.id, p.id).filter(released_at=None),
            first,
            after,
            build_all=build,
            columns=PERIOD_ALLOCATION_COLUMNS,
        )

    @strawberry.field(
        description="The envelopes that spent most this period, largest first (among those "
        "the viewer may see)."
    )
    async def top_spenders(
        self,
        info: Info,
        limit: Annotated[
            int, strawberry.argument(description="How many (0–100; outside that, clamped).")
        ] = 5,
    ) -> list[Allocation]:
        p = await self._period(info)
        limit = max(0, min(limit, 100))
        rows = (
            await visible_allocations(info, self.row.id, p.id)
            .order_by("-spent_micros", "id")
            .limit(limit)
            .values(*ALLOCATION_COLUMNS)
        )
        return await allocations_for(info, [Row(r) for r in rows], budgets={self.row.id: self})

    async def _daily(self, f: Figures) -> dict[date, int]:
        rows = (
            await f.by_day(period_id=f.period.id)
            .annotate(total=Sum("amount_micros"))
            .group_by("day")
            .values("day", "total")
        )
        return {r["day"]: int(r["total"] or 0) for r in rows}

    async def _history(self, f: Figures, today: date) -> dict[date, int]:
        """Daily spend of the recent weeks, across periods (the forecast window, see
        docs/forecast.md): a young period learns from the end of the previous one. Read once
        per request (pace, dailyDrip and forecast all need it)."""
        return await self._once(f"history:{today}", lambda: self._load_history(f, today))

    async def _load_history(self, f: Figures, today: date) -> dict[date, int]:
        rows = (
            await f.by_day(
                period__budget_id=self.row.id, day__gte=today - timedelta(days=HISTORY_DAYS + 7)
            )
            .annotate(total=Sum("amount_micros"))
            .group_by("day")
            .values("day", "total")
        )
        return {r["day"]: int(r["total"] or 0) for r in rows}

    @strawberry.field(
        description="Each local day of the current period up to today (or the last day with "
        "spend), with the straight-line ideal. Spend the period counts but dated outside it "
        "(imported rows of an earlier bill, dated before the start; spend dated after the end) "
        "is carried to the first (last) point, shown in `outside` and included in "
        "`cumulative`, so the last point's cumulative is the period's `spent` (docs/periods.md)."
    )
    async def timeline(self, info: Info) -> list[TimelinePoint]:
        p = await self._figures(info)
        daily = await self._daily(p)
        today = local_date(clock.now(), self.row.timezone)
        bounds = PeriodBounds(p.start_date, p.end_date)
        points = []
        for point in timeline_days(daily, p.start_date, p.end_date, today):
            elapsed = (point.day - p.start_date).days + 1
            ideal = available(p) * elapsed // bounds.days
            points.append(
                TimelinePoint(
                    date=point.day,
                    spent=from_micros(point.spent),
                    outside=from_micros(point.outside),
                    cumulative=from_micros(point.cumulative),
                    ideal=from_micros(ideal),
                )
            )
        return points

    @strawberry.field(
        description="The current period's spend by service, largest first (for a project's "
        "people: their projects')."
    )
    async def service_breakdown(self, info: Info) -> list[ServiceCost]:
        f = await self._figures(info)
        return await service_costs(f.by_service(period_id=f.period.id))

    @strawberry.field(
        description="Where the current period's spend is heading, against everything "
        "available (allocated + unallocated)."
    )
    async def forecast(self, info: Info) -> Forecast:
        p = await self._figures(info)
        today = local_date(clock.now(), self.row.timezone)
        f = domain_forecast.forecast(
            await self._history(p, today),
            PeriodBounds(p.start_date, p.end_date),
            today,
            available(p),
            p.spent_micros,
        )
        return Forecast.from_domain(f)

    @strawberry.field(
        description="Transfer requests of this budget the viewer may see (owners: all; others: "
        "their own requests and those touching their projects), in id order."
    )
    async def transfers(
        self,
        info: Info,
        status: Annotated[
            TransferStatus | None,
            strawberry.argument(description="Only requests in this status; omitted: all."),
        ] = None,
        first: First = None,
        after: After = None,
    ) -> Connection[Transfer]:
        query = visible_transfers(info).filter(budget_id=self.row.id)
        if status is not None:
            query = query.filter(status=status.value)
        if not selects(info, ("requestedBy",)):
            return await paginate(query, first, after, Transfer.from_model)
        # Asked for the requesters: read them with the page (a join, not a statement more)
        # and hand them to the user loader, where `requestedBy` finds them.
        page = await paginate(
            query.select_related("requested_by"), first, after, Transfer.from_model
        )
        info.context.loaders.user.prime_many(
            {t.row.requested_by_id: t.row.requested_by for t in page.nodes}
        )
        return page

    @strawberry.field(
        description="The budget's owners (its PIs): they allocate, decide transfers and close "
        "periods."
    )
    async def owners(self, info: Info) -> list[User]:
        links = await info.context.loaders.owners.load(self.row.id)
        return [User.from_model(link.user) for link in links]

    @strawberry.field(
        description="Every period of the budget, oldest first; a closed one keeps its final "
        "figures (for a project's people: their projects' figures)."
    )
    async def periods(self, info: Info) -> list[BudgetPeriod]:
        rows = list(
            await with_open_spent(await PeriodRow.filter(budget_id=self.row.id).order_by("seq"))
        )
        actor = info.context.actor
        if is_owner(actor, self.row.id):
            return [BudgetPeriod.from_model(r, self.row) for r in rows]
        sums: dict[int, tuple[int, int]] = {}
        for period_id, allocated, spent in await AllocationRow.filter(
            budget_id=self.row.id, project_id__in=list(actor.project_roles)
        ).values_list("period_id", "allocated_micros", "spent_micros"):
            a, s = sums.get(period_id, (0, 0))  # type: ignore[call-overload]
            sums[period_id] = (a + allocated, s + spent)  # type: ignore[index,operator]
        return [BudgetPeriod.from_model(r, self.row, sums.get(r.id, (0, 0))) for r in rows]

    @strawberry.field(
        description="How many PENDING transfer requests of this budget the viewer may see "
        "(the owners' inbox count)."
    )
    async def pending_transfer_count(self, info: Info) -> int:
        return await visible_transfers(info).filter(budget_id=self.row.id, status="PENDING").count()

    # --- The calendar (anchors, first-period proration) and the rollover preview ------------
    # Small resolvers reading the budget row (and, for firstPeriodAmount and rolloverPreview,
    # one query each): app.services.calendars and app.services.periods.preview_close.

    @strawberry.field(
        description="The month (1–12) QUARTERLY and ANNUAL periods begin in: 7 is a fiscal "
        "year from 1 July; fiscal quarters begin in it and every third month after it. Null "
        "for other kinds."
    )
    def fiscal_year_start_month(self) -> int | None:
        kind = DomainPeriodKind(self.row.period_kind)
        if kind not in (DomainPeriodKind.QUARTERLY, DomainPeriodKind.ANNUAL):
            return None
        return int(self.row.fiscal_year_start_month)

    @strawberry.field(
        description="The day of the month (1–28) MONTHLY, QUARTERLY and ANNUAL periods begin "
        "on: with 15 a month runs from the 15th to the 14th. Null for other kinds."
    )
    def reset_day(self) -> int | None:
        if DomainPeriodKind(self.row.period_kind).months is None:
            return None
        return int(self.row.reset_day)

    @strawberry.field(description="The first day of a WEEKLY budget's weeks; null for other kinds.")
    def week_start(self) -> Weekday | None:
        if DomainPeriodKind(self.row.period_kind) is not DomainPeriodKind.WEEKLY:
            return None
        return Weekday(self.row.week_start)  # type: ignore[no-any-return]

    @strawberry.field(
        description="Whether the budget asked for a prorated first period (createBudget's "
        "prorateFirstPeriod); see firstPeriodProrated for whether it applied."
    )
    def prorate_first_period(self) -> bool:
        return bool(self.row.prorate_first_period)

    @strawberry.field(
        description="True when the first period was funded with a prorated amount: the budget "
        "asked for it and its first period is shorter than the calendar period it is part of "
        "(amount × its days ÷ the whole period's days, rounded down to the micro). False: the "
        "first period was funded with the whole amount."
    )
    def first_period_prorated(self) -> bool:
        budget = self.row
        first = first_period(calendar_of(budget), budget.start_date, budget.end_date)
        return first_period_prorated(budget, first)

    @strawberry.field(
        description="What the first period was funded with (its amount, prorated or whole, "
        "plus any later change of the budget's amount while it was open). Owners and admins; "
        "null for a project's people, who see a period's funding as their envelopes plus the "
        "pool (periods.amount)."
    )
    async def first_period_amount(self, info: Info) -> Decimal | None:
        if not is_owner(info.context.actor, self.row.id):
            return None
        funded = await PeriodRow.filter(budget_id=self.row.id, seq=1).values_list(
            "funded_micros", flat=True
        )
        return from_micros(int(funded[0])) if funded else None

    @strawberry.field(
        description="What would carry into the next period if the open period closed now, "
        "under each envelope's policy and the rolloverCap, computed by the close's own rules "
        "without changing anything. Owners see every envelope; a project's people the pool and "
        "their own envelopes. Null once the budget has ended."
    )
    async def rollover_preview(self, info: Info) -> RolloverPreview | None:
        preview = await preview_close(self.row, clock.now())
        if preview is None:
            return None
        return RolloverPreview.from_preview(self.row.id, preview, self.row.rollover_policy)
