from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import strawberry

from app.domain.money import from_micros
from app.domain.status import percent_used
from app.models import Budget as BudgetRow
from app.models import BudgetPeriod as PeriodRow
from schema import ids


@strawberry.type(description="One period of a budget; a closed one keeps its final figures.")
class BudgetPeriod:
    id: strawberry.ID
    seq: int
    start_date: date
    end_date: date
    status: str
    amount: Decimal
    allocated: Decimal
    unallocated: Decimal
    spent: Decimal
    remaining: Decimal
    percent_used: float
    closed_at: datetime | None

    @classmethod
    def from_model(
        cls,
        row: PeriodRow,
        budget: BudgetRow | None = None,
        scope: tuple[int, int] | None = None,
    ) -> BudgetPeriod:
        """`scope` = (allocated, spent) of the viewer's own envelopes, for members: they see the
        pool and their projects' figures, never another project's spend."""
        if scope is not None:
            allocated, spent = scope
            funded = allocated + row.unallocated_micros
            return cls(
                id=strawberry.ID(ids.encode("BudgetPeriod", row.id)),
                seq=row.seq,
                start_date=row.start_date,
                end_date=row.end_date,
                status=row.status,
                amount=from_micros(funded),
                allocated=from_micros(allocated),
                unallocated=from_micros(row.unallocated_micros),
                spent=from_micros(spent),
                remaining=from_micros(funded - spent),
                percent_used=percent_used(funded, spent),
                closed_at=row.closed_at,
            )
        return cls(
            id=strawberry.ID(ids.encode("BudgetPeriod", row.id)),
            seq=row.seq,
            start_date=row.start_date,
            end_date=row.end_date,
            status=row.status,
            amount=from_micros(row.funded_micros),
            allocated=from_micros(row.allocated_micros),
            unallocated=from_micros(row.unallocated_micros),
            spent=from_micros(row.spent_micros),
            # Pool + allocations − spent: with rollover, what is left in the period (for a
            # closed period, what was left and did not carry over).
            remaining=from_micros(row.unallocated_micros + row.allocated_micros - row.spent_micros),
            percent_used=percent_used(row.funded_micros, row.spent_micros),
            closed_at=row.closed_at,
        )
