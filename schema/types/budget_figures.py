"""What a viewer may see of a budget's current period, and the spend roll-ups it reads.

Figures come from cached balances and the roll-ups kept on write, never from summing the spend
table: the whole budget's timeline and services from the period totals (`spend_period_day`,
`spend_period_service`), a project's people's from their envelopes' `spend_daily` rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from tortoise.functions import Sum
from tortoise.queryset import QuerySet

from app.domain.money import from_micros
from app.models import Allocation as AllocationRow
from app.models import BudgetPeriod as PeriodRow
from app.models import SpendDaily, SpendPeriodDay, SpendPeriodService
from schema import scopes
from schema.context import Info
from schema.types.common import ServiceCost


async def service_costs(
    query: QuerySet[SpendDaily] | QuerySet[SpendPeriodService],
) -> list[ServiceCost]:
    rows = (
        await query.annotate(total=Sum("amount_micros"), n=Sum("count"))
        .group_by("service")
        .values("service", "total", "n")
    )
    rows.sort(key=lambda r: (-int(r["total"] or 0), r["service"]))
    return [
        ServiceCost(
            service=r["service"] or "(unspecified)",
            amount=from_micros(int(r["total"] or 0)),
            count=int(r["n"] or 0),
        )
        for r in rows
    ]


def available(p: PeriodRow | Figures) -> int:
    """What the period holds in all: its funding plus what rolled over into it (= pool +
    allocations). For an open period this is what remaining, pace and forecast count against."""
    return p.unallocated_micros + p.allocated_micros


@dataclass(frozen=True)
class Figures:
    """The current period's figures as the viewer may see them.

    Owners and admins see the whole budget. Members and viewers see the pool (its size and what
    is unallocated: they may ask for it) but spend only of their own projects: every spend-derived
    figure (spent, remaining, status, pace, timeline, services, forecast) covers their envelopes,
    so no other project's spend can be read or derived from a total.
    """

    period: PeriodRow
    funded_micros: int
    unallocated_micros: int
    allocated_micros: int
    spent_micros: int
    #: None: the whole budget; otherwise the projects whose spend the viewer may see.
    projects: list[int] | None

    @property
    def start_date(self) -> date:
        return self.period.start_date

    @property
    def end_date(self) -> date:
        return self.period.end_date

    def scoped(self, query: QuerySet[SpendDaily]) -> QuerySet[SpendDaily]:
        if self.projects is None:
            return query
        return query.filter(allocation__project_id__in=self.projects)

    def by_day(self, **filters: object) -> QuerySet[SpendDaily] | QuerySet[SpendPeriodDay]:
        """Rows to sum per day: the whole budget's from the period totals kept on write
        (O(days)); a project's people's from their envelopes' roll-up."""
        if self.projects is None:
            return SpendPeriodDay.filter(**filters)
        return self.scoped(SpendDaily.filter(**filters))

    def by_service(self, **filters: object) -> QuerySet[SpendDaily] | QuerySet[SpendPeriodService]:
        """Rows to sum per service, chosen as `by_day`."""
        if self.projects is None:
            return SpendPeriodService.filter(**filters)
        return self.scoped(SpendDaily.filter(**filters))


def visible_allocations(info: Info, budget_id: int, period_id: int) -> QuerySet[AllocationRow]:
    """Owners see every allocation; a project's people only their own projects'."""
    return scopes.allocations(info.context.actor, AllocationRow.filter(period_id=period_id))
