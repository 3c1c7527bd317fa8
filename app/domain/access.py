"""Deny by default: every access decision in Allot is made here, from an actor's roles.

The access model
================

Rights
------
- **ADMIN** may do everything, and alone grants the rights below that are not per object.
- **BUDGET CREATOR** (granted by an admin; a department or lab manager) may create budgets and
  projects. The creator becomes an OWNER of the budget and a LEAD of the project. Nobody else
  creates either.
- Per budget, **OWNER** (the PI): sees every figure of the budget; allocates and releases,
  changes its settings, closes periods, approves and rejects transfers, adds owners, records
  spend on any of its allocations. Funding a project gives an owner **no right over the
  project's people**: an owner cannot add anyone to a project, themselves included.
- Per project, **LEAD** (its PI) manages the project's people (adds and removes leads, members
  and viewers) and does what a member does; **MEMBER** sees the project, records its spend,
  reserves and requests transfers; **VIEWER** only sees it.

Who may see what
----------------
- A budget: its owners, and anyone with a role on a project it funds. A member sees the pool
  (its size and what is unallocated: they may ask for it) and their own projects' envelopes;
  every figure derived from spend covers only those (see schema.types.budget_figures).
- An allocation's figures (amount, spent, remaining, runway, spend rows): the budget's owners and
  the project's people. A project's name is visible to its people and to anyone who may fund
  projects (owners and budget creators), so they can pick it.
- A transfer: the budget's owners, its requester and the people of either side's project. A side
  the reader cannot see shows as "another project", with no figures.
- Live events follow the same rules (`can_see_event`): a member of P2 never receives P1's
  spend, alerts or transfers.

Moving money
------------
Money leaves an allocation only with the consent of that allocation's side or of a budget
owner. A member or lead of the source project may *give* (to another project or back to the
pool); anyone with a role on the target may *ask the pool*. A request that *takes* from another
project always waits for a budget owner, whatever `autoApproveBelow` says: auto-approval applies
to gifts and to requests from the pool only (`transfer_applies_at_once`).

Corrections
-----------
A void, refund or move of a spend is checked like recording it (`can_correct_spend`); a move
needs that right on both sides (`can_move_spend`). A credit (negative recordSpend) beyond what
the allocation spent needs an owner (`can_credit_beyond_spent`). Archiving, restoring and
deleting a budget: its owners; a project: its leads (`can_archive_*`), admins always.

Errors never show what the reader may not see
---------------------------------------------
`InsufficientFunds.available` names another project's figures only to readers of that project;
"funded by N budgets" (`AmbiguousReference`) is answered only after the permission check, and
only among the budgets the caller may use; `externalId` is unique per source and project, so
recording one reveals nothing about other projects.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum

from app.domain.errors import PermissionDenied


class ProjectRole(str, Enum):
    LEAD = "LEAD"
    MEMBER = "MEMBER"
    VIEWER = "VIEWER"


#: Roles that may act for a project (record spend, reserve, request and give money).
_ACTING = frozenset({ProjectRole.LEAD, ProjectRole.MEMBER})


@dataclass(frozen=True)
class Actor:
    user_id: int
    is_admin: bool = False
    is_budget_creator: bool = False
    owned_budgets: frozenset[int] = frozenset()
    project_roles: Mapping[int, ProjectRole] = field(default_factory=dict)


# ---------------------------------------------------------------------------------------------
# Global rights


def can_create_budget(actor: Actor) -> bool:
    return actor.is_admin or actor.is_budget_creator


def can_create_project(actor: Actor) -> bool:
    return actor.is_admin or actor.is_budget_creator


def can_find_projects(actor: Actor) -> bool:
    """May list every project by name (to fund one): admins, budget creators and owners."""
    return actor.is_admin or actor.is_budget_creator or bool(actor.owned_budgets)


def can_manage_users(actor: Actor) -> bool:
    """Create users, grant the budget-creator right, link others to Slack: admins only."""
    return actor.is_admin


def can_manage_api_tokens(actor: Actor, user_id: int) -> bool:
    """A person's API tokens (list, create, revoke): their own, and any user's for admins. A
    token is its user's whole access, so nobody else, an owner of their budgets included."""
    return actor.is_admin or actor.user_id == user_id


# ---------------------------------------------------------------------------------------------
# Budgets and projects


def is_owner(actor: Actor, budget_id: int) -> bool:
    return actor.is_admin or budget_id in actor.owned_budgets


def has_role(actor: Actor, project_id: int) -> bool:
    return project_id in actor.project_roles


def can_view_project(actor: Actor, project_id: int) -> bool:
    return actor.is_admin or has_role(actor, project_id)


def can_act_for_project(actor: Actor, project_id: int) -> bool:
    """Leads and members act for their project; viewers only read."""
    return actor.is_admin or actor.project_roles.get(project_id) in _ACTING


#: The old name of can_act_for_project.
can_write_project = can_act_for_project


def can_manage_project_people(actor: Actor, project_id: int) -> bool:
    """Leads and admins; an owner of a budget funding the project does not gain this right."""
    return actor.is_admin or actor.project_roles.get(project_id) == ProjectRole.LEAD


def can_view_allocation(actor: Actor, budget_id: int, project_id: int) -> bool:
    """A project's figures are visible to its people and to the budget's owners."""
    return is_owner(actor, budget_id) or has_role(actor, project_id)


def can_view_budget(actor: Actor, budget_id: int, project_ids: Iterable[int]) -> bool:
    """Owners see their budgets; a project's people see the budgets that fund it."""
    if is_owner(actor, budget_id):
        return True
    return any(has_role(actor, pid) for pid in project_ids)


def can_record_spend(actor: Actor, budget_id: int, project_id: int) -> bool:
    return is_owner(actor, budget_id) or can_act_for_project(actor, project_id)


def can_import(actor: Actor, budget_id: int | None) -> bool:
    """Importing cost exports: into one budget, its owners; a whole export routed to every
    budget (unassigned rows included), admins only."""
    return actor.is_admin if budget_id is None else is_owner(actor, budget_id)


def can_route_unassigned(actor: Actor, budget_id: int | None) -> bool:
    """Assigning held import rows or applying the rules again: owners (of the named budget,
    when one is named) and admins. Each row is then recorded only where the actor may spend."""
    if budget_id is not None:
        return is_owner(actor, budget_id)
    return actor.is_admin or bool(actor.owned_budgets)


def can_manage_routing(actor: Actor, budget_id: int | None, funding_budgets: Iterable[int]) -> bool:
    """Routing rules of a project: owners of a budget that funds it (of the named budget, when
    the rule names one), and admins."""
    if actor.is_admin:
        return True
    if budget_id is not None and not is_owner(actor, budget_id):
        return False
    return any(is_owner(actor, b) for b in funding_budgets)


# ---------------------------------------------------------------------------------------------
# Corrections (issue #9): each is checked like the write it corrects


def can_correct_spend(actor: Actor, budget_id: int, project_id: int) -> bool:
    """Voiding or refunding a spend: whoever may record spend on its allocation (the
    project's leads and members, the budget's owners, admins)."""
    return can_record_spend(actor, budget_id, project_id)


def can_move_spend(
    actor: Actor, from_budget: int, from_project: int, to_budget: int, to_project: int
) -> bool:
    """Moving a spend reverses it on one side and records it on the other: the actor must be
    allowed to write spend on both."""
    return can_record_spend(actor, from_budget, from_project) and can_record_spend(
        actor, to_budget, to_project
    )


def can_credit_beyond_spent(actor: Actor, budget_id: int) -> bool:
    """A credit (negative recordSpend) larger than what the allocation spent: owners and
    admins only; members are limited to what was spent."""
    return is_owner(actor, budget_id)


def can_archive_budget(actor: Actor, budget_id: int) -> bool:
    """Archiving, restoring or deleting a budget: its owners and admins (like its settings)."""
    return is_owner(actor, budget_id)


def can_archive_project(actor: Actor, project_id: int) -> bool:
    """Archiving, restoring or deleting a project: its leads and admins. An owner of a budget
    funding it gains no right over the project itself."""
    return actor.is_admin or actor.project_roles.get(project_id) == ProjectRole.LEAD


# ---------------------------------------------------------------------------------------------
# Transfers


def can_request_transfer(actor: Actor, budget_id: int, project_ids: Iterable[int]) -> bool:
    """Owners anything; a lead or member a request touching one of their own projects."""
    if is_owner(actor, budget_id):
        return True
    return any(can_act_for_project(actor, pid) for pid in project_ids)


def is_taking(actor: Actor, budget_id: int, source_project_id: int | None) -> bool:
    """Whether the money would leave another project's allocation without its consent."""
    if source_project_id is None or is_owner(actor, budget_id):
        return False  # from the pool, or an owner's own decision
    return not can_act_for_project(actor, source_project_id)


def transfer_applies_at_once(
    actor: Actor,
    budget_id: int,
    source_project_id: int | None,
    amount: int,
    auto_approve_below: int | None,
) -> bool:
    """An owner's request applies at once; a gift or a request from the pool under the
    budget's auto-approval line too; a taking never does."""
    if is_owner(actor, budget_id):
        return True
    if is_taking(actor, budget_id, source_project_id):
        return False
    return auto_approve_below is not None and amount < auto_approve_below


def can_view_transfer(
    actor: Actor, budget_id: int, requester_id: int, project_ids: Iterable[int]
) -> bool:
    if is_owner(actor, budget_id) or requester_id == actor.user_id:
        return True
    return any(has_role(actor, pid) for pid in project_ids)


def check_decider(
    *, decider_is_owner: bool, decider_id: int, requester_id: int, allow_self_approval: bool
) -> None:
    """Approving or rejecting: owners and admins, and not their own request unless allowed."""
    if not decider_is_owner:
        raise PermissionDenied("only the budget's owners and admins may decide transfers")
    if decider_id == requester_id and not allow_self_approval:
        raise PermissionDenied(
            "you requested this transfer; another owner must decide it "
            "(the budget does not allow self-approval)"
        )


def can_cancel_transfer(actor: Actor, requester_id: int) -> bool:
    return actor.is_admin or requester_id == actor.user_id


# ---------------------------------------------------------------------------------------------
# Scopes: which rows of a list the actor may see (the schema turns them into SQL filters)


@dataclass(frozen=True)
class Scope:
    """Rows the actor may see: every row (`everything`), else those of these budgets (as an
    owner), of these projects (as one of its people) or asked for by this user."""

    everything: bool = False
    budgets: frozenset[int] = frozenset()
    projects: frozenset[int] = frozenset()
    requester: int | None = None


def budget_scope(actor: Actor) -> Scope:
    """Budgets: owned ones, and those funding one of the actor's projects."""
    if actor.is_admin:
        return Scope(everything=True)
    return Scope(budgets=actor.owned_budgets, projects=frozenset(actor.project_roles))


def project_scope(actor: Actor) -> Scope:
    """Projects by name: all of them for those who may fund one, else the actor's own."""
    if can_find_projects(actor):
        return Scope(everything=True)
    return Scope(projects=frozenset(actor.project_roles))


def allocation_scope(actor: Actor) -> Scope:
    if actor.is_admin:
        return Scope(everything=True)
    return Scope(budgets=actor.owned_budgets, projects=frozenset(actor.project_roles))


def transfer_scope(actor: Actor) -> Scope:
    if actor.is_admin:
        return Scope(everything=True)
    return Scope(
        budgets=actor.owned_budgets,
        projects=frozenset(actor.project_roles),
        requester=actor.user_id,
    )


# ---------------------------------------------------------------------------------------------
# Live events


@dataclass(frozen=True)
class EventAudience:
    """Who may receive an event beyond the budget's owners: the people of these projects and
    these users (a transfer's requester). `owners_only` events (budget-wide figures) go to
    owners alone; an event with no audience at all goes to whoever may see the budget (it
    carries ids only: a period closed, a budget created)."""

    projects: frozenset[int] = frozenset()
    users: frozenset[int] = frozenset()
    owners_only: bool = False

    def to_json(self) -> dict[str, object]:
        return {
            "projects": sorted(self.projects),
            "users": sorted(self.users),
            "ownersOnly": self.owners_only,
        }

    @classmethod
    def from_json(cls, data: object) -> EventAudience | None:
        if not isinstance(data, Mapping):
            return None
        return cls(
            projects=frozenset(int(p) for p in data.get("projects") or ()),
            users=frozenset(int(u) for u in data.get("users") or ()),
            owners_only=bool(data.get("ownersOnly")),
        )


def can_see_event(
    actor: Actor, budget_id: int, budget_projects: Iterable[int], audience: EventAudience | None
) -> bool:
    """The rule of reads, applied to one live event of a budget."""
    if is_owner(actor, budget_id):
        return True
    if audience is None:
        return can_view_budget(actor, budget_id, budget_projects)
    if audience.owners_only:
        return False
    return actor.user_id in audience.users or any(has_role(actor, p) for p in audience.projects)


# ---------------------------------------------------------------------------------------------


def require(allowed: bool, what: str) -> None:
    if not allowed:
        raise PermissionDenied(f"you are not allowed to {what}")


def require_admin(actor: Actor, what: str) -> None:
    require(actor.is_admin, what)


def require_owner(actor: Actor, budget_id: int, what: str) -> None:
    require(is_owner(actor, budget_id), what)


# ---------------------------------------------------------------------------------------------
# Alerts, their delivery, webhooks (issue #14)
#
# An alert about an allocation shows that allocation's figures, so it follows the allocation
# rule; a budget-level alert shows the budget's own figures (the whole pool's spend and
# forecast), which only owners see. Delivery follows the same rule: an alert reaches a person
# only if they may see it, whatever their subscription says.


def can_view_alert(actor: Actor, budget_id: int, project_id: int | None) -> bool:
    """Allocation alerts (`project_id` given): like the allocation; budget alerts: owners."""
    if project_id is None:
        return is_owner(actor, budget_id)
    return can_view_allocation(actor, budget_id, project_id)


def can_acknowledge_alert(actor: Actor, budget_id: int, project_id: int | None) -> bool:
    """Owners acknowledge any alert of their budget; the leads and members of a project those
    of its allocation (they are the ones who act on it); viewers only read."""
    if project_id is None:
        return is_owner(actor, budget_id)
    return is_owner(actor, budget_id) or can_act_for_project(actor, project_id)


def alert_scope(actor: Actor) -> Scope:
    """Alerts listed: every alert of owned budgets, allocation alerts of the actor's projects
    (never a budget-level alert through a project role)."""
    if actor.is_admin:
        return Scope(everything=True)
    return Scope(budgets=actor.owned_budgets, projects=frozenset(actor.project_roles))


def can_manage_alert_rules(actor: Actor, budget_id: int) -> bool:
    """A budget's thresholds are its settings: owners and admins."""
    return is_owner(actor, budget_id)


def can_subscribe_to_budget(actor: Actor, budget_id: int, project_ids: Iterable[int]) -> bool:
    """Anyone who may see a budget may ask for its alerts; each alert still reaches them only
    if `can_view_alert` allows."""
    return can_view_budget(actor, budget_id, project_ids)


def can_create_link_code_for(actor: Actor | None, user_id: int) -> bool:
    """A one-time Slack link code for this user: the operator (the local shell, None), an
    admin, or the user themselves."""
    return actor is None or actor.is_admin or actor.user_id == user_id


def can_manage_webhook(actor: Actor, budget_id: int | None, user_id: int | None) -> bool:
    """A budget's webhooks: its owners; a personal one: its person; a global one (every
    budget's events): admins."""
    if budget_id is not None:
        return is_owner(actor, budget_id)
    if user_id is not None:
        return actor.is_admin or user_id == actor.user_id
    return actor.is_admin


def can_view_deliveries(actor: Actor) -> bool:
    """Delivery rows name every recipient and their errors: admins only."""
    return actor.is_admin


def can_retry_delivery(actor: Actor) -> bool:
    """Putting a DEAD delivery back in line: admins only."""
    return actor.is_admin
