"""Names and ids of the allocations a user may name in a transfer request.

A member asking for money from (or giving it to) another project must be able to name that
project, though they cannot see its figures: this lists names and ids only, of the current
period of every budget the user can see.
"""

from __future__ import annotations

import strawberry
from tortoise.expressions import Q

from app.models import Allocation as AllocationRow
from app.services.lookup import current_period
from schema import ids
from schema.context import Info


@strawberry.type(description="An allocation's name and id, without its figures.")
class AllocationRef:
    id: strawberry.ID
    budget_id: strawberry.ID
    budget_name: str
    currency: str
    project_id: strawberry.ID
    project_name: str
    project_slug: str


@strawberry.type
class DirectoryQueries:
    @strawberry.field(
        description="Allocations of the current period of the budgets you can "
        "see, by project name or slug (case-insensitive, contains)."
    )
    async def allocation_directory(
        self,
        info: Info,
        search: str | None = None,
        budget_id: strawberry.ID | None = None,
    ) -> list[AllocationRef]:
        from schema.queries import _visible_budgets

        budgets = _visible_budgets(info)
        if budget_id is not None:
            budgets = budgets.filter(id=ids.decode(budget_id, "Budget", "budgetId"))
        out: list[AllocationRef] = []
        for budget in await budgets.order_by("id").limit(100):
            period = await current_period(budget.id)
            if period is None:
                continue
            query = AllocationRow.filter(period_id=period.id).select_related("project")
            if search:
                term = search.strip()
                query = query.filter(
                    Q(project__name__icontains=term) | Q(project__slug__iexact=term)
                )
            for row in await query.order_by("id").limit(200):
                out.append(
                    AllocationRef(
                        id=strawberry.ID(ids.encode("Allocation", row.id)),
                        budget_id=strawberry.ID(ids.encode("Budget", budget.id)),
                        budget_name=budget.name,
                        currency=budget.currency,
                        project_id=strawberry.ID(ids.encode("Project", row.project.id)),
                        project_name=row.project.name,
                        project_slug=row.project.slug,
                    )
                )
        return out
