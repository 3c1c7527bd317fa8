"""`recordSpends` items/s through the service, next to a plain bulk insert of the same rows.

Both run on the same database in the same process: the plain insert is one executemany of
`INSERT INTO spend` per batch in a transaction (what a hand-written loader would do, with no
validation, no ledger, no duplicate check); the service does all of that. SQLite always;
PostgreSQL too with `--pg` (a private server from tests/pgserver.py) or ALLOT_BENCH_PG_URL.

    python -m bench.record_spends [--items 50000] [--batch 10000] [--pg]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tortoise.transactions import in_transaction

from app import db
from app.services.batch import record_spends
from app.services.batch_items import RECORDED
from app.services.batch_ledger import execute_many
from app.services.spending import SpendInput
from bench._setup import database_urls, fresh, world

_PLAIN = (
    "INSERT INTO spend (budget_id, allocation_id, project_id, amount_micros, service,"
    " description, occurred_at, local_day, source, external_id, quantity, unit,"
    " recorded_by_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
SERVICES = ["Amazon EC2", "Amazon S3", "Azure OpenAI", "BigQuery", "Vertex AI"]


def _items(n: int, projects: list[int], start: datetime) -> list[SpendInput]:
    return [
        SpendInput(
            project_id=projects[i % len(projects)],
            amount=f"{(i % 997) + 1}.{i % 1000:03d}",
            service=SERVICES[i % len(SERVICES)],
            external_id=f"line-{i}",
            occurred_at=start + timedelta(minutes=i % 40_000),
            source="bench",
        )
        for i in range(n)
    ]


async def _plain(items: list[SpendInput], batch: int, user_id: int) -> float:
    from app.models import Allocation

    allocation = {a.project_id: (a.budget_id, a.id) for a in await Allocation.all()}  # type: ignore[attr-defined]
    now = datetime.now(UTC)
    started = time.perf_counter()
    for lo in range(0, len(items), batch):
        rows = []
        for it in items[lo : lo + batch]:
            budget_id, allocation_id = allocation[it.project_id]
            assert it.occurred_at is not None
            rows.append(
                [
                    budget_id,
                    allocation_id,
                    it.project_id,
                    int(float(it.amount) * 1e6),  # type: ignore[arg-type]
                    it.service,
                    None,
                    it.occurred_at,
                    it.occurred_at.date(),
                    "plain",
                    it.external_id,
                    None,
                    None,
                    user_id,
                    now,
                ]
            )
        async with in_transaction():
            await execute_many(_PLAIN, rows)
    return time.perf_counter() - started


async def _service(actor, items: list[SpendInput], batch: int) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    for lo in range(0, len(items), batch):
        results = await record_spends(actor, items[lo : lo + batch])
        assert all(r.status == RECORDED for r in results), results[0]
    return time.perf_counter() - started


async def run(label: str, url: str, n: int, batch: int) -> None:
    from app.services.verify import verify

    await fresh(url)
    try:
        actor, projects = await world(10)
        items = _items(n, projects, datetime(2025, 1, 1, tzinfo=UTC))
        plain = await _plain(items, batch, actor.user_id)
        service = await _service(actor, items, batch)
        replay = time.perf_counter()
        results = await record_spends(actor, items[:batch])
        replay = time.perf_counter() - replay
        assert all(r.status == "duplicate" for r in results)
        drift = await verify()
    finally:
        await db.close_db()
    print(f"{label:9} {n:,} items in batches of {batch:,}")
    print(f"  plain INSERT executemany   {n / plain:>10,.0f} rows/s   ({plain:.2f} s)")
    print(
        f"  recordSpends service       {n / service:>10,.0f} items/s  ({service:.2f} s)"
        f"   = {plain / service:.0%} of plain"
    )
    print(f"  replay of one batch        {batch / replay:>10,.0f} items/s  (all duplicates)")
    print(f"  verify drift               {len(drift)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=50_000)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--pg", action="store_true", help="also start a private PostgreSQL")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, database_urls(Path(tmp), args.pg) as urls:
        for label, url in urls:
            asyncio.run(run(label, url, args.items, args.batch))


if __name__ == "__main__":
    main()
