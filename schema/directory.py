"""Names and ids of the allocations a user may name in a transfer request.

A member asking for money from (or giving it to) another project must be able to name that
project, though they cannot see its figures: this lists names and ids only, of the current
period of every budget the user can see.
"""

from __future__ import annotations

from typing import Annotated

import strawberry
from tortoise.expressions import Q

from app.models import Allocation as AllocationRow
from app.services.lookup import current_period
from schema import ids
from schema.context import Info


@strawberry.type(
    description="An allocation's name and id, without its figures: enough to name another "
    "project in a transfer request."
)
class AllocationRef:
    id: strawberry.ID = strawberry.field(description="The allocation's id (`alc_…`).")
    budget_id: strawberry.ID = strawberry.field(description="Its budget's id.")
    budget_name: str = strawberry.field(description="Its budget's name.")
    currency: str = strawberry.field(description="Its budget's currency.")
    project_id: strawberry.ID = strawberry.field(description="Its project's id.")
    project_name: str = strawberry.field(description="Its project's name.")
    project_slug: str = strawberry.field(description="Its project's slug.")


@strawberry.type
class DirectoryQueries:
    @strawberry.field(
        description="Allocations of the current period of the budgets you can "
        "see, names and ids only (so a member can name another project in a request): at most "
        "100 budgets and 200 allocations per budget."
    )
    async def allocation_directory(
        self,
        info: Info,
        search: Annotated[
            str | None,
            strawberry.argument(
                description="Project name contains it, or slug equals it (case-insensitive)."
            ),
        ] = None,
        budget_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Only this budget.")
        ] = None,
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
