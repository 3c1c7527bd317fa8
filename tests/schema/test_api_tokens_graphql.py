"""API tokens through GraphQL: `User.apiTokens` lists them (never the secret nor its hash) to
the user themself and admins, and `revokeApiToken` revokes one, taking effect at once in this
process even for a token the actor cache remembers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import httpx
import pytest
from helpers import make_user

from app.models import ApiToken
from app.server import create_app
from app.services import actors, budgets
from app.settings import Settings
from schema import ids
from schema import schema as allot_schema

TOKENS = """{ viewer { apiTokens { id label prefix createdAt lastUsedAt revokedAt } } }"""
REVOKE = """mutation($id: ID!) { revokeApiToken(input: {tokenId: $id}) { __typename
  ... on ApiTokenRevoked { token { id label revokedAt } }
  ... on Error { code message } ... on ValidationError { field } } }"""
CREATE = """mutation($name: String) { createApiToken(input: {name: $name}) { __typename
  ... on ApiTokenCreated { token } ... on Error { code message } } }"""


@pytest.fixture
async def http(database: str) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(Settings(), init_database=False, workers=[])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://allot.test") as c:
        yield c


async def _post(client: httpx.AsyncClient, token: str, query: str, **variables: Any) -> Any:
    headers = {"Authorization": f"Bearer {token}"}
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers
    )
    return response.json()


def test_the_type_has_no_field_for_the_secret_or_its_hash() -> None:
    fields = set(allot_schema._schema.type_map["ApiToken"].fields)  # type: ignore[attr-defined]
    assert fields == {"id", "label", "prefix", "createdAt", "lastUsedAt", "revokedAt"}


async def test_a_user_lists_their_tokens_newest_first_with_prefix_and_last_use(
    http: httpx.AsyncClient,
) -> None:
    user, first = await make_user("Tia Tokens")
    second = await actors.create_api_token(None, user_id=user.id, name="cost export")
    body = await _post(http, second, TOKENS)
    tokens = body["data"]["viewer"]["apiTokens"]
    assert [t["label"] for t in tokens] == ["cost export", "default"]
    assert [t["prefix"] for t in tokens] == [second[:12], first[:12]]
    assert all(t["revokedAt"] is None for t in tokens)
    # The request itself used the second token; the first was never used.
    assert tokens[0]["lastUsedAt"] is not None and tokens[1]["lastUsedAt"] is None
    assert first not in str(body) and second not in str(body)
    row = await ApiToken.get(prefix=second[:12])
    assert row.token_hash not in str(body)


async def test_a_revoked_token_stops_working_at_once_and_the_others_keep_working(
    http: httpx.AsyncClient,
) -> None:
    user, kept = await make_user("Rae Revoker")
    doomed = await actors.create_api_token(None, user_id=user.id, name="leaked")
    assert "data" in await _post(http, doomed, "{ viewer { id } }")  # remembered by the cache
    listed = (await _post(http, kept, TOKENS))["data"]["viewer"]["apiTokens"]
    doomed_id = next(t["id"] for t in listed if t["label"] == "leaked")

    result = (await _post(http, kept, REVOKE, id=doomed_id))["data"]["revokeApiToken"]
    assert result["__typename"] == "ApiTokenRevoked", result
    assert result["token"]["id"] == doomed_id and result["token"]["revokedAt"] is not None

    refused = await _post(http, doomed, "{ viewer { id } }")
    assert refused.get("data") is None and refused["errors"], refused
    assert (await _post(http, kept, "{ viewer { name } }"))["data"]["viewer"]["name"] == (
        "Rae Revoker"
    )
    listed = (await _post(http, kept, TOKENS))["data"]["viewer"]["apiTokens"]
    assert {t["label"]: t["revokedAt"] is not None for t in listed} == {
        "leaked": True,
        "default": False,
    }
    # Again: no change, the first revocation's time is kept.
    again = (await _post(http, kept, REVOKE, id=doomed_id))["data"]["revokeApiToken"]
    assert again["token"]["revokedAt"] == result["token"]["revokedAt"]


async def test_nobody_but_the_user_and_admins_sees_or_revokes_their_tokens(
    admin: Any, gql: Any
) -> None:
    admin_user, admin_actor, _ = admin
    owner, _ = await make_user("Olu Owner")
    member, _ = await make_user("Mia Member")
    budget = await budgets.create_budget(
        admin_actor,
        name="Lab",
        amount="100",
        period_kind="ANNUAL",
        start_date=date(2026, 1, 1),
        owner_ids=[owner.id],
    )
    project = await budgets.create_project(admin_actor, name="P")
    from app.services import allocations

    await allocations.allocate(admin_actor, budget_id=budget.id, project_id=project.id, amount="1")
    await actors.add_project_member(admin_actor, project_id=project.id, user_id=member.id)
    owners = """query($id: ID!) { budget(id: $id) { owners { name apiTokens { id } } } }"""
    bid = ids.encode("Budget", budget.id)

    seen = (await gql(member, owners, id=bid))["budget"]["owners"]
    assert seen and all(o["apiTokens"] is None for o in seen)  # the member sees owners only
    seen = {
        o["name"]: o["apiTokens"] for o in (await gql(owner, owners, id=bid))["budget"]["owners"]
    }
    assert seen["Olu Owner"] is not None and seen.get("Ada Admin") is None
    seen = {
        o["name"]: o["apiTokens"]
        for o in (await gql(admin_user, owners, id=bid))["budget"]["owners"]
    }
    assert seen["Olu Owner"] is not None  # admins see anyone's

    owner_token = await ApiToken.get(user_id=owner.id)
    tok = ids.encode("ApiToken", owner_token.id)
    denied = (await gql(member, REVOKE, id=tok))["revokeApiToken"]
    assert denied["__typename"] == "PermissionDenied", denied
    assert "revoke other users' API tokens" in denied["message"]
    await owner_token.refresh_from_db()
    assert owner_token.revoked_at is None
    done = (await gql(admin_user, REVOKE, id=tok))["revokeApiToken"]
    assert done["__typename"] == "ApiTokenRevoked", done
    await owner_token.refresh_from_db()
    assert owner_token.revoked_at is not None


async def test_a_bad_token_id_names_the_field(database: str, gql: Any) -> None:
    user, _ = await make_user("Bo Badid")
    wrong_kind = (await gql(user, REVOKE, id="usr_1"))["revokeApiToken"]
    assert wrong_kind["__typename"] == "ValidationError" and wrong_kind["field"] == "tokenId"
    assert "tok_1" in wrong_kind["message"]
    missing = (await gql(user, REVOKE, id="tok_99999"))["revokeApiToken"]
    assert missing["__typename"] == "NotFound", missing
