"""Deny by default: every access decision in Allot is made here, from an actor's roles.

ADMIN may do everything. A budget OWNER (the PI) allocates, approves and closes periods for
that budget. A project MEMBER sees the project, records its spend and requests transfers;
a VIEWER only sees it. Nothing else is allowed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum

from app.domain.errors import PermissionDenied


class ProjectRole(str, Enum):
    MEMBER = "MEMBER"
    VIEWER = "VIEWER"


@dataclass(frozen=True)
class Actor:
    user_id: int
    is_admin: bool = False
    owned_budgets: frozenset[int] = frozenset()
    project_roles: Mapping[int, ProjectRole] = field(default_factory=dict)


def is_owner(actor: Actor, budget_id: int) -> bool:
    return actor.is_admin or budget_id in actor.owned_budgets


def can_view_project(actor: Actor, project_id: int) -> bool:
    return actor.is_admin or project_id in actor.project_roles


def can_view_allocation(actor: Actor, budget_id: int, project_id: int) -> bool:
    """A project's figures are visible to its members and viewers and to the budget's owners."""
    return is_owner(actor, budget_id) or can_view_project(actor, project_id)


def can_view_budget(actor: Actor, budget_id: int, project_ids: Iterable[int]) -> bool:
    """Owners see their budgets; members see the budgets that fund one of their projects."""
    if is_owner(actor, budget_id):
        return True
    return any(pid in actor.project_roles for pid in project_ids)


def can_write_project(actor: Actor, project_id: int) -> bool:
    return actor.is_admin or actor.project_roles.get(project_id) == ProjectRole.MEMBER


def can_record_spend(actor: Actor, budget_id: int, project_id: int) -> bool:
    return is_owner(actor, budget_id) or can_write_project(actor, project_id)


def can_request_transfer(actor: Actor, budget_id: int, project_ids: Iterable[int]) -> bool:
    """Members may ask to move money touching one of their own projects; owners anything."""
    if is_owner(actor, budget_id):
        return True
    return any(can_write_project(actor, pid) for pid in project_ids)


def require(allowed: bool, what: str) -> None:
    if not allowed:
        raise PermissionDenied(f"you are not allowed to {what}")


def require_admin(actor: Actor, what: str) -> None:
    require(actor.is_admin, what)


def require_owner(actor: Actor, budget_id: int, what: str) -> None:
    require(is_owner(actor, budget_id), what)
