"""authorizeSpend latency at 16 concurrent clients, over real HTTP.

    python -m bench.authorize_latency [--requests 4000] [--clients 16] [--projects 20]

Seeds a fresh SQLite database (a budget, N funded projects, spend history over the period and
some open holds), starts the real app (`bench._server.running_server`) under uvicorn on 127.0.0.1 in
a subprocess (so client and server do not share a GIL), then runs the clients with httpx and
prints p50/p95/p99 latency and throughput. Figures only; nothing here asserts on time.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bench._server import running_server

QUERY = """query($p: ID!, $a: Decimal!) { authorizeSpend(projectId: $p, amount: $a) {
  allowed reason remaining dailyAllowance } }"""


async def seed(url: str, projects: int, spends_per_project: int) -> tuple[str, list[str]]:
    from tortoise import Tortoise

    from app import clock, db
    from app.domain.access import Actor
    from app.services import actors, allocations, budgets, reservations, spending
    from app.services.spending import SpendInput

    await db.init_db(url)
    await Tortoise.generate_schemas()
    admin, token = await actors.create_user(
        None, name="Bench", email="bench@example.org", is_admin=True
    )
    actor = Actor(user_id=admin.id, is_admin=True)
    today = datetime.now(UTC).date()
    b = await budgets.create_budget(
        actor,
        name="Bench grant",
        amount="10000000",
        period_kind="GRANT",
        start_date=date(today.year, 1, 1),
        end_date=date(today.year, 12, 31),
        enforce_pacing=True,
    )
    rng = random.Random(7)
    ids = []
    for i in range(projects):
        p = await budgets.create_project(actor, name=f"Project {i}")
        await allocations.allocate(actor, budget_id=b.id, project_id=p.id, amount="100000")
        ids.append(f"prj_{p.id}")
        for _ in range(spends_per_project):
            at = datetime.now(UTC) - timedelta(days=rng.randint(0, 60), minutes=rng.randint(0, 600))
            await spending.record_spend(
                actor,
                SpendInput(
                    project_id=p.id,
                    amount=f"{rng.randint(1, 50_000) / 100:.2f}",
                    service=rng.choice(["aws", "gcp", "openai", "hpc"]),
                    occurred_at=at,
                ),
            )
        await reservations.reserve_spend(actor, project_id=p.id, amount="250", ttl_seconds=86400)
    clock.set_clock(None)
    await db.close_db()
    return token, ids


async def load(
    base: str, token: str, projects: list[str], requests: int, clients: int, warmup: int
) -> tuple[list[float], float, int, int]:
    import httpx

    latencies: list[float] = []
    errors = 0
    allowed = 0
    todo = iter(range(warmup + requests))
    headers = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    started = 0.0

    async def client_loop(client: httpx.AsyncClient, seed: int) -> None:
        nonlocal errors, allowed, started
        rng = random.Random(seed)
        for n in todo:
            if n == warmup:
                started = time.perf_counter()
            body = {
                "query": QUERY,
                "variables": {
                    "p": rng.choice(projects),
                    "a": f"{rng.randint(1, 200_000) / 100:.2f}",
                },
            }
            t0 = time.perf_counter()
            response = await client.post(f"{base}/graphql", json=body, headers=headers)
            elapsed = time.perf_counter() - t0
            data = response.json()
            if response.status_code != 200 or data.get("errors"):
                errors += 1
            elif data["data"]["authorizeSpend"]["allowed"]:
                allowed += 1
            if n >= warmup:
                latencies.append(elapsed)

    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        await asyncio.gather(*(client_loop(client, i) for i in range(clients)))
    wall = time.perf_counter() - started
    return latencies, wall, errors, allowed


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--projects", type=int, default=20)
    parser.add_argument("--spends", type=int, default=100, help="spends per project")
    parser.add_argument("--warmup", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite://{Path(tmp) / 'bench.db'}"
        t0 = time.perf_counter()
        token, projects = asyncio.run(seed(url, args.projects, args.spends))
        print(
            f"seeded {args.projects} projects x {args.spends} spends + 1 open hold each "
            f"in {time.perf_counter() - t0:.1f}s (SQLite)"
        )
        with running_server(url, ALLOT_INTROSPECTION="false") as base:
            latencies, wall, errors, allowed = asyncio.run(
                load(base, token, projects, args.requests, args.clients, args.warmup)
            )
    ms = [x * 1000 for x in latencies]
    print(
        f"authorizeSpend over HTTP, {args.clients} concurrent clients, {len(ms)} requests "
        f"(after {args.warmup} warm-up), uvicorn single worker, SQLite"
    )
    print(
        f"  latency ms: p50 {pct(ms, 50):.2f}  p95 {pct(ms, 95):.2f}  p99 {pct(ms, 99):.2f}  "
        f"mean {statistics.fmean(ms):.2f}  max {max(ms):.2f}"
    )
    print(f"  throughput: {len(ms) / wall:.0f} requests/s  ({wall:.2f}s wall)")
    print(f"  allowed {allowed}, errors {errors}")


if __name__ == "__main__":
    main()
