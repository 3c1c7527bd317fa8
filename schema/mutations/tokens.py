"""Revoking one API token (creating one is createApiToken, schema.mutations.access).

Who may is `app.domain.access.can_manage_api_tokens`: one's own tokens, and admins anyone's.
The token stops authenticating at once in this process (app.services.actor_cache).
"""

from __future__ import annotations

from typing import Annotated

import strawberry

from app.services import actors
from schema import ids
from schema.context import Info
from schema.mutations import payload, run
from schema.types.api_token import ApiToken


@strawberry.input(description="Which API token to revoke.")
class RevokeApiTokenInput:
    token_id: strawberry.ID = strawberry.field(
        description="The token's id (`tok_…`, from User.apiTokens), not the secret."
    )


@strawberry.type(description="The token is revoked: it authenticates nobody any more.")
class ApiTokenRevoked:
    token: ApiToken = strawberry.field(description="The token, with revokedAt set.")


RevokeApiTokenPayload = payload("RevokeApiTokenPayload", ApiTokenRevoked)


@strawberry.type
class TokenMutations:
    @strawberry.mutation(
        description="Revoke an API token: your own, or anyone's (admins). It stops working at "
        "once (other server processes: within 2 seconds). Revoking a revoked token changes "
        "nothing. Errors: PermissionDenied, NotFound (tokenId), ValidationError (tokenId)."
    )
    async def revoke_api_token(
        self,
        info: Info,
        input: Annotated[RevokeApiTokenInput, strawberry.argument(description="The token.")],
    ) -> RevokeApiTokenPayload:
        async def call() -> ApiTokenRevoked:
            token_id = ids.decode(input.token_id, "ApiToken", "tokenId")
            row = await actors.revoke_api_token(info.context.actor, token_id)
            return ApiTokenRevoked(token=ApiToken.from_model(row))

        return await run(call)
