from __future__ import annotations

import strawberry

from app.models import User as UserRow
from app.services import actors
from schema import ids
from schema.context import Info
from schema.types.api_token import ApiToken
from schema.types.node import Node


@strawberry.type(
    description="A person (or an integration) who signs in to Allot (id `usr_…`). Rights come "
    'from isAdmin, isBudgetCreator, budget ownership and project roles (README, "Who may do '
    'what"). `node(id:)` returns a user only to admins and to that user.'
)
class User(Node):
    id: strawberry.ID = strawberry.field(description="Opaque id, e.g. `usr_4`.")
    name: str = strawberry.field(description="Display name.")
    email: str = strawberry.field(description="E-mail address, unique; used to link Slack.")
    is_admin: bool = strawberry.field(description="ADMIN: may do everything.")
    is_budget_creator: bool = strawberry.field(
        description="May create budgets (becoming their OWNER) and projects (their LEAD); "
        "granted by an admin."
    )
    slack_user_id: str | None = strawberry.field(
        description="The linked Slack user id; null until linked."
    )
    pk: strawberry.Private[int]

    @strawberry.field(
        description="Their API tokens, newest first, revoked ones included (never the secret "
        "or its hash): for the user themself and admins; null for anyone else."
    )
    async def api_tokens(self, info: Info) -> list[ApiToken] | None:
        rows = await actors.list_api_tokens(info.context.actor, self.pk)
        return None if rows is None else [ApiToken.from_model(r) for r in rows]

    @classmethod
    def from_model(cls, row: UserRow) -> User:
        return cls(
            id=strawberry.ID(ids.encode("User", row.id)),
            name=row.name,
            email=row.email,
            is_admin=row.is_admin,
            is_budget_creator=row.is_budget_creator,
            slack_user_id=row.slack_user_id,
            pk=row.id,
        )
