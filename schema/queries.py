"""The core reads: viewer, node, projects, budgets, transfers and authorizeSpend.

A read never fails for lack of rights: what you may not see is null or absent from a list.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

import strawberry
from tortoise.expressions import Q

from app.domain.access import can_view_allocation, can_view_budget, is_owner
from app.domain.errors import NotFound, ValidationError
from app.domain.money import from_micros
from app.models import Allocation as AllocationRow
from app.models import Budget as BudgetRow
from app.models import Spend as SpendRow
from app.models import User as UserRow
from app.services import authorize
from schema import ids, refs, scopes
from schema.context import Info
from schema.pagination import Connection, paginate
from schema.types.allocation import allocation_for
from schema.types.budget import Budget
from schema.types.common import After, First, Search, TransferStatus
from schema.types.node import Node
from schema.types.project import Project
from schema.types.spend import Spend
from schema.types.transfer import Transfer, visible_transfers
from schema.types.user import User


@strawberry.type(
    description="The answer of authorizeSpend: may this project spend this much now? Read-only: "
    "it holds nothing (use reserveSpend to hold)."
)
class SpendDecision:
    allowed: bool = strawberry.field(
        description="True when the amount fits what remains (and, with enforcePacing, the day's "
        "cap of twice the drip)."
    )
    reason: str | None = strawberry.field(
        description="Why, for a person, with the figures (e.g. \"within the allocation's "
        'remaining 950 USD").'
    )
    remaining: Decimal = strawberry.field(
        description="The envelope's allocated − spent − held by open reservations; may be negative."
    )
    daily_allowance: Decimal | None = strawberry.field(
        description="What today may still spend at the daily drip (todayAllowance)."
    )


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


def _lookup_pk(value: object, kind: str) -> int | None:
    """A lookup by id answers null for an id that cannot exist, like `node`; a malformed id is
    still a ValidationError naming the argument."""
    try:
        return ids.decode(value, kind, "id")
    except NotFound:
        return None


async def _budget_visible(info: Info, row: BudgetRow) -> bool:
    actor = info.context.actor
    if is_owner(actor, row.id):
        return True  # owners and admins: no need to read which projects it funds
    if not actor.project_roles:
        return False
    project_ids = [
        r["project_id"] for r in await info.context.loaders.project_ids_by_budget.load(row.id)
    ]
    return can_view_budget(info.context.actor, row.id, project_ids)


@strawberry.type(
    description="Reads. Every field needs a signed-in user (an API token or a session); what "
    "you may not see is null or left out of lists, never an error."
)
class Query:
    @strawberry.field(
        description="The user the request acts as (the token's user); an error when "
        "unauthenticated."
    )
    def viewer(self, info: Info) -> User:
        info.context.actor  # noqa: B018 - raises when unauthenticated
        assert info.context.user is not None
        return User.from_model(info.context.user)

    @strawberry.field(
        description="Any object by its id (`bud_1`, `prj_3`, `alc_7`, `spd_…`, `trf_12`, "
        "`usr_…`); null when it does not exist or you may not see it."
    )
    async def node(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The object's id.")],
    ) -> Node | None:
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
            return await allocation_for(info, row) if ok else None
        if kind == "Spend":
            row = await SpendRow.get_or_none(id=pk)
            ok = row and can_view_allocation(actor, row.budget_id, row.project_id)  # type: ignore[attr-defined]
            return Spend.from_model(row) if ok else None
        if kind == "Transfer":
            row = await visible_transfers(info).filter(id=pk).first()
            return Transfer.from_model(row) if row else None
        if kind == "Alert":
            from app.services import alerts as alert_service
            from schema.types.alert import Alert

            found = await alert_service.visible(actor).filter(id=pk).first()
            return Alert.from_model(found) if found else None
        if kind == "User":
            row = await UserRow.get_or_none(id=pk)
            return User.from_model(row) if row and (actor.is_admin or pk == actor.user_id) else None
        return None

    @strawberry.field(
        description="Projects by name, in id order: all of them for admins, budget creators "
        "and owners (to fund one; figures stay on allocations); for others, their own."
    )
    async def projects(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        search: Search = None,
        include_archived: Annotated[
            bool,
            strawberry.argument(
                description="Also list archived projects (left out by default; see archiveProject)."
            ),
        ] = False,
    ) -> Connection[Project]:
        query = _visible_projects(info)
        if not include_archived:
            query = query.filter(archived_at=None)
        return await paginate(_search(query, search), first, after, Project.from_model)

    @strawberry.field(
        description="A project by id or by slug (give exactly one); null when you may not see "
        "it (see `projects`)."
    )
    async def project(
        self,
        info: Info,
        id: Annotated[
            strawberry.ID | None, strawberry.argument(description="The project's id, e.g. prj_3.")
        ] = None,
        slug: Annotated[
            str | None, strawberry.argument(description="The project's slug, e.g. genomics.")
        ] = None,
    ) -> Project | None:
        if (id is None) == (slug is None):
            raise ValidationError("id", "give exactly one of id and slug")
        if slug is not None and len(slug) > 100:
            raise ValidationError("slug", "must be at most 100 characters")
        query = _visible_projects(info)
        if id is not None:
            pk = _lookup_pk(id, "Project")
            if pk is None:
                return None
            query = query.filter(id=pk)
        else:
            query = query.filter(slug=slug)
        row = await query.first()
        return Project.from_model(row) if row else None

    @strawberry.field(
        description="Budgets you can see, in id order: those you own, those funding one of "
        "your projects (all, for admins)."
    )
    async def budgets(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        search: Search = None,
        include_archived: Annotated[
            bool,
            strawberry.argument(
                description="Also list archived budgets (left out by default; see archiveBudget)."
            ),
        ] = False,
    ) -> Connection[Budget]:
        query = _visible_budgets(info)
        if not include_archived:
            query = query.filter(archived_at=None)
        return await paginate(_search(query, search), first, after, Budget.from_model)

    @strawberry.field(description="A budget by id; null when you may not see it.")
    async def budget(
        self,
        info: Info,
        id: Annotated[
            strawberry.ID, strawberry.argument(description="The budget's id, e.g. bud_1.")
        ],
    ) -> Budget | None:
        pk = _lookup_pk(id, "Budget")
        row = None if pk is None else await BudgetRow.get_or_none(id=pk)
        if row is None or not await _budget_visible(info, row):
            return None
        return Budget.from_model(row)

    @strawberry.field(
        description="Transfer requests you can see, in id order: all of the budgets you own, "
        "plus those you asked for or that touch your projects."
    )
    async def transfers(
        self,
        info: Info,
        status: Annotated[
            TransferStatus | None,
            strawberry.argument(description="Only requests in this status (e.g. PENDING)."),
        ] = None,
        first: First = None,
        after: After = None,
        budget_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Only this budget's requests.")
        ] = None,
        project_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(
                description="Only requests moving money into or out of this project's envelopes "
                "(id or slug)."
            ),
        ] = None,
        mine: Annotated[
            bool,
            strawberry.argument(description="Only the requests you asked for."),
        ] = False,
    ) -> Connection[Transfer]:
        query = visible_transfers(info)
        if status is not None:
            query = query.filter(status=status.value)
        if budget_id is not None:
            query = query.filter(budget_id=ids.decode(budget_id, "Budget", "budgetId"))
        if project_id is not None:
            try:
                project = await refs.project_pk(info.context.actor, project_id, "projectId")
            except NotFound:  # a project you may not see: an empty list, never an error
                project = 0
            query = query.filter(
                Q(from_allocation__project_id=project) | Q(to_allocation__project_id=project)
            )
        if mine:
            query = query.filter(requested_by_id=info.context.actor.user_id)
        return await paginate(query, first, after, Transfer.from_model)

    @strawberry.field(
        description="May this project spend this much now? Open reservations count as spent. "
        "For whoever may see the envelope (the project's people, the budget's owners); "
        "otherwise a PERMISSION_DENIED or NOT_FOUND error, and AMBIGUOUS when several budgets "
        "fund the project and budgetId is not given."
    )
    async def authorize_spend(
        self,
        info: Info,
        project_id: Annotated[
            strawberry.ID,
            strawberry.argument(description="The project that would spend: id (prj_3) or slug."),
        ],
        amount: Annotated[
            Decimal, strawberry.argument(description="The cost to check (exact, greater than 0).")
        ],
        budget_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(
                description="Which budget's envelope; needed when several fund the project."
            ),
        ] = None,
    ) -> SpendDecision:
        d = await authorize.authorize_spend(
            info.context.actor,
            project_id=await refs.project_pk(info.context.actor, project_id, "projectId"),
            amount=amount,
            budget_id=ids.decode_optional(budget_id, "Budget", "budgetId"),
        )
        return SpendDecision(
            allowed=d.allowed,
            reason=d.reason,
            remaining=from_micros(d.remaining),
            daily_allowance=None if d.daily_allowance is None else from_micros(d.daily_allowance),
        )
