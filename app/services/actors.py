"""Who is acting: users, API tokens and the role snapshot the policy module decides on."""

from __future__ import annotations

import copy
import hashlib
import secrets
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from app import clock
from app.domain import validation as rules
from app.domain.access import (
    Actor,
    ProjectRole,
    can_manage_api_tokens,
    can_manage_project_people,
    can_manage_users,
    require,
    require_admin,
    require_owner,
)
from app.domain.errors import Conflict, InvalidState, NotFound, ValidationError
from app.models import ApiToken, Budget, BudgetOwner, Project, ProjectMember, User
from app.services import actor_cache

TOKEN_PREFIX = "allot_"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def load_actor(user: User) -> Actor:
    """The user's role snapshot: read from the database, except for a user `authenticate`
    has just answered from its cache (app.services.actor_cache), whose snapshot it carries."""
    carried = user.__dict__.pop(_CARRIED_ACTOR, None)
    if carried is not None and carried[1] == actor_cache.generation():
        return carried[0]  # type: ignore[no-any-return]
    return await _read_actor(user)


async def _read_actor(user: User) -> Actor:
    owned = await BudgetOwner.filter(user_id=user.id).values_list("budget_id", flat=True)
    roles = await ProjectMember.filter(user_id=user.id).values_list("project_id", "role")
    return Actor(
        user_id=user.id,
        is_admin=user.is_admin,
        is_budget_creator=user.is_budget_creator,
        owned_budgets=frozenset(int(b) for b in owned),  # type: ignore[arg-type]
        project_roles={int(p): ProjectRole(r) for p, r in roles},  # type: ignore[misc]
    )


#: Where `authenticate` leaves the cached role snapshot for the `load_actor` that follows.
_CARRIED_ACTOR = "_allot_carried_actor"


async def authenticate(token: str) -> User | None:
    """The user behind a bearer token, or None. Revoked tokens authenticate nobody.

    A known token costs no statement: the user and their roles are cached briefly and forgotten
    at once when tokens or roles change (app.services.actor_cache says how, and how long
    another process's change may take). The user returned is a copy, carrying the cached roles
    for the `load_actor` call that follows."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    digest = hash_token(token)
    known = actor_cache.get(digest)
    if known is None:
        read_in = actor_cache.generation()
        query = ApiToken.filter(token_hash=digest, revoked_at=None).select_related("user")
        row = await query.first()
        if row is None:
            return None
        await _stamp_last_use(row)
        user = row.user
        actor_cache.put(digest, user, await _read_actor(user), read_in)
        known = actor_cache.get(digest)
        if known is None:  # access changed while we read: answer without caching
            return user
    user = copy.copy(known.user)
    user.__dict__[_CARRIED_ACTOR] = (known.actor, known.generation)
    return user


#: A token's last use is written at most this often, and only when its user is read (a cache
#: miss): authenticating a known token stays free of statements, so lastUsedAt is to the minute.
LAST_USE_EVERY = timedelta(minutes=1)


async def _stamp_last_use(row: ApiToken) -> None:
    now = clock.now()
    last = row.last_used_at
    if last is not None and timedelta(0) <= now - last < LAST_USE_EVERY:
        return
    # A bulk update sends no post_save signal: a token's use does not empty the actor cache.
    await ApiToken.filter(id=row.id).update(last_used_at=now)
    row.last_used_at = now


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
    password: str | None = None,
) -> tuple[User, str]:
    """Create a user and their first API token; the plain token is returned once. With a
    password, the user may also sign in to the web app.

    `actor` None means the CLI, which runs with the operator's authority.
    """
    if actor is not None:
        require(can_manage_users(actor), "create users")
    name = rules.name(name)
    email = _clean_email(email)
    password_hash = hash_password(password) if password is not None else None
    try:
        async with in_transaction():
            user = await User.create(
                name=name,
                email=email,
                is_admin=is_admin,
                is_budget_creator=is_budget_creator,
                password_hash=password_hash,
            )
            token = await _new_token(user, "default")
    except IntegrityError:
        raise Conflict(f"a user with e-mail {email} exists already", field="email") from None
    return user, token


# ---------------------------------------------------------------------------------------------
# Passwords (the web app's sign-in)

#: argon2id with argon2-cffi's defaults (RFC 9106's second recommended profile).
_HASHER = PasswordHasher()
PASSWORD_MIN = 10
PASSWORD_MAX = 1000
#: Verified when the e-mail is unknown, so a wrong e-mail takes as long as a wrong password.
_DUMMY_HASH = _HASHER.hash("not a password anyone has")


def hash_password(password: str) -> str:
    if not isinstance(password, str) or not (PASSWORD_MIN <= len(password) <= PASSWORD_MAX):
        raise ValidationError(
            "password", f"must be {PASSWORD_MIN} to {PASSWORD_MAX} characters long"
        )
    if not password.strip():
        raise ValidationError("password", "must not be only spaces")
    return _HASHER.hash(password)


def password_version(user: User) -> str:
    """A short fingerprint of the user's password hash, kept in their session cookie: a new
    password (or none) ends every session signed in with the old one."""
    return hashlib.sha256((user.password_hash or "").encode()).hexdigest()[:16]


async def check_password(email: str, password: str) -> User | None:
    """The user with this e-mail and password, or None (the same answer, in about the same
    time, for an unknown e-mail, a user without a password and a wrong password)."""
    user = await User.filter(email=(email or "").strip().lower()).first()
    stored = user.password_hash if user is not None and user.password_hash else None
    try:
        _HASHER.verify(stored or _DUMMY_HASH, password or "")
    except (VerificationError, InvalidHashError):
        return None
    if user is None or stored is None:
        return None
    if _HASHER.check_needs_rehash(stored):
        user.password_hash = _HASHER.hash(password)
        await user.save(update_fields=["password_hash"])
    return user


async def set_password(actor: Actor | None, *, user_id: int, password: str | None) -> User:
    """Set or clear (None) a user's password: admins for anyone, a user for themselves;
    `actor` None is the CLI. Every session signed in with the old password ends."""
    if actor is not None and actor.user_id != user_id:
        require(can_manage_users(actor), "set other users' passwords")
    password_hash = hash_password(password) if password is not None else None
    user = await User.get_or_none(id=user_id)
    if user is None:
        raise NotFound("User", user_id, field="userId")
    user.password_hash = password_hash
    await user.save(update_fields=["password_hash"])
    return user


async def _new_token(user: User, name: str) -> str:
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    await ApiToken.create(user=user, name=name, token_hash=hash_token(token), prefix=token[:12])
    return token


async def create_api_token(actor: Actor | None, *, user_id: int, name: str = "") -> str:
    """Users make tokens for themselves; admins for anyone."""
    name = rules.text(name, "name", 200) or ""
    if actor is not None:
        require(can_manage_api_tokens(actor, user_id), "create API tokens for other users")
    user = await User.get_or_none(id=user_id)
    if user is None:
        raise NotFound("User", user_id, field="userId")
    return await _new_token(user, name or "token")


async def revoke_tokens(user_id: int, *, token_id: int | None = None) -> int:
    """Revoke the user's tokens (`allot tokens revoke`), or only the one `token_id` names; they
    stop authenticating at once in this process (the cache is forgotten)."""
    unrevoked = ApiToken.filter(user_id=user_id, revoked_at=None)
    if token_id is not None:
        unrevoked = unrevoked.filter(id=token_id)
    revoked = await unrevoked.update(revoked_at=clock.now())
    actor_cache.forget()  # a bulk update sends no signal
    return revoked


async def list_api_tokens(actor: Actor, user_id: int) -> list[ApiToken] | None:
    """The user's tokens, newest first (revoked ones too), or None when the actor may not see
    them: their own, and admins anyone's."""
    if not can_manage_api_tokens(actor, user_id):
        return None
    return await ApiToken.filter(user_id=user_id).order_by("-id")


async def revoke_api_token(actor: Actor, token_id: int) -> ApiToken:
    """Revoke one token: one's own, or anyone's as an admin. Revoking a revoked token changes
    nothing (it keeps the time it was revoked)."""
    row = await ApiToken.get_or_none(id=token_id)
    if row is None:
        raise NotFound("ApiToken", token_id, field="tokenId")
    require(can_manage_api_tokens(actor, row.user_id), "revoke other users' API tokens")  # type: ignore[attr-defined]
    if row.revoked_at is None:
        await revoke_tokens(row.user_id, token_id=row.id)  # type: ignore[attr-defined]
        await row.refresh_from_db(fields=["revoked_at"])
    return row


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


async def add_budget_owner(
    actor: Actor, *, budget_id: int, user_id: int | None = None, email: str | None = None
) -> None:
    """Owners (and admins) share their budget with another owner, named by id or e-mail.

    The permission check comes first: only who may add owners learns whether an e-mail is known."""
    require_owner(actor, budget_id, "add owners to this budget")
    if not await Budget.exists(id=budget_id):
        raise NotFound("Budget", budget_id, field="budgetId")
    if (user_id is None) == (email is None):
        raise ValidationError("userId", "give exactly one of userId and email")
    if email is not None:
        wanted = email.strip()
        if not wanted:
            raise ValidationError("email", "must not be blank")
        user = await User.filter(email__iexact=wanted).first()
        if user is None:
            raise NotFound("User", wanted, field="email")
        user_id = user.id
    elif not await User.exists(id=user_id):
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
    actor_cache.forget()  # committed now; a bulk delete sends no signal


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
    actor_cache.forget()  # a bulk delete sends no signal
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
