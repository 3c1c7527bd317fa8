"""The policy module's scopes (app.domain.access.Scope) as query filters: which rows of a list
the actor may see. The rule is decided there; this only spells it in Tortoise."""

from __future__ import annotations

from tortoise.expressions import Q, Subquery
from tortoise.queryset import QuerySet

from app.domain.access import (
    Actor,
    Scope,
    allocation_scope,
    budget_scope,
    project_scope,
    transfer_scope,
)
from app.models import Allocation, Budget, Project, TransferRequest


def budgets(actor: Actor) -> QuerySet[Budget]:
    scope = budget_scope(actor)
    if scope.everything:
        return Budget.all()
    funding = Allocation.filter(project_id__in=list(scope.projects)).values_list(
        "budget_id", flat=True
    )
    return Budget.filter(
        Q(id__in=list(scope.budgets)) | Q(id__in=Subquery(funding))
        if scope.projects
        else Q(id__in=list(scope.budgets))
    )


def projects(actor: Actor) -> QuerySet[Project]:
    scope = project_scope(actor)
    if scope.everything:
        return Project.all()
    return Project.filter(id__in=list(scope.projects))


def _allocation_filter(scope: Scope) -> Q:
    return Q(budget_id__in=list(scope.budgets)) | Q(project_id__in=list(scope.projects))


def allocations(actor: Actor, query: QuerySet[Allocation]) -> QuerySet[Allocation]:
    scope = allocation_scope(actor)
    return query if scope.everything else query.filter(_allocation_filter(scope))


def transfers(actor: Actor) -> QuerySet[TransferRequest]:
    scope = transfer_scope(actor)
    if scope.everything:
        return TransferRequest.all()
    projects = list(scope.projects)
    return TransferRequest.filter(
        Q(budget_id__in=list(scope.budgets))
        | Q(requested_by_id=scope.requester)
        | Q(from_allocation__project_id__in=projects)
        | Q(to_allocation__project_id__in=projects)
    ).distinct()


__all__ = ["allocations", "budgets", "projects", "transfers"]
