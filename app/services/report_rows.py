"""The rows of each report: async generators paging through the tables by id.

Money is an exact decimal string (full micro precision); a `Scope` says which budget, periods
and (for members) projects the rows cover.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tortoise.expressions import Q

from app.domain.money import from_micros
from app.domain.status import status_band
from app.models import Allocation, Budget, BudgetPeriod, JournalEntry, Spend

#: Rows fetched per query.
CHUNK_ROWS = 500

Row = dict[str, Any]

ALLOCATION_COLUMNS = (
    "period",
    "period_start",
    "period_end",
    "period_status",
    "project_slug",
    "project_name",
    "allocated",
    "spent",
    "remaining",
    "status",
)
SPEND_COLUMNS = (
    "spend_id",
    "period",
    "occurred_at",
    "local_day",
    "project_slug",
    "project_name",
    "service",
    "description",
    "amount",
    "currency",
    "source",
    "external_id",
    "quantity",
    "unit",
    "recorded_by",
    # Corrections (app.services.corrections): VOID / REFUND / MOVE and the spend corrected;
    # when the spend itself was voided or moved away.
    "correction_kind",
    "corrects_spend_id",
    "voided_at",
)
JOURNAL_COLUMNS = (
    "entry_id",
    "created_at",
    "kind",
    "from_account",
    "to_account",
    "amount",
    "memo",
    "transfer_id",
    "spend_id",
)
COLUMNS = {"allocations": ALLOCATION_COLUMNS, "spend": SPEND_COLUMNS, "journal": JOURNAL_COLUMNS}


@dataclass(frozen=True)
class Scope:
    """What one export covers: a budget, some of its periods, and (for members) some projects."""

    budget: Budget
    #: The periods covered, oldest first.
    periods: tuple[BudgetPeriod, ...]
    #: None: every project; otherwise the projects whose rows the actor may see.
    projects: tuple[int, ...] | None
    #: "all", or the period's seq as text: for file names.
    period_label: str

    @property
    def period_ids(self) -> list[int]:
        return [p.id for p in self.periods]


def money(micros: int | None) -> str | None:
    return None if micros is None else format(from_micros(int(micros)), "f")


def utc_iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


async def _chunks(query_for: Callable[[int], Any]) -> AsyncIterator[list[Row]]:
    """Keyset pages: `query_for(last_id)` returns the rows with id > last_id, ordered by id."""
    last = 0
    while True:
        rows = await query_for(last)
        if not rows:
            return
        yield rows
        if len(rows) < CHUNK_ROWS:
            return
        last = int(rows[-1]["id"])


# ---------------------------------------------------------------------------------------------
# Rows


async def _allocation_rows(scope: Scope) -> AsyncIterator[Row]:
    base = Allocation.filter(budget_id=scope.budget.id)
    if scope.projects is not None:
        base = base.filter(project_id__in=list(scope.projects))

    # Oldest period first, then by id: a period's allocations are contiguous in the file.
    for period in scope.periods:
        period_page = base.filter(period_id=period.id)

        def page_of(last: int, q: Any = period_page) -> Any:
            return (
                q.filter(id__gt=last)
                .order_by("id")
                .limit(CHUNK_ROWS)
                .values(
                    "id",
                    "allocated_micros",
                    "spent_micros",
                    "project__slug",
                    "project__name",
                )
            )

        async for chunk in _chunks(page_of):
            for r in chunk:
                allocated, spent = int(r["allocated_micros"]), int(r["spent_micros"])
                yield {
                    "period": period.seq,
                    "period_start": period.start_date.isoformat(),
                    "period_end": period.end_date.isoformat(),
                    "period_status": period.status,
                    "project_slug": r["project__slug"],
                    "project_name": r["project__name"],
                    "allocated": money(allocated),
                    "spent": money(spent),
                    "remaining": money(allocated - spent),
                    "status": status_band(allocated, allocated - spent).value,
                }


async def _spend_rows(scope: Scope) -> AsyncIterator[Row]:
    seq = {p.id: p.seq for p in scope.periods}
    base = Spend.filter(budget_id=scope.budget.id, allocation__period_id__in=list(seq))
    if scope.projects is not None:
        base = base.filter(project_id__in=list(scope.projects))

    def page(last: int) -> Any:
        return (
            base.filter(id__gt=last)
            .order_by("id")
            .limit(CHUNK_ROWS)
            .values(
                "id",
                "allocation__period_id",
                "occurred_at",
                "local_day",
                "project__slug",
                "project__name",
                "service",
                "description",
                "amount_micros",
                "source",
                "external_id",
                "quantity",
                "unit",
                "recorded_by__email",
                "correction_kind",
                "corrects_id",
                "voided_at",
            )
        )

    async for chunk in _chunks(page):
        for r in chunk:
            yield {
                "spend_id": int(r["id"]),
                "period": seq.get(r["allocation__period_id"]),
                "occurred_at": utc_iso(r["occurred_at"]),
                "local_day": r["local_day"].isoformat() if r["local_day"] else None,
                "project_slug": r["project__slug"],
                "project_name": r["project__name"],
                "service": r["service"],
                "description": r["description"],
                "amount": money(r["amount_micros"]),
                "currency": scope.budget.currency,
                "source": r["source"],
                "external_id": r["external_id"],
                "quantity": r["quantity"],
                "unit": r["unit"],
                "recorded_by": r["recorded_by__email"],
                "correction_kind": r["correction_kind"],
                "corrects_spend_id": r["corrects_id"],
                "voided_at": utc_iso(r["voided_at"]),
            }


def _account(kind: str, seq: int | None, slug: str | None) -> str:
    """FUNDING/1, POOL/1, ALLOCATION/1/genomics, SPENT/1: kind / period number / project."""
    parts = [kind]
    if seq is not None:
        parts.append(str(seq))
    if slug:
        parts.append(slug)
    return "/".join(parts)


async def _journal_rows(scope: Scope) -> AsyncIterator[Row]:
    period_ids = scope.period_ids
    base = JournalEntry.filter(budget_id=scope.budget.id).filter(
        Q(from_period_id__in=period_ids) | Q(to_period_id__in=period_ids)
    )
    if scope.projects is not None:
        # A member's rows: the entries that move money into or out of their own envelopes.
        mine = list(
            await Allocation.filter(
                budget_id=scope.budget.id, project_id__in=list(scope.projects)
            ).values_list("id", flat=True)
        )
        base = base.filter(Q(from_allocation_id__in=mine) | Q(to_allocation_id__in=mine))

    def page(last: int) -> Any:
        return (
            base.filter(id__gt=last)
            .order_by("id")
            .limit(CHUNK_ROWS)
            .values(
                "id",
                "created_at",
                "kind",
                "from_kind",
                "from_period__seq",
                "from_allocation__project__slug",
                "to_kind",
                "to_period__seq",
                "to_allocation__project__slug",
                "amount_micros",
                "memo",
                "transfer_id",
                "spend_id",
            )
        )

    async for chunk in _chunks(page):
        for r in chunk:
            yield {
                "entry_id": int(r["id"]),
                "created_at": utc_iso(r["created_at"]),
                "kind": r["kind"],
                "from_account": _account(
                    r["from_kind"], r["from_period__seq"], r["from_allocation__project__slug"]
                ),
                "to_account": _account(
                    r["to_kind"], r["to_period__seq"], r["to_allocation__project__slug"]
                ),
                "amount": money(r["amount_micros"]),
                "memo": r["memo"],
                "transfer_id": r["transfer_id"],
                "spend_id": r["spend_id"],
            }


ROWS = {"allocations": _allocation_rows, "spend": _spend_rows, "journal": _journal_rows}
