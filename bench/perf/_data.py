"""Benchmark databases, made with the real services and cached between runs.

A database is migrated as `allot migrate` does (app/migrations), then holds one GRANT budget
whose period runs from 200 days before the build to 165 days after it; N projects funded with
10,000 each by one `allocateMany` (EQUAL split; the budget holds 12,000 × N, so 2,000 × N stays
unallocated); three transfers applied by the owner; and M spends recorded through
`app.services.batch.record_spends` in batches of 10,000 (so the `spend_daily` roll-up and the
journal are the real ones). Spends fall at uniformly random instants between the period start
and the build time, on a random one of six services, on projects picked with random weights
(0.1–2.3), amounts uniform in [0.01, 2 × mean] with the mean chosen so about half of what was
allocated is spent: envelopes end up HEALTHY to EXHAUSTED.

Built databases are cached under `$ALLOT_BENCH_CACHE` (default `<tmp>/allot-bench-cache`),
keyed by backend, size and format version: a SQLite file, or a `pg_dump -Fc` archive restored
into the run's private cluster. A cache older than `MAX_AGE_DAYS` is rebuilt (the server's
clock is the real one: the period must still contain today). Once per run a cached database
is brought up to date with `allot migrate` (a migration added since the build, such as a new
index, applies to it as it would to a real installation). Every use gets its own copy.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import shutil
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.perf._pg import Cluster

VERSION = 1
MAX_AGE_DAYS = 14
SERVICES = ["aws-ec2", "aws-s3", "gcp-compute", "openai", "anthropic", "azure-vm"]


@dataclass(frozen=True)
class Dataset:
    """One copy of a built database: where it is and who may read it."""

    backend: str
    url: str
    token: str
    budget_id: str
    project_ids: list[str]
    allocations: int
    spends: int


def cache_dir() -> Path:
    root = os.environ.get("ALLOT_BENCH_CACHE") or Path(tempfile.gettempdir()) / "allot-bench-cache"
    path = Path(root) / f"v{VERSION}"
    path.mkdir(parents=True, exist_ok=True)
    return path


async def build(url: str, allocations: int, spends: int) -> dict[str, object]:
    """Fill an empty database (see the module docstring); returns the metadata to cache."""
    from tortoise.backends.base.executor import EXECUTOR_CACHE

    from app import db
    from app.services import actors, budgets, transfers
    from app.services import allocations as allocating
    from app.services.allocations import Split, SplitItem
    from app.services.batch import record_spends
    from app.services.batch_items import RECORDED
    from app.services.spending import SpendInput

    rng = random.Random(allocations * 1_000_003 + spends)
    EXECUTOR_CACHE.clear()  # SQL is cached per connection name, not per dialect
    await db.migrate(url)  # the real schema, as `allot migrate` makes it
    await db.init_db(url)
    try:
        user, token = await actors.create_user(
            None, name="Bench Owner", email="owner@bench.example", is_admin=True
        )
        actor = await actors.load_actor(user)
        now = datetime.now(UTC).replace(microsecond=0)
        start = (now - timedelta(days=200)).date()
        b = await budgets.create_budget(
            actor,
            name="Bench budget",
            amount=str(12_000 * allocations),
            period_kind="GRANT",
            start_date=start,
            end_date=start + timedelta(days=365),
        )
        projects = [
            (await budgets.create_project(actor, name=f"Project {i}", slug=f"p-{i}")).id
            for i in range(allocations)
        ]
        rows = await allocating.allocate_many(
            actor,
            budget_id=b.id,
            split=Split.EQUAL,
            total=str(10_000 * allocations),
            items=[SplitItem(project_id=p) for p in projects],
        )
        for n in range(min(3, len(rows) - 1)):
            await transfers.request_transfer(
                actor,
                amount="100",
                reason=f"bench transfer {n}",
                from_allocation_id=rows[n].id,
                to_allocation_id=rows[n + 1].id,
            )
        weights = [rng.uniform(0.1, 2.3) for _ in projects]
        mean = 0.5 * 10_000 * allocations / max(1, spends)
        origin = datetime.combine(start, datetime.min.time(), tzinfo=UTC)
        span = (now - origin).total_seconds() - 60
        done = 0
        while done < spends:
            n = min(10_000, spends - done)
            picked = rng.choices(projects, weights=weights, k=n)
            batch = [
                SpendInput(
                    project_id=p,
                    amount=f"{max(0.01, rng.uniform(0, 2 * mean)):.2f}",
                    service=rng.choice(SERVICES),
                    external_id=f"line-{done + i}",
                    occurred_at=origin + timedelta(seconds=int(rng.uniform(0, span))),
                    source="bench",
                )
                for i, p in enumerate(picked)
            ]
            results = await record_spends(actor, batch)
            assert all(r.status == RECORDED for r in results), results[0]
            done += n
    finally:
        await db.close_db()
    return {
        "token": token,
        "budget_id": f"bud_{b.id}",
        "project_ids": [f"prj_{p}" for p in projects],
        "built": now.isoformat(),
    }


async def _upgrade(url: str) -> None:
    from tortoise.backends.base.executor import EXECUTOR_CACHE

    from app import db

    EXECUTOR_CACHE.clear()
    await db.migrate(url)
    await db.close_db()


def _upgraded(url: str, key: str) -> bool:
    """Bring a cached database up to date; False (it is rebuilt) if a migration cannot apply
    to it (one that adds a NOT NULL column to a table the dataset has rows in, say)."""
    try:
        asyncio.run(_upgrade(url))
    except Exception as exc:  # any failure means: rebuild from scratch
        print(f"  (cached {key} cannot be migrated ({str(exc)[:120]}): rebuilding)", flush=True)
        return False
    return True


class Datasets:
    """Hands out copies of cached datasets for SQLite (files) and PostgreSQL (databases)."""

    def __init__(self, tmp: Path, cluster: Cluster | None, *, rebuild: bool = False) -> None:
        self.tmp, self.cluster, self.rebuild = tmp, cluster, rebuild
        self.cache = cache_dir()
        self._templates: set[str] = set()
        self._metas: dict[str, dict[str, object]] = {}
        self._current: set[str] = set()  # cached files migrated in this run
        self._copies = 0

    def _fresh_meta(self, key: str) -> dict[str, object] | None:
        if key in self._metas:
            return self._metas[key]
        path = self.cache / f"{key}.json"
        if self.rebuild or not path.exists():
            return None
        meta: dict[str, object] = json.loads(path.read_text())
        built = datetime.fromisoformat(str(meta["built"]))
        return meta if datetime.now(UTC) - built < timedelta(days=MAX_AGE_DAYS) else None

    def _build(self, key: str, url: str, allocations: int, spends: int) -> dict[str, object]:
        print(f"  (building {key}: {allocations:,} allocations, {spends:,} spends …)", flush=True)
        started = time.perf_counter()
        meta = asyncio.run(build(url, allocations, spends))
        meta["build_seconds"] = round(time.perf_counter() - started, 1)
        print(f"  (built {key} in {meta['build_seconds']} s)", flush=True)
        self._metas[key] = meta
        return meta

    def _dataset(self, backend: str, url: str, meta: dict, a: int, s: int) -> Dataset:
        ids = [str(p) for p in meta["project_ids"]]
        return Dataset(backend, url, str(meta["token"]), str(meta["budget_id"]), ids, a, s)

    def sqlite(self, allocations: int, spends: int) -> Dataset:
        key = f"sqlite-a{allocations}-s{spends}"
        meta = self._fresh_meta(key)
        cached = self.cache / f"{key}.db"
        if meta is None or not cached.exists():
            building = self.tmp / f"{key}.building.db"
            building.unlink(missing_ok=True)
            meta = self._build(key, f"sqlite://{building}", allocations, spends)
            for suffix in ("-wal", "-shm"):
                Path(f"{building}{suffix}").unlink(missing_ok=True)
            shutil.move(building, cached)
            (self.cache / f"{key}.json").write_text(json.dumps(meta))
        elif key not in self._current and not _upgraded(f"sqlite://{cached}", key):
            cached.unlink()
            return self.sqlite(allocations, spends)
        self._current.add(key)
        self._metas[key] = meta
        self._copies += 1
        copy = self.tmp / f"{key}.{self._copies}.db"
        shutil.copyfile(cached, copy)
        return self._dataset("sqlite", f"sqlite://{copy}", meta, allocations, spends)

    def postgres(self, allocations: int, spends: int, *, logged: bool = False) -> Dataset:
        assert self.cluster is not None, "PostgreSQL datasets need --pg"
        key = f"pg-a{allocations}-s{spends}"
        template = f"tpl_a{allocations}_s{spends}"
        meta = self._fresh_meta(key)
        dump = self.cache / f"{key}.pgdump"
        if template not in self._templates:
            if meta is None or not dump.exists():
                url = self.cluster.create(template)
                meta = self._build(key, url, allocations, spends)
                self.cluster.dump(template, dump)
                (self.cache / f"{key}.json").write_text(json.dumps(meta))
            elif not _upgraded(self.cluster.restore(template, dump), key):
                dump.unlink()
                return self.postgres(allocations, spends, logged=logged)
            self._metas[key] = meta
            self._templates.add(template)
        meta = self._metas[key]
        self._copies += 1
        name = f"c{self._copies}_a{allocations}_s{spends}"
        url = self.cluster.create(name, template=template, logged=logged)
        return self._dataset("postgres", url, meta, allocations, spends)
