"""`ApiToken`: what a person sees of their API tokens (never the token itself nor its hash).

Who sees them is `app.domain.access.can_manage_api_tokens`: the user themself and admins
(`User.apiTokens`, null for anyone else).
"""

from __future__ import annotations

from datetime import datetime

import strawberry

from app.models import ApiToken as ApiTokenRow
from schema import ids


@strawberry.type(
    description="An API token (id `tok_…`) for scripts and integrations. The secret is shown "
    "once, by createApiToken; Allot keeps only its hash and shows neither again."
)
class ApiToken:
    id: strawberry.ID = strawberry.field(description="Opaque id, e.g. `tok_7`.")
    label: str = strawberry.field(
        description="The label given at creation (createApiToken's name)."
    )
    prefix: str = strawberry.field(
        description="The token's first 12 characters (`allot_…`), to recognise it by."
    )
    created_at: datetime = strawberry.field(description="When it was created (UTC).")
    last_used_at: datetime | None = strawberry.field(
        description="When it last authenticated a request (UTC, to the minute); null: never."
    )
    revoked_at: datetime | None = strawberry.field(
        description="When it was revoked (revokeApiToken, `allot tokens revoke`); null while "
        "it works."
    )

    @classmethod
    def from_model(cls, row: ApiTokenRow) -> ApiToken:
        return cls(
            id=strawberry.ID(ids.encode("ApiToken", row.id)),
            label=row.name,
            prefix=row.prefix,
            created_at=row.created_at,
            last_used_at=row.last_used_at,
            revoked_at=row.revoked_at,
        )
