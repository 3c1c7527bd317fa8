"""Who is acting: users, API tokens and the role snapshot the policy module decides on."""

from __future__ import annotations

import hashlib
import secrets

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from app import clock
from app.domain import validation as rules
from app.domain.access import (
    Actor,
    ProjectRole,
    can_manage_project_people,
    can_manage_users,
    require,
    require_admin,
    require_owner,
)
from app.domain.errors import Conflict, InvalidState, NotFound, ValidationError
from app.models import ApiToken, Budget, BudgetOwner, Project, ProjectMember, User

TOKEN_PREFIX = "allot_"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def load_actor(user: User) -> Actor:
    owned = await BudgetOwner.filter(user_id=user.id).values_list("budget_id", flat=True)
    roles = await ProjectMember.filter(user_id=user.id).values_list("project_id", "role")
    return Actor(
        user_id=user.id,
        is_admin=user.is_admin,
        is_budget_creator=user.is_budget_creator,
        owned_budgets=frozenset(int(b) for b in owned),  # type: ignore[arg-type]
        project_roles={int(p): ProjectRole(r) for p, r in roles},  # type: ignore[misc]
    )


async def authenticate(token: str) -> User | None:
    """The user behind a bearer token, or None. Revoked tokens authenticate nobody."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    row = await ApiToken.filter(token_hash=hash_token(token), revoked_at=None).first()
    if row is None:
        return None
    return await User.get(id=row.user_id)  # type: ignore[attr-defined]


def _clean_email(email: str) -> str:
    email = rules.clean_text(email, "email").strip().lower()
    if "@" not in email or email.startswith("@") or email.endswith("@") or " " in email:
        raise ValidationError("email", f"must be an e-mail address, got {email!r}")
    return email


async def create_user(
    actor: Actor | None,
    *,
    name: str,
    email: str,
    is_admin: bool = False,
    is_budget_creator: bool = False,
) -> tuple[User, str]:
    """Create a user and their first API token; the plain token is returned once.

    `actor` None means the CLI, which runs with the operator's authority.
    """
    if actor is not None:
        require(can_manage_users(actor), "create users")
    name = rules.name(name)
    email = _clean_email(email)
    try:
        async with in_transaction():
            user = await User.create(
                name=name, email=email, is_admin=is_admin, is_budget_creator=is_budget_creator
            )
            token = await _new_token(user, "default")
    except IntegrityError:
        raise Conflict(f"a user with e-mail {email} exists already", field="email") from None
    return user, token


async def _new_token(user: User, name: str) -> str:
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    await ApiToken.create(user=user, name=name, token_hash=hash_token(token), prefix=token[:12])
    return token


async def create_api_token(actor: Actor | None, *, user_id: int, name: str = "") -> str:
    """Users make tokens for themselves; admins for anyone."""
    name = rules.text(name, "name", 200) or ""
    if actor is not None and actor.user_id != user_id:
        require_admin(actor, "create API tokens for other users")
    user = await User.get_or_none(id=user_id)
    if user is None:
        raise NotFound("User", user_id, field="userId")
    return await _new_token(user, name or "token")


async def revoke_tokens(user_id: int) -> int:
    return await ApiToken.filter(user_id=user_id, revoked_at=None).update(revoked_at=clock.now())


async def set_budget_creator(actor: Actor | None, *, user_id: int, allowed: bool) -> User:
    """Grant or withdraw the right to create budgets and projects (admins; None is the CLI)."""
    if actor is not None:
        require(can_manage_users(actor), "grant the budget-creator right")
    user = await User.get_or_none(id=user_id)
    if user is None:
        raise NotFound("User", user_id, field="userId")
    if user.is_budget_creator != allowed:
        user.is_budget_creator = allowed
        await user.save(update_fields=["is_budget_creator"])
    return user


async def add_budget_owner(actor: Actor, *, budget_id: int, user_id: int) -> None:
    """Owners (and admins) share their budget with another owner."""
    require_owner(actor, budget_id, "add owners to this budget")
    if not await Budget.exists(id=budget_id):
        raise NotFound("Budget", budget_id, field="budgetId")
    if not await User.exists(id=user_id):
        raise NotFound("User", user_id, field="userId")
    await BudgetOwner.get_or_create(budget_id=budget_id, user_id=user_id)


async def remove_budget_owner(actor: Actor, *, budget_id: int, user_id: int) -> None:
    """Owners (and admins) remove an owner; a budget keeps at least one."""
    require_owner(actor, budget_id, "remove owners of this budget")
    if not await Budget.exists(id=budget_id):
        raise NotFound("Budget", budget_id, field="budgetId")
    async with in_transaction():
        owners = await BudgetOwner.filter(budget_id=budget_id).values_list("user_id", flat=True)
        if user_id not in owners:
            raise NotFound("BudgetOwner", user_id, field="userId")
        if len(owners) == 1:
            raise InvalidState("a budget keeps at least one owner; add another owner first")
        await BudgetOwner.filter(budget_id=budget_id, user_id=user_id).delete()


async def add_project_member(
    actor: Actor, *, project_id: int, user_id: int, role: ProjectRole = ProjectRole.MEMBER
) -> None:
    """A project's leads (and admins) manage its people: add someone, or change their role.

    Owners of a budget that funds the project do not: funding gives no right over people."""
    require(can_manage_project_people(actor, project_id), "manage this project's people")
    if not await Project.exists(id=project_id):
        raise NotFound("Project", project_id, field="projectId")
    if not await User.exists(id=user_id):
        raise NotFound("User", user_id, field="userId")
    link, created = await ProjectMember.get_or_create(
        project_id=project_id, user_id=user_id, defaults={"role": role.value}
    )
    if not created and link.role != role.value:
        link.role = role.value
        await link.save(update_fields=["role"])


async def remove_project_member(actor: Actor, *, project_id: int, user_id: int) -> None:
    """Leads (and admins) remove someone from the project."""
    require(can_manage_project_people(actor, project_id), "manage this project's people")
    if not await Project.exists(id=project_id):
        raise NotFound("Project", project_id, field="projectId")
    removed = await ProjectMember.filter(project_id=project_id, user_id=user_id).delete()
    if not removed:
        raise NotFound("ProjectMember", user_id, field="userId")


async def link_slack_user(
    actor: Actor, *, user_id: int, slack_user_id: str, slack_team_id: str | None
) -> User:
    """Admins link anyone; a user may link themselves."""
    if actor.user_id != user_id:
        require_admin(actor, "link other users to Slack")
    slack_user_id = rules.name(slack_user_id, "slackUserId", 32)
    slack_team_id = rules.text(slack_team_id, "slackTeamId", 32)
    user = await User.get_or_none(id=user_id)
    if user is None:
        raise NotFound("User", user_id, field="userId")
    other = await User.filter(slack_user_id=slack_user_id).exclude(id=user_id).first()
    if other is not None:
        raise Conflict("that Slack user is linked to another Allot user", field="slackUserId")
    user.slack_user_id = slack_user_id
    user.slack_team_id = slack_team_id
    await user.save(update_fields=["slack_user_id", "slack_team_id"])
    return user
