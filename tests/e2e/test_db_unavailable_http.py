"""PostgreSQL down: HTTP routes answer 503 with Retry-After and a GraphQL-shaped UNAVAILABLE
error (retryable), never a plain-text 500 or a dropped connection; GraphQL operations carry the
code UNAVAILABLE. Without app.unavailable_http the bearer token's lookup failing with the
database away escaped as Starlette's plain-text "Internal Server Error" (500): these fail there.

A private cluster (tests/pgserver.py) is stopped and started again on its own port."""

from __future__ import annotations

import asyncio
from datetime import date

import httpx
import pytest
from helpers import make_user
from private_pg import pg_ctl

from app.server import create_app
from app.services import actors, budgets
from app.settings import Settings
from schema import schema
from schema.context import context_for_user

pytestmark = pytest.mark.postgres


def _unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, (response.status_code, response.text)
    assert response.headers["retry-after"] == "5"
    assert response.headers["content-type"].startswith("application/json")
    (error,) = response.json()["errors"]
    assert error["extensions"] == {"code": "UNAVAILABLE", "retryable": True}
    assert "try again" in error["message"]


async def test_postgres_down_is_a_503_on_http_routes_and_unavailable_in_graphql(live_db, cluster):
    owner, token = await make_user("Olga Owner", creator=True)
    budget = await budgets.create_budget(
        await actors.load_actor(owner), name="Down", amount="100", period_kind="GRANT",
        start_date=date(2026, 1, 1), end_date=date(2026, 12, 31),
    )  # fmt: skip
    app = create_app(Settings(database_url=live_db), init_database=False, workers=[])
    auth = {"Authorization": f"Bearer {token}"}
    # A token not looked up yet: its lookup needs the database (known ones may be cached).
    _, unseen = await make_user("Una Unseen")
    fresh = {"Authorization": f"Bearer {unseen}"}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
        base_url="http://allot.test",
    ) as client:
        ok = await client.post("/graphql", json={"query": "{ viewer { id } }"}, headers=auth)
        assert ok.status_code == 200 and ok.json()["data"]["viewer"], ok.text
        context = await context_for_user(owner)
        await asyncio.to_thread(pg_ctl, cluster, "stop", "-m", "fast")
        try:
            # The bearer token is looked up before GraphQL runs.
            _unavailable(
                await client.post("/graphql", json={"query": "{ viewer { id } }"}, headers=fresh)
            )
            _unavailable(
                await client.get(f"/reports/bud_{budget.id}/allocations.csv", headers=fresh)
            )
            # An operation that runs (its context was built before): a field error with the
            # code UNAVAILABLE, not a masked "Unexpected error".
            result = await schema.execute(
                'mutation { createProject(input: {name: "X"}) { __typename } }',
                context_value=context,
            )
            (error,) = result.errors
            assert error.extensions == {"code": "UNAVAILABLE", "retryable": True}, error
            assert "Unexpected" not in error.message
        finally:
            await asyncio.to_thread(pg_ctl, cluster, "start")
        for _ in range(50):  # the pool's connections died with the server: the next is fresh
            again = await client.post("/graphql", json={"query": "{ viewer { id } }"}, headers=auth)
            if again.status_code == 200:
                break
            await asyncio.sleep(0.1)
        assert again.status_code == 200 and again.json()["data"]["viewer"], again.text
