"""The floor: a tiny Starlette app that does Allot's work as raw SQL plus JSON.

It runs under the very same command as Allot (`uvicorn bench.perf.floor_app:create --factory`,
bench/_server.py), on the same database with the same driver, takes the same request bodies
(GraphQL JSON: only `variables` is read) and answers with the JSON Allot answers, so the
difference between the two is what the ORM, GraphQL and the service layers cost.

    POST /list  /dashboard  /spend  /authorize  /reserve      GET /healthz

The database URL is ALLOT_DATABASE_URL, as for Allot.
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from bench.perf import _floor_reads, _floor_writes
from bench.perf._floor_db import Db, open_db

Handler = Callable[[Db, str | None, dict[str, Any]], Awaitable[dict]]


def _read(full: bool) -> Handler:
    compute = _floor_reads.dashboard if full else _floor_reads.allocation_list

    async def handler(db: Db, auth: str | None, v: dict[str, Any]) -> dict:
        async with db.connection() as conn:
            try:
                return await compute(conn, auth, str(v["id"]), int(v["n"]))
            except _floor_reads.Refused as exc:
                return {"data": {"budget": None}, "errors": [{"message": str(exc)}]}

    return handler


ROUTES: dict[str, Handler] = {
    "/list": _read(full=False),
    "/dashboard": _read(full=True),
    "/spend": _floor_writes.record_spend,
    "/authorize": _floor_writes.authorize_spend,
    "/reserve": _floor_writes.reserve_spend,
}


def create() -> Starlette:
    state: dict[str, Db] = {}

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        state["db"] = await open_db(os.environ["ALLOT_DATABASE_URL"])
        try:
            yield
        finally:
            await state["db"].close()

    def endpoint(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def run(request: Request) -> Response:
            variables = json.loads(await request.body()).get("variables") or {}
            result = await handler(state["db"], request.headers.get("authorization"), variables)
            return Response(
                json.dumps(result, separators=(",", ":")), media_type="application/json"
            )

        return run

    async def healthz(_request: Request) -> Response:
        return PlainTextResponse("ok")

    routes = [Route(path, endpoint(h), methods=["POST"]) for path, h in ROUTES.items()]
    routes.append(Route("/healthz", healthz))
    return Starlette(routes=routes, lifespan=lifespan)
