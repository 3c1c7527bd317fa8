"""The figures of a budget's PDF grant report, read under the export access rule.

Read-only. Everything is in micros (display rounding happens in the PDF layout). Scope and rows
come from app/services/reports.py (`resolve_scope`, the allocation and spend row generators'
rule): owners and admins see the whole budget, members and viewers their own projects plus the
shared pool. Spend per day and per service comes from the `spend_daily` roll-up, the same sums
as the GraphQL `Budget.timeline` and `serviceBreakdown`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from tortoise.expressions import Q
from tortoise.functions import Sum

from app import clock
from app.domain.access import Actor
from app.domain.periods import PeriodBounds, local_date
from app.domain.status import status_band
from app.domain.timeline import timeline_days
from app.models import Allocation, BudgetPeriod, Spend, SpendDaily, TransferRequest
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


@dataclass(frozen=True)
class CorrectionLine:
    """One correction entry of the covered periods (app.services.corrections): a new row that
    reverses, refunds or moves an earlier spend; the corrected spend keeps its amount."""

    recorded_at: datetime
    project: str
    #: "Void", "Refund", "Moved out" (the reversal on the old side) or "Moved in" (the new row).
    label: str
    #: Signed micros: a void, refund or move-out gives back (negative), a move-in charges.
    amount: int
    corrects: int
    #: The corrected spend's local day, and its period's seq when not one of the covered ones
    #: (a closed period's spend is corrected in the open period; its figures never change).
    corrects_day: date | None
    corrects_period: int | None
    #: A move's other side ("Another project" when the reader may not see it); else None.
    other_side: str | None
    reason: str
    by: str | None


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
    corrections: list[CorrectionLine] = field(default_factory=list)

    @property
    def corrections_net(self) -> int:
        """What the corrections add to `spent` (negative: they gave money back)."""
        return sum(c.amount for c in self.corrections)

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
        days = {d: v for (pid, d), v in daily.items() if pid == period.id}
        # Spend dated outside the period (an earlier bill's imported rows) is carried to its
        # first or last day (app.domain.timeline), so the line ends at the report's spent.
        points = timeline_days(days, period.start_date, period.end_date, today)
        for point in points:
            elapsed = (point.day - period.start_date).days + 1
            ideal = ideal_before + available * elapsed // bounds.days
            data.timeline.append((point.day, cumulative + point.cumulative, ideal))
        cumulative += points[-1].cumulative
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


#: Correction kinds as the report names them; a move has two sides (see `_label`).
_LABELS = {"VOID": "Void", "REFUND": "Refund"}
_CORRECTION_SOURCE = "correction"  # app.services.corrections.CORRECTION


def _label(kind: str, source: str) -> str:
    if kind == "MOVE":
        return "Moved out" if source == _CORRECTION_SOURCE else "Moved in"
    return _LABELS.get(kind, kind.title())


async def _corrections(data: ReportData) -> None:
    """The correction rows of the covered periods (in scope), oldest first, each with the spend
    it corrects and, for a move, the project on the other side."""
    scope = data.scope
    query = Spend.filter(
        budget_id=scope.budget.id,
        allocation__period_id__in=scope.period_ids,
        corrects_id__not_isnull=True,
    )
    if scope.projects is not None:
        query = query.filter(project_id__in=list(scope.projects))
    rows = await query.order_by("created_at", "id").values(
        "created_at",
        "project_id",
        "project__name",
        "amount_micros",
        "source",
        "correction_kind",
        "correction_reason",
        "corrects_id",
        "recorded_by__email",
    )
    if not rows:
        return
    corrected_ids = sorted({int(r["corrects_id"]) for r in rows})
    originals = {
        int(o["id"]): o
        for o in await Spend.filter(id__in=corrected_ids).values(
            "id", "local_day", "allocation__period_id"
        )
    }
    # A move's two sides correct the same spend: the other side's project, by spend corrected.
    sides = await Spend.filter(corrects_id__in=corrected_ids, correction_kind="MOVE").values(
        "corrects_id", "source", "project_id", "project__name"
    )
    mine = None if scope.projects is None else set(scope.projects)
    covered = set(scope.period_ids)
    period_ids = {int(o["allocation__period_id"]) for o in originals.values()} - covered
    seqs = {
        int(p["id"]): int(p["seq"])
        for p in await BudgetPeriod.filter(id__in=sorted(period_ids)).values("id", "seq")
    }

    def other(r: dict[str, Any]) -> str | None:
        if r["correction_kind"] != "MOVE":
            return None
        moved_out = r["source"] == _CORRECTION_SOURCE
        for side in sides:
            if side["corrects_id"] != r["corrects_id"]:
                continue
            if (side["source"] == _CORRECTION_SOURCE) == moved_out:
                continue  # this side itself
            if mine is not None and side["project_id"] not in mine:
                return OTHER_PROJECT
            return str(side["project__name"])
        return None

    for r in rows:
        original = originals.get(int(r["corrects_id"]))
        period_id = None if original is None else int(original["allocation__period_id"])
        data.corrections.append(
            CorrectionLine(
                recorded_at=r["created_at"],
                project=r["project__name"],
                label=_label(r["correction_kind"] or "", r["source"]),
                amount=int(r["amount_micros"]),
                corrects=int(r["corrects_id"]),
                corrects_day=None if original is None else original["local_day"],
                corrects_period=seqs.get(period_id) if period_id is not None else None,
                other_side=other(r),
                reason=r["correction_reason"] or "",
                by=r["recorded_by__email"],
            )
        )


async def load_report_data(actor: Actor, budget_id: int, period: str | int | None) -> ReportData:
    """Authorize (an invisible budget is NotFound) and read every figure of the report."""
    scope = await resolve_scope(actor, budget_id, period)
    data = ReportData(scope=scope, generated_at=clock.now())
    await _figures(data)
    await _services(data)
    await _timeline(data)
    await _transfers(data)
    await _corrections(data)
    return data
