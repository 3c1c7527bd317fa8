"""Issue 2's figures: SQL statements per dashboard query at 10, 100 and 1,000 allocations (must
not grow), the dashboard's median latency over HTTP with 200,000 spend records, and recordSpend
throughput over HTTP with 16 concurrent clients.

    python -m bench.dashboard [--spends 200000] [--requests 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from app import db
from app.services import actors, allocations, budgets
from app.services.allocations import Split, SplitItem
from app.services.batch import record_spends
from app.services.spending import SpendInput
from bench._server import running_server
from bench._setup import fresh

DASHBOARD = """query($id: ID!, $n: Int!) { budget(id: $id) { name amount allocated unallocated spent
  remaining percentUsed status dailyDrip
  allocations(first: $n) { totalCount edges { node { id amount spent remaining percentUsed status
    dailyDrip runwayDays forecast { burnRatePerDay projectedSpend exhaustionDate }
    project { name slug } } } }
  topSpenders { project { name } spent } timeline { date spent cumulative ideal }
  serviceBreakdown { service amount } forecast { burnRatePerDay projectedSpend projectedOverrun }
  transfers { edges { node { amount status requestedBy { name } } } } owners { name } } }"""

SERVICES = ["aws-ec2", "aws-s3", "gcp-compute", "openai", "anthropic", "azure-vm"]


class _Counter(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


async def build(url: str, n_alloc: int, n_spends: int) -> tuple[str, str, list[int]]:
    await fresh(url)
    user, token = await actors.create_user(None, name="Bench", email="b@example.org", is_admin=True)
    actor = await actors.load_actor(user)
    b = await budgets.create_budget(
        actor,
        name="Bench budget",
        amount="100000000",
        period_kind="GRANT",
        start_date=datetime(2026, 1, 1).date(),
        end_date=datetime(2026, 12, 31).date(),
    )
    projects = [
        await budgets.create_project(actor, name=f"Project {i}", slug=f"p-{i}")
        for i in range(n_alloc)
    ]
    await allocations.allocate_many(
        actor,
        budget_id=b.id,
        split=Split.EQUAL,
        total="50000000",
        items=[SplitItem(project_id=p.id) for p in projects],
    )
    start = datetime(2026, 1, 1, 12, tzinfo=UTC)
    batch: list[SpendInput] = []
    for i in range(n_spends):
        batch.append(
            SpendInput(
                project_id=projects[i % n_alloc].id,
                budget_id=b.id,
                amount=f"{(i % 97) + 1}.{i % 100:02d}",
                service=SERVICES[i % len(SERVICES)],
                occurred_at=start + timedelta(hours=i % (300 * 24)),
            )
        )
        if len(batch) == 10_000:
            await record_spends(actor, batch)
            batch = []
    if batch:
        await record_spends(actor, batch)
    from schema.ids import encode

    return encode("Budget", b.id), token, [p.id for p in projects]


async def count_statements(url: str, n_alloc: int) -> int:
    from app import clock
    from schema import schema
    from schema.context import context_for_token

    budget_id, token, _ = await build(url, n_alloc, n_spends=n_alloc * 5)
    clock.set_clock(lambda: datetime(2026, 6, 15, 12, tzinfo=UTC))
    logger = logging.getLogger("tortoise.db_client")
    counter = _Counter()
    logger.addHandler(counter)
    logger.setLevel(logging.DEBUG)
    try:
        context = await context_for_token(token)
        counter.count = 0
        result = await schema.execute(
            DASHBOARD, variable_values={"id": budget_id, "n": n_alloc}, context_value=context
        )
        assert not result.errors, result.errors
        assert len(result.data["budget"]["allocations"]["edges"]) == n_alloc  # type: ignore[index]
        return counter.count
    finally:
        logger.removeHandler(counter)
        clock.set_clock(None)
        await db.close_db()


async def http_figures(url: str, n_spends: int, requests: int) -> None:
    budget_id, token, project_ids = await build(url, 1000, n_spends)
    await db.close_db()
    headers = {"Authorization": f"Bearer {token}"}
    with running_server(url) as server:
        base = f"{server}/graphql"
        async with httpx.AsyncClient(headers=headers, timeout=60) as client:
            times = []
            for _ in range(15):
                t = time.perf_counter()
                r = await client.post(
                    base, json={"query": DASHBOARD, "variables": {"id": budget_id, "n": 1000}}
                )
                times.append(time.perf_counter() - t)
                assert r.status_code == 200 and "errors" not in r.json(), r.text[:500]
            print(
                f"dashboard query over HTTP (1,000 allocations, {n_spends:,} spends): "
                f"median {statistics.median(times) * 1000:.0f} ms, "
                f"min {min(times) * 1000:.0f} ms over {len(times)} runs"
            )

            mutation = """mutation($p: ID!, $a: Decimal!) { recordSpend(input: {projectId: $p,
              amount: $a, service: "bench"}) { __typename } }"""
            counter = iter(range(requests))
            latencies: list[float] = []

            async def worker() -> None:
                for i in counter:
                    t = time.perf_counter()
                    r = await client.post(
                        base,
                        json={
                            "query": mutation,
                            "variables": {"p": str(project_ids[i % len(project_ids)]), "a": "0.25"},
                        },
                    )
                    latencies.append(time.perf_counter() - t)
                    assert r.json()["data"]["recordSpend"]["__typename"] == "SpendRecorded", r.text

            t0 = time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(16)))
            elapsed = time.perf_counter() - t0
            latencies.sort()
            print(
                f"recordSpend over HTTP, 16 concurrent clients: {requests / elapsed:,.0f} req/s "
                f"(p50 {latencies[len(latencies) // 2] * 1000:.0f} ms, "
                f"p99 {latencies[int(len(latencies) * 0.99)] * 1000:.0f} ms)"
            )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--spends", type=int, default=200_000)
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for n in (10, 100, 1000):
            url = f"sqlite://{Path(tmp) / f'count{n}.db'}"
            print(
                f"SQL statements for the dashboard query with {n:>5} allocations: "
                f"{asyncio.run(count_statements(url, n))}"
            )
        asyncio.run(http_figures(f"sqlite://{Path(tmp) / 'http.db'}", args.spends, args.requests))


if __name__ == "__main__":
    main()
