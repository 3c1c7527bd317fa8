"""Shared fixtures: a migrated database per test (SQLite always, PostgreSQL where marked),
a fixed clock, actors, and a GraphQL executor."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from conftest_pg import pg_database_url, pg_server  # noqa: F401
from helpers import NOW, actor_of, both_databases, make_user  # noqa: F401
from pgserver import PgServer

from app import clock, db
from app.domain.access import Actor
from app.models import User
from app.services import actors as actor_service


def _migrate(url: str) -> None:
    """Create the schema as a real database gets it: the migrations in app/migrations (once
    per session, into a template copied for each test). They add what the models cannot say,
    such as SQLite's triggers that keep the period totals (migration 0006);
    `tests/test_migrations.py` checks that they build the same tables as the models."""

    async def main() -> None:
        await db.migrate(url)
        await db.close_db()

    asyncio.run(main())


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    _migrate(f"sqlite://{path}")
    return path


@pytest.fixture(scope="session")
def pg_template(pg_server: PgServer) -> str:  # noqa: F811
    url = pg_server.create_database("allot_tmpl")
    _migrate(url)
    return "allot_tmpl"


def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    path = tmp_path / "allot.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite://{path}"


@pytest.fixture(params=["sqlite"])
def database_url(request: pytest.FixtureRequest, sqlite_template: Path, tmp_path: Path) -> str:
    """A freshly migrated database. Tests parametrize with `indirect` to add PostgreSQL."""
    if request.param == "postgres":
        server: PgServer = request.getfixturevalue("pg_server")
        template = request.getfixturevalue("pg_template")
        return server.create_database(template=template)
    return sqlite_url(sqlite_template, tmp_path)


@pytest.fixture(autouse=True)
def fixed_clock() -> Iterator[list[datetime]]:
    """Services read time from app.clock; tests pin it (and may move it: now[0] = …)."""
    now = [NOW]
    clock.set_clock(lambda: now[0])
    yield now
    clock.set_clock(None)


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[str]:
    # Tortoise caches each model's SQL per connection name, not per dialect: a PostgreSQL test
    # after a SQLite one would reuse `?` placeholders.
    from tortoise.backends.base.executor import EXECUTOR_CACHE

    EXECUTOR_CACHE.clear()
    await db.init_db(database_url)
    yield database_url
    await db.close_db()


@pytest.fixture
async def admin(database: str) -> tuple[User, Actor, str]:
    user, token = await actor_service.create_user(
        None, name="Ada Admin", email="ada@example.org", is_admin=True
    )
    return user, await actor_service.load_actor(user), token


@pytest.fixture
def gql() -> Any:
    """`await gql(user, query, **variables)` runs an operation through the real schema."""
    from schema import schema
    from schema.context import context_for_user

    async def run(user: User | None, query: str, **variables: Any) -> dict[str, Any]:
        context = await context_for_user(user)
        result = await schema.execute(query, variable_values=variables, context_value=context)
        if result.errors:
            raise AssertionError(f"GraphQL errors: {[e.message for e in result.errors]}")
        assert result.data is not None
        return result.data

    return run
