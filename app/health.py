"""/healthz and /readyz, for a process supervisor and a load balancer.

- `/healthz` is liveness: the process answers (no database call, so a slow database does not
  get healthy processes restarted). Always 200 `{"status": "ok"}`.
- `/readyz` is readiness: may this process be sent traffic? Three checks, in order, each
  bounded by `CHECK_SECONDS`: the database answers (`SELECT 1`), every migration of
  app/migrations is applied (Tortoise's recorder table, app.db.pending_migrations), and it
  takes writes (a no-op UPDATE in a transaction that is rolled back: refused by a read-only
  SQLite file or a PostgreSQL standby or read-only transaction default). 200 when all pass,
  else 503; the body names each check's result and the failed ones, and carries the pid of
  the worker that answered (with several uvicorn workers, which one this was).
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from app import db

logger = logging.getLogger("allot.health")

CHECK_SECONDS = 5.0
#: The table that exists once migrations ran (the recorder's), so the write check needs
#: nothing of Allot's own schema; WHERE 1 = 0 changes nothing, but is still a write statement.
NO_OP_WRITE = 'UPDATE "tortoise_migrations" SET "name" = "name" WHERE 1 = 0'


OK = ("ok", "skipped")


class _RollBack(Exception):
    pass


async def healthz(_: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def _database() -> str:
    from app.services.sql import fetch

    await fetch("SELECT 1 AS ok")
    return "ok"


async def _migrations() -> str:
    pending = await db.pending_migrations()
    if pending:
        raise RuntimeError(f"not applied: {', '.join(pending)} (run `allot migrate`)")
    return "ok"


async def _writable() -> str:
    from tortoise.transactions import in_transaction

    try:
        async with in_transaction() as connection:
            await connection.execute_query(NO_OP_WRITE)
            raise _RollBack
    except _RollBack:
        return "ok"


CHECKS: list[tuple[str, Callable[[], Awaitable[str]]]] = [
    ("database", _database),
    ("migrations", _migrations),
    ("writable", _writable),
]


async def readiness() -> tuple[bool, dict[str, str]]:
    """Run the checks in order; after a failure the rest are "skipped" (each needs the one
    before it)."""
    results: dict[str, str] = {}
    failed = False
    for name, check in CHECKS:
        if failed:
            results[name] = "skipped"
            continue
        try:
            results[name] = await asyncio.wait_for(check(), CHECK_SECONDS)
        except TimeoutError:
            results[name] = f"no answer within {CHECK_SECONDS:g}s"
            failed = True
        except Exception as exc:
            logger.warning("readiness check %s failed: %s", name, exc)
            results[name] = f"{type(exc).__name__}: {exc}"[:300]
            failed = True
    return not failed, results


async def readyz(_: Request) -> Response:
    ready, checks = await readiness()
    body: dict[str, Any] = {
        "status": "ready" if ready else "not ready",
        "pid": os.getpid(),
        "checks": checks,
    }
    if not ready:
        body["failed"] = [name for name, result in checks.items() if result not in OK]
    return JSONResponse(body, status_code=200 if ready else 503)
