"""Helpers for tests (import them from here, never from a conftest: several conftest modules
exist and `from conftest import …` may pick the wrong one)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.domain.access import Actor
from app.models import User
from app.services import actors as actor_service

#: What the autouse `fixed_clock` fixture pins app.clock to.
NOW = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)

#: Run a test on SQLite and on a real PostgreSQL started by the tests.
both_databases = pytest.mark.parametrize(
    "database_url",
    ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
    indirect=True,
)


async def make_user(name: str, *, admin: bool = False, creator: bool = False) -> tuple[User, str]:
    """A user and their token; `creator` grants the right to create budgets and projects."""
    email = name.lower().replace(" ", ".") + "@example.org"
    return await actor_service.create_user(
        None, name=name, email=email, is_admin=admin, is_budget_creator=creator
    )


async def actor_of(user: User) -> Actor:
    return await actor_service.load_actor(user)
