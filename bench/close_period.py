"""Bench: closing the period of a budget with 10,000 allocations, on SQLite and PostgreSQL.

Setup writes the rows in bulk (projects, allocations with some spend, their journal entries), so
the ledger verifies. Then one `close_period` is timed: it archives March, opens April, carries
10,000 allocations over with CARRY_UNSPENT (10,000 ALLOCATE + up to 10,000 ROLLOVER entries).
Goal: under 5 s on each database.

PostgreSQL: ALLOT_BENCH_PG_URL, else a throwaway server from tests/pgserver.py (needs the
PostgreSQL binaries; skipped without them).

Run: python -m bench.close_period [--allocations N] [--no-pg] [--verify]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

from tortoise import Tortoise

from app import clock, db
from app.domain.ledger import AccountKind as K
from app.domain.ledger import EntryKind
from app.models import Allocation, Budget, BudgetPeriod, JournalEntry, Project, SpendDaily
from app.services import ledger, periods

M = 1_000_000
APRIL = datetime(2026, 4, 1, 0, 1, tzinfo=UTC)


async def setup(n: int) -> int:
    rng = random.Random(4)
    budget = await Budget.create(
        name="Bench",
        amount_micros=n * 150 * M,
        period_kind="MONTHLY",
        start_date=date(2026, 3, 1),
        rollover_policy="CARRY_UNSPENT",
    )
    period = await BudgetPeriod.create(
        budget=budget, seq=1, start_date=date(2026, 3, 1), end_date=date(2026, 3, 31)
    )
    await ledger.fund(period, budget.amount_micros, None)
    await Project.bulk_create(
        [Project(name=f"p{i}", slug=f"bench-p{i}") for i in range(n)], batch_size=1000
    )
    project_ids = (
        await Project.filter(slug__startswith="bench-p").order_by("id").values_list("id", flat=True)
    )
    amounts = [(rng.randint(50, 150) * M, rng.randint(0, 200) * M) for _ in project_ids]
    await Allocation.bulk_create(
        [
            Allocation(
                budget_id=budget.id,
                period_id=period.id,
                project_id=pid,
                allocated_micros=a,
                spent_micros=s,
            )
            for pid, (a, s) in zip(project_ids, amounts, strict=True)
        ],
        batch_size=1000,
    )
    ids = (
        await Allocation.filter(period_id=period.id)
        .order_by("project_id")
        .values_list("id", flat=True)
    )
    entries = []
    for alloc_id, (a, s) in zip(ids, amounts, strict=True):
        entries.append(
            ledger.entry(
                budget.id,
                EntryKind.ALLOCATE,
                a,
                src=(K.POOL, period.id, None),
                dst=(K.ALLOCATION, period.id, alloc_id),
                actor_id=None,
            )
        )
        if s:
            entries.append(
                ledger.entry(
                    budget.id,
                    EntryKind.SPEND,
                    s,
                    src=(K.ALLOCATION, period.id, alloc_id),
                    dst=(K.SPENT, period.id, None),
                    actor_id=None,
                )
            )
    await ledger.post_entries(entries)
    await SpendDaily.bulk_create(
        [
            SpendDaily(
                period_id=period.id,
                allocation_id=alloc_id,
                day=date(2026, 3, 20),
                service="compute",
                amount_micros=s,
                count=1,
            )
            for alloc_id, (_, s) in zip(ids, amounts, strict=True)
            if s
        ],
        batch_size=1000,
    )
    total_a, total_s = sum(a for a, _ in amounts), sum(s for _, s in amounts)
    await BudgetPeriod.filter(id=period.id).update(
        unallocated_micros=budget.amount_micros - total_a,
        allocated_micros=total_a,
        spent_micros=total_s,
    )
    return budget.id


async def run(url: str, n: int, check: bool) -> tuple[float, int]:
    await db.init_db(url)
    await Tortoise.generate_schemas()
    try:
        budget_id = await setup(n)
        clock.set_clock(lambda: APRIL)
        started = time.perf_counter()
        result = await periods.close_period(None, budget_id)
        elapsed = time.perf_counter() - started
        assert result.next is not None
        carried = await JournalEntry.filter(kind="ROLLOVER").count()
        if check:
            from app.services.verify import verify

            drifts = await verify()
            print(f"verify: {len(drifts)} drift(s); ", end="")
        return elapsed, carried
    finally:
        clock.set_clock(None)
        await db.close_db()


def _measure(label: str, url: str, n: int, check: bool) -> None:
    """One database per process: Tortoise keeps per-dialect query caches on the models."""
    cmd = [sys.executable, "-m", "bench.close_period", "--allocations", str(n), "--one", url]
    out = subprocess.run(
        cmd + (["--verify"] if check else []), capture_output=True, text=True, check=False
    )
    if out.returncode != 0:
        print(f"  {label}: failed\n{out.stderr}")
        return
    print(f"  {label}: {out.stdout.strip()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--allocations", type=int, default=10_000)
    parser.add_argument("--no-pg", action="store_true")
    parser.add_argument("--verify", action="store_true", help="run allot verify afterwards")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    n = args.allocations
    if args.one:
        elapsed, carried = asyncio.run(run(args.one, n, args.verify))
        print(f"{elapsed:6.2f} s  ({carried} rollover entries)")
        return
    print(f"close_period, {n} allocations, CARRY_UNSPENT")
    with tempfile.TemporaryDirectory() as tmp:
        _measure("SQLite    ", f"sqlite://{Path(tmp) / 'bench.db'}", n, args.verify)
    if args.no_pg:
        return
    url = os.environ.get("ALLOT_BENCH_PG_URL")
    server = None
    if url is None:
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
        from pgserver import PgServer, PgUnavailable

        server = PgServer()
        try:
            server.start()
        except PgUnavailable as exc:
            print(f"  PostgreSQL: skipped ({exc})")
            return
        url = server.create_database("bench_close")
    try:
        _measure("PostgreSQL", url, n, args.verify)
    finally:
        if server is not None:
            server.stop()


if __name__ == "__main__":
    main()
