"""The typed per-request context: who is acting, and fresh DataLoaders."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from strawberry.types import Info as StrawberryInfo

from app import clock
from app.domain.access import Actor
from app.domain.errors import PermissionDenied
from app.models import User
from app.services.actors import authenticate, load_actor
from schema.loaders import Loaders


@dataclass
class Context:
    user: User | None
    actor_: Actor | None
    loaders: Loaders
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    request: Any = None
    response: Any = None
    #: Set only by `context_for_slack`: the request came through the bot from a verified Slack
    #: request, so `slack_user_id` is who clicked or typed (see `linkSlackAccount`).
    via_slack: bool = False
    slack_user_id: str | None = None
    slack_team_id: str | None = None
    #: The outbox's Slack notifier: reads everything, writes only `recordSlackMessage`.
    notifier: bool = False
    #: The WebSocket `connection_init` payload (graphql-transport-ws), set by Strawberry.
    connection_params: Any = None
    #: The bearer token the request authenticated with (long-lived subscriptions re-check it).
    token: str | None = None

    @property
    def actor(self) -> Actor:
        if self.actor_ is None:
            raise PermissionDenied("authentication required: send 'Authorization: Bearer <token>'")
        return self.actor_


Info = StrawberryInfo[Context, None]


def selects(info: Info, names: Collection[str]) -> bool:
    """Whether the field's selection asks for any of `names` at any depth (fragments
    included): what a resolver reads ahead for (a join, a preload). Over-approximates, as a
    name may sit under another field; a miss only costs the loaders' own statements."""
    stack = list(info.selected_fields)
    while stack:
        selection = stack.pop()
        if getattr(selection, "name", None) in names:
            return True
        stack.extend(getattr(selection, "selections", None) or ())
    return False


async def context_for_user(user: User | None, request: Any = None) -> Context:
    actor = await load_actor(user) if user is not None else None
    today: date = clock.now().date()
    return Context(user=user, actor_=actor, loaders=Loaders(today), request=request)


async def context_for_token(token: str | None, request: Any = None) -> Context:
    user = await authenticate(token) if token else None
    context = await context_for_user(user, request)
    context.token = token if user is not None else None
    return context


async def refresh_actor(context: Context) -> Actor:
    """Who the context acts as *now*: its token checked again (revoked: PermissionDenied) and
    the roles reloaded, for operations that outlive a request (subscriptions)."""
    if context.notifier:
        return context.actor
    if context.token is not None:
        user = await authenticate(context.token)
        if user is None:
            context.user, context.actor_ = None, None
            raise PermissionDenied("your API token was revoked")
    elif context.user is not None:
        user = await User.get_or_none(id=context.user.id)
        if user is None:
            context.user, context.actor_ = None, None
            raise PermissionDenied("your account no longer exists")
    else:
        return context.actor  # unauthenticated: raises
    context.user = user
    context.actor_ = await load_actor(user)
    return context.actor_


def bearer(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


async def context_for_slack(slack_user_id: str, team_id: str | None) -> Context:
    """The context of a Slack user acting through the bot: their linked Allot user, or
    unauthenticated (user None) when they have not linked their account yet."""
    user = await User.filter(slack_user_id=slack_user_id).first()
    if user is not None and user.slack_team_id and team_id and user.slack_team_id != team_id:
        user = None  # linked in another workspace: not this person
    context = await context_for_user(user)
    context.via_slack = True
    context.slack_user_id = slack_user_id
    context.slack_team_id = team_id
    return context


#: The notifier reads as an admin would; the schema refuses it every mutation but one.
NOTIFIER_ACTOR = Actor(user_id=0, is_admin=True)


def context_for_notifier() -> Context:
    today: date = clock.now().date()
    return Context(user=None, actor_=NOTIFIER_ACTOR, loaders=Loaders(today), notifier=True)


async def authenticate_connection(context: Context) -> bool:
    """Authenticate a WebSocket from its `connection_init` payload:
    {"Authorization": "Bearer <token>"} or {"token": "<token>"}. False for a bad token."""
    params = context.connection_params if isinstance(context.connection_params, dict) else {}
    header = params.get("Authorization") or params.get("authorization")
    token = bearer(header) if isinstance(header, str) else None
    if token is None and isinstance(params.get("token"), str):
        token = params["token"]
    if token is None:
        return True  # unauthenticated: every field that needs an actor says so
    user = await authenticate(token)
    if user is None:
        return False
    context.user = user
    context.actor_ = await load_actor(user)
    context.token = token
    return True
