"""Raw SQL for the few statements the ORM cannot say: conditional balance updates and upserts.

Written with `?` placeholders; PostgreSQL gets `$1, $2, …`.
"""

from __future__ import annotations

from typing import Any

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient


def conn() -> BaseDBAsyncClient:
    return connections.get("default")


def _render(db: BaseDBAsyncClient, query: str) -> str:
    if db.capabilities.dialect != "postgres":
        return query
    parts = query.split("?")
    out = [parts[0]]
    for i, part in enumerate(parts[1:], start=1):
        out.append(f"${i}{part}")
    return "".join(out)


async def fetch(query: str, *params: Any, db: BaseDBAsyncClient | None = None) -> list[dict]:
    db = db or conn()
    return await db.execute_query_dict(_render(db, query), list(params))


async def execute(query: str, *params: Any, db: BaseDBAsyncClient | None = None) -> int:
    db = db or conn()
    rows, _ = await db.execute_query(_render(db, query), list(params))
    return rows


async def execute_many(query: str, rows: list[list[object]]) -> None:
    """One executemany with `?` placeholders (rewritten to `$n` for PostgreSQL)."""
    if not rows:
        return
    db = conn()
    await db.execute_many(_render(db, query), rows)


def is_postgres(db: BaseDBAsyncClient | None = None) -> bool:
    return (db or conn()).capabilities.dialect == "postgres"
