from __future__ import annotations

from decimal import Decimal

import strawberry

from app.domain.access import can_view_allocation, can_view_budget
from app.domain.errors import NotFound, ValidationError
from app.domain.money import from_micros
from app.models import Allocation as AllocationRow
from app.models import Budget as BudgetRow
from app.models import Spend as SpendRow
from app.models import User as UserRow
from app.services import authorize
from schema import ids, scopes
from schema.context import Info
from schema.pagination import Connection, paginate
from schema.types.allocation import Allocation
from schema.types.budget import Budget
from schema.types.common import TransferStatus
from schema.types.node import Node
from schema.types.project import Project
from schema.types.spend import Spend
from schema.types.transfer import Transfer, visible_transfers
from schema.types.user import User


@strawberry.type
class SpendDecision:
    allowed: bool
    reason: str | None
    remaining: Decimal
    daily_allowance: Decimal | None


def _visible_projects(info: Info):  # type: ignore[no-untyped-def]
    """Project names: everyone who may fund a project sees all of them (figures stay behind the
    allocation rule); others their own (app.domain.access.project_scope)."""
    return scopes.projects(info.context.actor)


def _visible_budgets(info: Info):  # type: ignore[no-untyped-def]
    return scopes.budgets(info.context.actor)


#: Longest `search:` text: a name is at most 200 characters, so a longer search finds nothing.
MAX_SEARCH = 200


def _search(query, search: str | None):  # type: ignore[no-untyped-def]
    if search:
        if len(search) > MAX_SEARCH:
            raise ValidationError("search", f"must be at most {MAX_SEARCH} characters")
        return query.filter(name__icontains=search.strip())
    return query


async def _budget_visible(info: Info, row: BudgetRow) -> bool:
    project_ids = [
        r["project_id"] for r in await info.context.loaders.project_ids_by_budget.load(row.id)
    ]
    return can_view_budget(info.context.actor, row.id, project_ids)


@strawberry.type
class Query:
    @strawberry.field(description="The user the request acts as.")
    def viewer(self, info: Info) -> User:
        info.context.actor  # noqa: B018 - raises when unauthenticated
        assert info.context.user is not None
        return User.from_model(info.context.user)

    @strawberry.field
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        try:
            kind, pk = ids.decode_any(id)
        except NotFound:
            return None
        actor = info.context.actor
        if kind == "Budget":
            row = await BudgetRow.get_or_none(id=pk)
            return Budget.from_model(row) if row and await _budget_visible(info, row) else None
        if kind == "Project":
            row = await _visible_projects(info).filter(id=pk).first()
            return Project.from_model(row) if row else None
        if kind == "Allocation":
            row = await AllocationRow.get_or_none(id=pk)
            ok = row and can_view_allocation(actor, row.budget_id, row.project_id)  # type: ignore[attr-defined]
            return Allocation.from_model(row) if ok else None
        if kind == "Spend":
            row = await SpendRow.get_or_none(id=pk)
            ok = row and can_view_allocation(actor, row.budget_id, row.project_id)  # type: ignore[attr-defined]
            return Spend.from_model(row) if ok else None
        if kind == "Transfer":
            row = await visible_transfers(info).filter(id=pk).first()
            return Transfer.from_model(row) if row else None
        if kind == "User":
            row = await UserRow.get_or_none(id=pk)
            return User.from_model(row) if row and (actor.is_admin or pk == actor.user_id) else None
        return None

    @strawberry.field
    async def projects(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        search: str | None = None,
    ) -> Connection[Project]:
        return await paginate(
            _search(_visible_projects(info), search), first, after, Project.from_model
        )

    @strawberry.field(description="A project by id or by slug.")
    async def project(
        self, info: Info, id: strawberry.ID | None = None, slug: str | None = None
    ) -> Project | None:
        if (id is None) == (slug is None):
            raise ValidationError("id", "give exactly one of id and slug")
        if slug is not None and len(slug) > 100:
            raise ValidationError("slug", "must be at most 100 characters")
        query = _visible_projects(info)
        query = query.filter(id=ids.decode(id, "Project", "id")) if id else query.filter(slug=slug)
        row = await query.first()
        return Project.from_model(row) if row else None

    @strawberry.field
    async def budgets(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        search: str | None = None,
    ) -> Connection[Budget]:
        return await paginate(
            _search(_visible_budgets(info), search), first, after, Budget.from_model
        )

    @strawberry.field
    async def budget(self, info: Info, id: strawberry.ID) -> Budget | None:
        row = await BudgetRow.get_or_none(id=ids.decode(id, "Budget", "id"))
        if row is None or not await _budget_visible(info, row):
            return None
        return Budget.from_model(row)

    @strawberry.field
    async def transfers(
        self,
        info: Info,
        status: TransferStatus | None = None,
        first: int | None = None,
        after: str | None = None,
        budget_id: strawberry.ID | None = None,
    ) -> Connection[Transfer]:
        query = visible_transfers(info)
        if status is not None:
            query = query.filter(status=status.value)
        if budget_id is not None:
            query = query.filter(budget_id=ids.decode(budget_id, "Budget", "budgetId"))
        return await paginate(query, first, after, Transfer.from_model)

    @strawberry.field(description="May this project spend this much now? Counts open holds.")
    async def authorize_spend(
        self,
        info: Info,
        project_id: strawberry.ID,
        amount: Decimal,
        budget_id: strawberry.ID | None = None,
    ) -> SpendDecision:
        d = await authorize.authorize_spend(
            info.context.actor,
            project_id=ids.decode(project_id, "Project", "projectId"),
            amount=amount,
            budget_id=ids.decode_optional(budget_id, "Budget", "budgetId"),
        )
        return SpendDecision(
            allowed=d.allowed,
            reason=d.reason,
            remaining=from_micros(d.remaining),
            daily_allowance=None if d.daily_allowance is None else from_micros(d.daily_allowance),
        )
