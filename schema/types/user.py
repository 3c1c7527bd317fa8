from __future__ import annotations

import strawberry

from app.models import User as UserRow
from schema import ids
from schema.types.node import Node


@strawberry.type(description="A person (or integration) who signs in to Allot.")
class User(Node):
    id: strawberry.ID
    name: str
    email: str
    is_admin: bool
    is_budget_creator: bool
    slack_user_id: str | None
    pk: strawberry.Private[int]

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
