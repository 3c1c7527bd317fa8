"""The figures of a budget's PDF grant report, read under the export access rule.

Read-only. Everything is in micros (display rounding happens in the PDF layout). Scope and rows
come from app/services/reports.py (`resolve_scope`, the allocation and spend row generators'
rule): owners and admins see the whole budget, members and viewers their own projects plus the
shared pool. Spend per day and per service comes from the `spend_daily` roll-up, the same sums
as the GraphQL `Budget.timeline` and `serviceBreakdown`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from tortoise.expressions import Q
from tortoise.functions import Sum

from app import clock
from app.domain.access import Actor
from app.domain.periods import PeriodBounds, local_date
from app.domain.status import status_band
from app.models import Allocation, SpendDaily, TransferRequest
from app.services.report_rows import Scope
from app.services.reports import resolve_scope

POOL = "Pool"
#: How a member's report names the side of a transfer outside their projects.
OTHER_PROJECT = "Another project"


@dataclass(frozen=True)
class ProjectLine:
    period: int
    name: str
    slug: str
    allocated: int
    spent: int

    @property
    def remaining(self) -> int:
        return self.allocated - self.spent

    @property
    def status(self) -> str:
        return status_band(self.allocated, self.remaining).value


@dataclass(frozen=True)
class TransferLine:
    created_at: datetime
    source: str
    target: str
    amount: int
    reason: str
    status: str
    requested_by: str
    decided_by: str | None
    decided_at: datetime | None


@dataclass
class ReportData:
    scope: Scope
    generated_at: datetime
    funded: int = 0
    unallocated: int = 0
    allocated: int = 0
    spent: int = 0
    projects: list[ProjectLine] = field(default_factory=list)
    #: (service, amount, count), largest first.
    services: list[tuple[str, int, int]] = field(default_factory=list)
    #: (day, cumulative spent, cumulative straight-line ideal), across the covered periods.
    timeline: list[tuple[date, int, int]] = field(default_factory=list)
    transfers: list[TransferLine] = field(default_factory=list)

    @property
    def available(self) -> int:
        return self.unallocated + self.allocated

    @property
    def remaining(self) -> int:
        return self.available - self.spent

    @property
    def status(self) -> str:
        return status_band(self.available, self.remaining).value


def _daily_query(scope: Scope) -> Any:
    query = SpendDaily.filter(period_id__in=scope.period_ids)
    if scope.projects is not None:
        query = query.filter(allocation__project_id__in=list(scope.projects))
    return query


async def _figures(data: ReportData) -> None:
    scope = data.scope
    seq = {p.id: p.seq for p in scope.periods}
    query = Allocation.filter(budget_id=scope.budget.id, period_id__in=list(seq))
    if scope.projects is not None:
        query = query.filter(project_id__in=list(scope.projects))
    rows = await query.order_by("period_id", "project__name", "id").values(
        "period_id", "project__name", "project__slug", "allocated_micros", "spent_micros"
    )
    data.projects = [
        ProjectLine(
            period=seq[r["period_id"]],
            name=r["project__name"],
            slug=r["project__slug"],
            allocated=int(r["allocated_micros"]),
            spent=int(r["spent_micros"]),
        )
        for r in rows
    ]
    data.allocated = sum(p.allocated for p in data.projects)
    data.spent = sum(p.spent for p in data.projects)
    data.unallocated = sum(p.unallocated_micros for p in scope.periods)
    # Members: their envelopes plus the shared pool (the GraphQL `Budget.amount` rule).
    data.funded = (
        sum(p.funded_micros for p in scope.periods)
        if scope.projects is None
        else data.allocated + data.unallocated
    )


async def _services(data: ReportData) -> None:
    rows = (
        await _daily_query(data.scope)
        .annotate(total=Sum("amount_micros"), n=Sum("count"))
        .group_by("service")
        .values("service", "total", "n")
    )
    services = [
        (r["service"] or "(unspecified)", int(r["total"] or 0), int(r["n"] or 0)) for r in rows
    ]
    data.services = sorted(services, key=lambda s: (-s[1], s[0]))


async def _timeline(data: ReportData) -> None:
    """SUM(spend_daily) per day, cumulated; the ideal is each period's available spread evenly
    over its days (`Budget.timeline`), added up across periods."""
    scope = data.scope
    rows = (
        await _daily_query(scope)
        .annotate(total=Sum("amount_micros"))
        .group_by("period_id", "day")
        .values("period_id", "day", "total")
    )
    daily: dict[tuple[int, date], int] = {
        (r["period_id"], r["day"]): int(r["total"] or 0) for r in rows
    }
    envelopes: dict[int, int] = {}
    for line in data.projects:
        envelopes[line.period] = envelopes.get(line.period, 0) + line.allocated
    today = local_date(data.generated_at, scope.budget.timezone)
    cumulative = ideal_before = 0
    for period in scope.periods:
        available = period.unallocated_micros + envelopes.get(period.seq, 0)
        bounds = PeriodBounds(period.start_date, period.end_date)
        days_spent = [d for (pid, d) in daily if pid == period.id]
        last = min(max(today, max(days_spent, default=period.start_date)), period.end_date)
        day = period.start_date
        while day <= last:
            cumulative += daily.get((period.id, day), 0)
            elapsed = (day - period.start_date).days + 1
            ideal = ideal_before + available * elapsed // bounds.days
            data.timeline.append((day, cumulative, ideal))
            day += timedelta(days=1)
        ideal_before += available


async def _transfers(data: ReportData) -> None:
    scope = data.scope
    query = TransferRequest.filter(budget_id=scope.budget.id, period_id__in=scope.period_ids)
    mine = None if scope.projects is None else set(scope.projects)
    if mine is not None:
        query = query.filter(
            Q(from_allocation__project_id__in=list(mine))
            | Q(to_allocation__project_id__in=list(mine))
        )
    rows = await query.order_by("created_at", "id").values(
        "created_at",
        "from_allocation__project_id",
        "from_allocation__project__name",
        "to_allocation__project_id",
        "to_allocation__project__name",
        "amount_micros",
        "reason",
        "status",
        "requested_by__email",
        "decided_by__email",
        "decided_at",
    )

    def side(project_id: int | None, name: str | None) -> str:
        if project_id is None:
            return POOL
        if mine is not None and project_id not in mine:
            return OTHER_PROJECT
        return str(name)

    data.transfers = [
        TransferLine(
            created_at=r["created_at"],
            source=side(r["from_allocation__project_id"], r["from_allocation__project__name"]),
            target=side(r["to_allocation__project_id"], r["to_allocation__project__name"]),
            amount=int(r["amount_micros"]),
            reason=r["reason"],
            status=r["status"],
            requested_by=r["requested_by__email"],
            decided_by=r["decided_by__email"],
            decided_at=r["decided_at"],
        )
        for r in rows
    ]


async def load_report_data(actor: Actor, budget_id: int, period: str | int | None) -> ReportData:
    """Authorize (an invisible budget is NotFound) and read every figure of the report."""
    scope = await resolve_scope(actor, budget_id, period)
    data = ReportData(scope=scope, generated_at=clock.now())
    await _figures(data)
    await _services(data)
    await _timeline(data)
    await _transfers(data)
    return data
