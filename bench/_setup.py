"""Shared set-up for the spend benchmarks: a fresh database with a budget, projects and rules."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from app import db
from app.domain.access import Actor
from app.services import actors, allocations, budgets


@contextmanager
def database_urls(tmp: Path, want_pg: bool) -> Iterator[list[tuple[str, str]]]:
    """[(label, url)]: SQLite always; PostgreSQL from ALLOT_BENCH_PG_URL or a private server."""
    urls = [("sqlite", f"sqlite://{tmp / 'bench.db'}")]
    server = None
    if os.environ.get("ALLOT_BENCH_PG_URL"):
        urls.append(("postgres", os.environ["ALLOT_BENCH_PG_URL"]))
    elif want_pg:
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
        from pgserver import PgServer, PgUnavailable

        try:
            server = PgServer().start()
            urls.append(("postgres", server.create_database()))
        except PgUnavailable as exc:
            print(f"(PostgreSQL skipped: {exc})")
    try:
        yield urls
    finally:
        if server is not None:
            server.stop()


async def fresh(url: str) -> None:
    from tortoise.backends.base.executor import EXECUTOR_CACHE

    EXECUTOR_CACHE.clear()  # SQL is cached per connection name, not per dialect
    # Migrated as `allot migrate` does: the server refuses a database built any other way.
    try:
        await db.migrate(url)
    finally:
        await db.close_db()
    EXECUTOR_CACHE.clear()
    await db.init_db(url)


async def world(projects: int, slugs: list[str] | None = None) -> tuple[Actor, list[int]]:
    user, _ = await actors.create_user(
        None, name="Bench Admin", email="bench@example.org", is_admin=True
    )
    actor = await actors.load_actor(user)
    b = await budgets.create_budget(
        actor,
        name="Bench",
        amount="1000000000000",
        period_kind="GRANT",
        start_date=date(2024, 1, 1),
        end_date=date(2030, 12, 31),
    )
    ids = []
    for n, slug in enumerate(slugs or [f"p{n}" for n in range(projects)]):
        p = await budgets.create_project(actor, name=f"Project {n}", slug=slug)
        await allocations.allocate(actor, budget_id=b.id, project_id=p.id, amount="1000000000")
        ids.append(p.id)
    return actor, ids
