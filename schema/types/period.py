from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import strawberry

from app.domain.money import from_micros
from app.domain.status import percent_used
from app.models import Budget as BudgetRow
from app.models import BudgetPeriod as PeriodRow
from schema import ids


@strawberry.type(
    description="One period of a budget (a month, a quarter, a year, or a grant's whole span); "
    "a closed one keeps its final figures. Owners see the whole period; a project's people see "
    "the pool and their own projects' figures. Money fields are exact decimal strings."
)
class BudgetPeriod:
    id: strawberry.ID = strawberry.field(description="Opaque id of the period, e.g. `per_4`.")
    seq: int = strawberry.field(description="1 for the first period, then 2, 3, …")
    start_date: date = strawberry.field(description="First day (local to the budget).")
    end_date: date = strawberry.field(
        description="Last day (local); a period closed early ends on the day it closed."
    )
    status: str = strawberry.field(
        description="OPEN (takes spend and allocation) or CLOSED (archived, read-only)."
    )
    amount: Decimal = strawberry.field(
        description="The period's funding (the budget's or a planned amount; rollover not "
        "included). For a project's people: their envelopes plus the pool."
    )
    allocated: Decimal = strawberry.field(description="Sum of the period's envelopes.")
    unallocated: Decimal = strawberry.field(description="The period's pool: not in any envelope.")
    spent: Decimal = strawberry.field(description="Net spend recorded in the period.")
    remaining: Decimal = strawberry.field(
        description="Pool + envelopes − spent: what is left (for a closed period, what was left "
        "and did not carry over). May be negative."
    )
    percent_used: float = strawberry.field(description="spent ÷ amount × 100, for display.")
    closed_at: datetime | None = strawberry.field(
        description="When it closed (UTC, by the scheduler or closePeriod); null while OPEN."
    )

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
