"""Archiving, restoring and deleting budgets and projects.

Archived: read-only (every write naming it is an InvalidState, see app.services.lookup
`writable_*`), left out of the `budgets` / `projects` lists unless asked for, restorable.
Deleting is for mistakes only: a budget or project that never moved money (no spend, no money
allocated or transferred); anything else is archived, so its history stays.
"""

from __future__ import annotations

from tortoise.transactions import in_transaction

from app import clock
from app.domain.access import Actor, can_archive_budget, can_archive_project, require
from app.domain.errors import InvalidState
from app.models import Allocation, Budget, JournalEntry, Project, Spend, TransferRequest
from app.services import lookup
from app.services.events import emit

#: Entries that do not move money between envelopes: funding a budget's pool.
_FUNDING_ONLY = ("FUND", "DEFUND")


async def archive_budget(actor: Actor, *, budget_id: int) -> Budget:
    budget = await lookup.budget(budget_id)
    require(can_archive_budget(actor, budget.id), "archive this budget")
    if budget.archived_at is not None:
        raise InvalidState(f"budget {budget.name!r} is already archived")
    async with in_transaction():
        await Budget.filter(id=budget.id).update(archived_at=clock.now())
        await emit("budget.archived", {"budgetId": budget.id}, budget_id=budget.id)
    await budget.refresh_from_db()
    return budget


async def restore_budget(actor: Actor, *, budget_id: int) -> Budget:
    budget = await lookup.budget(budget_id)
    require(can_archive_budget(actor, budget.id), "restore this budget")
    if budget.archived_at is None:
        raise InvalidState(f"budget {budget.name!r} is not archived")
    async with in_transaction():
        await Budget.filter(id=budget.id).update(archived_at=None)
        await emit("budget.restored", {"budgetId": budget.id}, budget_id=budget.id)
    await budget.refresh_from_db()
    return budget


async def budget_moved_money(budget_id: int) -> bool:
    """Any spend, transfer or entry other than funding its pool."""
    if await Spend.exists(budget_id=budget_id):
        return True
    if await TransferRequest.exists(budget_id=budget_id):
        return True
    return (
        await JournalEntry.filter(budget_id=budget_id, amount_micros__gt=0)
        .exclude(kind__in=_FUNDING_ONLY)
        .exists()
    )


async def delete_budget(actor: Actor, *, budget_id: int) -> int:
    """Delete a budget that never moved money (its periods, empty envelopes and funding
    entries go with it). Returns the id deleted."""
    budget = await lookup.budget(budget_id)
    require(can_archive_budget(actor, budget.id), "delete this budget")
    async with in_transaction():
        if await budget_moved_money(budget.id):
            raise InvalidState(
                f"budget {budget.name!r} has moved money (spend, allocations or transfers); "
                "archive it instead (archiveBudget) so its history stays"
            )
        await budget.delete()
    return budget_id


async def archive_project(actor: Actor, *, project_id: int) -> Project:
    project = await lookup.project(project_id)
    require(can_archive_project(actor, project.id), "archive this project")
    if project.archived_at is not None:
        raise InvalidState(f"project {project.name!r} is already archived")
    await Project.filter(id=project.id).update(archived_at=clock.now())
    await project.refresh_from_db()
    return project


async def restore_project(actor: Actor, *, project_id: int) -> Project:
    project = await lookup.project(project_id)
    require(can_archive_project(actor, project.id), "restore this project")
    if project.archived_at is None:
        raise InvalidState(f"project {project.name!r} is not archived")
    await Project.filter(id=project.id).update(archived_at=None)
    await project.refresh_from_db()
    return project


async def project_moved_money(project_id: int) -> bool:
    """Any spend, or money that ever entered or left one of its envelopes."""
    if await Spend.exists(project_id=project_id):
        return True
    alloc_ids = await Allocation.filter(project_id=project_id).values_list("id", flat=True)
    if not alloc_ids:
        return False
    if await TransferRequest.filter(from_allocation_id__in=alloc_ids).exists():
        return True
    if await TransferRequest.filter(to_allocation_id__in=alloc_ids).exists():
        return True
    moved = JournalEntry.filter(amount_micros__gt=0)
    return bool(
        await moved.filter(from_allocation_id__in=alloc_ids).exists()
        or await moved.filter(to_allocation_id__in=alloc_ids).exists()
    )


async def delete_project(actor: Actor, *, project_id: int) -> int:
    """Delete a project that never moved money (its empty envelopes go with it)."""
    project = await lookup.project(project_id)
    require(can_archive_project(actor, project.id), "delete this project")
    async with in_transaction():
        if await project_moved_money(project.id):
            raise InvalidState(
                f"project {project.name!r} has moved money (spend or allocations); archive it "
                "instead (archiveProject) so its history stays"
            )
        await project.delete()
    return project_id


__all__ = [
    "archive_budget",
    "archive_project",
    "budget_moved_money",
    "delete_budget",
    "delete_project",
    "project_moved_money",
    "restore_budget",
    "restore_project",
]
