"""The typed per-request context: who is acting, and fresh DataLoaders."""

from __future__ import annotations

import uuid
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

    @property
    def actor(self) -> Actor:
        if self.actor_ is None:
            raise PermissionDenied(
                "authentication required: send 'Authorization: Bearer <token>'"
            )
        return self.actor_


Info = StrawberryInfo[Context, None]


async def context_for_user(user: User | None, request: Any = None) -> Context:
    actor = await load_actor(user) if user is not None else None
    today: date = clock.now().date()
    return Context(user=user, actor_=actor, loaders=Loaders(today), request=request)


async def context_for_token(token: str | None, request: Any = None) -> Context:
    user = await authenticate(token) if token else None
    return await context_for_user(user, request)


def bearer(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None
