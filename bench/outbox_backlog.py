"""Outbox backlog and delivery latency under a mixed write load, SQLite and PostgreSQL.

    python -m bench.outbox_backlog [--rate 32] [--sqlite-rate 16] [--seconds 60] [--pg-workers 2]
                                   [--no-pg] [--no-sqlite] [--no-sync]

What runs: a fresh migrated database with one budget, 20 funded projects, alert thresholds at
50/80/100 % and two budget webhooks (every event: one answering at once, one after 50 ms)
served by a local HTTP receiver. A load of `--rate` operations per second (open loop, at
most 32 in flight) for `--seconds`: 80 % spends, 10 % re-allocations, 10 % transfer requests
from the pool (owners' requests apply at once); each makes one or more outbox events (spend
recorded, allocation changed, alerts raised), each event one delivery per webhook.

Outbox workers are separate processes (`allot serve`'s worker loop, app.services.outbox
run_outbox_worker, with the webhook sender and ALLOT_OUTBOX_POLL_SECONDS): one on SQLite
(one writer), `--pg-workers` on PostgreSQL. Every second the bench samples the backlog: events
not yet fanned out, deliveries not yet delivered (PENDING/SENDING) and the age of the oldest.
At the end: delivery latency (delivered_at − the event's created_at) p50/p90/p99/max, how long
the backlog took to drain after the load stopped, duplicates at the receiver (by
Idempotency-Key), DEAD rows.

Then the cost of SQLite `synchronous=FULL` (the default) against NORMAL: closed-loop spends
(8 at a time) for a few seconds each, spends/s and write latency p50/p99.

Figures are printed, never judged: machines differ. ALLOT_BENCH_PG_URL points at a server of
yours; else a private one is started (tests/pgserver.py) when PostgreSQL is installed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench._setup import database_urls

ROOT = Path(__file__).resolve().parents[1]


async def fresh(url: str) -> None:
    """An empty database with every table of the models (the bench starts no server, so the
    tables come from the models, as in the tests, and work in progress on them counts)."""
    from tortoise import Tortoise
    from tortoise.backends.base.executor import EXECUTOR_CACHE

    from app import db

    EXECUTOR_CACHE.clear()  # SQL is cached per connection name, not per dialect
    await db.init_db(url)
    await Tortoise.generate_schemas()


# --- the webhook receiver -------------------------------------------------------------------


@dataclass
class Receiver:
    """A minimal HTTP/1.1 keep-alive server answering 200 (after `delay` on /slow)."""

    delay: float = 0.05
    keys: Counter[str] = field(default_factory=Counter)
    server: asyncio.AbstractServer | None = None
    port: int = 0

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._client, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                path = lines[0].split(" ")[1] if " " in lines[0] else "/"
                headers = {
                    k.strip().lower(): v.strip()
                    for k, _, v in (line.partition(":") for line in lines[1:] if line)
                }
                await reader.readexactly(int(headers.get("content-length", "0")))
                self.keys[headers.get("idempotency-key", "")] += 1
                if path == "/slow":
                    await asyncio.sleep(self.delay)
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()


# --- the worker processes -------------------------------------------------------------------


async def _worker_main(url: str) -> None:
    from app import db
    from app.services.delivery.webhook import WebhookSender
    from app.services.outbox import run_outbox_worker
    from app.settings import get_settings

    await db.init_db(url)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    sender = WebhookSender()
    try:
        await run_outbox_worker(stop, [sender], poll=get_settings().outbox_poll_seconds)
    finally:
        await sender.aclose()
        await db.close_db()


async def _local_worker(stop: asyncio.Event) -> None:
    from app.services.delivery.webhook import WebhookSender
    from app.services.outbox import run_outbox_worker
    from app.settings import get_settings

    sender = WebhookSender()
    try:
        await run_outbox_worker(stop, [sender], poll=get_settings().outbox_poll_seconds)
    finally:
        await sender.aclose()


def _start_workers(url: str, n: int) -> list[subprocess.Popen[bytes]]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "bench.outbox_backlog", "--worker", url]
    return [subprocess.Popen(command, cwd=ROOT, env=env) for _ in range(n)]


def _stop_workers(procs: list[subprocess.Popen[bytes]]) -> None:
    for p in procs:
        p.terminate()
    for p in procs:
        try:
            p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(timeout=5)


# --- the load -------------------------------------------------------------------------------


async def _world(receiver: Receiver) -> tuple[Any, int, list[int], list[int]]:
    from datetime import date

    from app.services import actors, allocations, budgets
    from app.services.delivery import admin

    user, _ = await actors.create_user(
        None, name="Bench Admin", email="bench@example.org", is_admin=True
    )
    actor = await actors.load_actor(user)
    budget = await budgets.create_budget(
        actor, name="Bench", amount="100000000", period_kind="GRANT",
        start_date=date(2024, 1, 1), end_date=date(2030, 12, 31),
        alert_thresholds=[50, 80, 100],
    )  # fmt: skip
    projects, envelopes = [], []
    for n in range(20):
        p = await budgets.create_project(actor, name=f"Project {n}", slug=f"p{n}")
        a = await allocations.allocate(actor, budget_id=budget.id, project_id=p.id, amount="2000")
        projects.append(p.id)
        envelopes.append(a.id)
    base = f"http://127.0.0.1:{receiver.port}"
    await admin.create_webhook(actor, f"{base}/fast", budget_id=budget.id)
    await admin.create_webhook(actor, f"{base}/slow", budget_id=budget.id)
    return actor, budget.id, projects, envelopes


async def _operation(actor: Any, budget_id: int, projects: list[int], envelopes: list[int]) -> None:
    from app.services import allocations, spending, transfers

    roll = random.random()
    i = random.randrange(len(projects))
    if roll < 0.8:
        amount = f"{random.randint(1, 60)}.{random.randint(0, 999999):06d}"
        await spending.record_spend(
            actor, spending.SpendInput(project_id=projects[i], amount=amount, service="gpu")
        )
    elif roll < 0.9:
        await allocations.allocate(
            actor, budget_id=budget_id, project_id=projects[i],
            amount=str(random.randint(2000, 4000)),
        )  # fmt: skip
    else:
        await transfers.request_transfer(
            actor, amount="5", reason="bench", to_allocation_id=envelopes[i], budget_id=budget_id
        )


async def _backlog() -> tuple[int, int, float]:
    """(events not fanned out, deliveries not delivered, age of the oldest of either, s)."""
    from app import clock
    from app.services.delivery.dispatch import as_datetime
    from app.services.sql import fetch

    now = clock.now()
    (ev,) = await fetch(
        "SELECT COUNT(*) AS n, MIN(created_at) AS oldest FROM outbox_event"
        " WHERE delivered_at IS NULL"
    )
    (dl,) = await fetch(
        "SELECT COUNT(*) AS n, MIN(e.created_at) AS oldest FROM delivery d"
        " JOIN outbox_event e ON e.id = d.event_id WHERE d.state IN ('PENDING', 'SENDING')"
    )
    ages = []
    for row in (ev, dl):
        oldest = as_datetime(row["oldest"])
        if oldest is not None:
            if oldest.tzinfo is None:
                oldest = oldest.replace(tzinfo=now.tzinfo)
            ages.append((now - oldest).total_seconds())
    return int(ev["n"]), int(dl["n"]), max(ages, default=0.0)


def _pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def _latencies() -> tuple[list[float], int, int]:
    from app.services.delivery.dispatch import as_datetime
    from app.services.sql import fetch

    rows = await fetch(
        "SELECT d.state, d.delivered_at, e.created_at FROM delivery d"
        " JOIN outbox_event e ON e.id = d.event_id"
    )
    out, dead = [], 0
    for r in rows:
        if r["state"] == "DEAD":
            dead += 1
        done, made = as_datetime(r["delivered_at"]), as_datetime(r["created_at"])
        if done is not None and made is not None:
            if made.tzinfo is None or done.tzinfo is None:
                made, done = made.replace(tzinfo=None), done.replace(tzinfo=None)
            out.append((done - made).total_seconds())
    return out, dead, len(rows)


async def mixed_load(label: str, url: str, rate: float, seconds: float, workers: int) -> None:
    from app import db

    receiver = Receiver()
    await receiver.start()
    await fresh(url)
    actor, budget_id, projects, envelopes = await _world(receiver)
    # SQLite is one process (`allot serve` runs the worker beside the requests: a second
    # process writing the same file gets "database is locked"); PostgreSQL takes several.
    in_process = label == "sqlite"
    procs = [] if in_process else _start_workers(url, workers)
    stop_worker = asyncio.Event()
    local_worker = asyncio.create_task(_local_worker(stop_worker)) if in_process else None
    ops = errors = 0
    op_times: list[float] = []
    samples: list[tuple[float, int, int, float]] = []
    inflight: set[asyncio.Task[None]] = set()
    limit = asyncio.Semaphore(32)

    async def one() -> None:
        nonlocal ops, errors
        async with limit:
            t0 = time.perf_counter()
            try:
                await _operation(actor, budget_id, projects, envelopes)
                ops += 1
            except Exception as exc:  # counted and shown once: the bench goes on
                if errors == 0:
                    print(f"  first error: {type(exc).__name__}: {exc}")
                errors += 1
            op_times.append(time.perf_counter() - t0)

    async def sampler(stop: asyncio.Event) -> None:
        t0 = time.monotonic()
        while not stop.is_set():
            try:
                samples.append((time.monotonic() - t0, *await _backlog()))
            except Exception as exc:
                print(f"  (a sample failed: {exc})")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 1.0)

    await asyncio.sleep(2.0)  # the workers import and connect
    stop_sampling = asyncio.Event()
    sampling = asyncio.create_task(sampler(stop_sampling))
    start = time.monotonic()
    n = 0
    while (elapsed := time.monotonic() - start) < seconds:
        due = int(elapsed * rate) + 1
        while n < due:
            task = asyncio.create_task(one())
            inflight.add(task)
            task.add_done_callback(inflight.discard)
            n += 1
        await asyncio.sleep(max(0.0, n / rate - (time.monotonic() - start)))
    if inflight:
        await asyncio.wait(set(inflight))
    load_end = time.monotonic()
    drained_after = None
    while time.monotonic() - load_end < 120:
        pending_events, pending_deliveries, _ = await _backlog()
        if pending_events == 0 and pending_deliveries == 0:
            drained_after = time.monotonic() - load_end
            break
        await asyncio.sleep(0.2)
    stop_sampling.set()
    await sampling
    _stop_workers(procs)
    if local_worker is not None:
        stop_worker.set()
        await local_worker
    await receiver.stop()
    lat, dead, total = await _latencies()
    await db.close_db()

    during = [s for s in samples if s[0] <= seconds + 2]
    dup = sum(c - 1 for c in receiver.keys.values() if c > 1)
    where = "1 worker in the process" if in_process else f"{workers} worker processes"
    print(
        f"\n{label}: {where}, {rate:g} ops/s offered for {seconds:g} s:"
        f" {ops} operations done, {errors} errors,"
        f" {ops / max(load_end - start, 1e-9):.1f} ops/s achieved;"
        f" operation p50 {_pct(op_times, 50) * 1000:.1f} ms, p99 {_pct(op_times, 99) * 1000:.1f} ms"
    )
    if during:
        print(
            f"  backlog during the load (every 1 s): events not fanned out max"
            f" {max(s[1] for s in during)}, mean {statistics.mean(s[1] for s in during):.1f};"
            f" deliveries waiting max {max(s[2] for s in during)},"
            f" mean {statistics.mean(s[2] for s in during):.1f};"
            f" oldest waiting max {max(s[3] for s in during):.1f} s,"
            f" final {during[-1][2]} waiting / {during[-1][3]:.1f} s"
        )
    print(
        f"  deliveries: {total} ({len(lat)} delivered, {dead} DEAD), latency event→delivered"
        f" p50 {_pct(lat, 50):.2f} s, p90 {_pct(lat, 90):.2f} s, p99 {_pct(lat, 99):.2f} s,"
        f" max {max(lat, default=float('nan')):.2f} s"
    )
    print(
        "  drained "
        + (
            f"{drained_after:.1f} s after the load stopped"
            if drained_after is not None
            else "NOT within 120 s"
        )
        + f"; receiver got {sum(receiver.keys.values())} posts,"
        f" {dup} repeats of one Idempotency-Key"
    )


# --- the cost of synchronous=FULL -------------------------------------------------------------


def _bare_commits(path: Path, mode: str, n: int) -> float:
    """Seconds per commit of a one-row INSERT: the fsync that FULL adds, without the app."""
    import sqlite3

    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(f"PRAGMA synchronous={mode}")
        conn.execute("CREATE TABLE IF NOT EXISTS t (x INTEGER)")
        t0 = time.perf_counter()
        for i in range(n):
            conn.execute("BEGIN")
            conn.execute("INSERT INTO t VALUES (?)", (i,))
            conn.execute("COMMIT")
        return (time.perf_counter() - t0) / n
    finally:
        conn.close()


async def _spender(actor: Any, project: int, stop_at: float, times: list[float]) -> None:
    from app.services import spending

    while time.monotonic() < stop_at:
        t0 = time.perf_counter()
        await spending.record_spend(actor, spending.SpendInput(project_id=project, amount="0.01"))
        times.append(time.perf_counter() - t0)


async def sqlite_sync_cost(tmp: Path, seconds: float, rounds: int = 2) -> None:
    from app import db
    from bench._setup import world

    print("\nSQLite synchronous: bare commits (one-row INSERT each, WAL), this disk")
    for mode in ("FULL", "NORMAL") * rounds:
        per_commit = _bare_commits(tmp / f"bare-{mode.lower()}.db", mode, 300)
        print(f"  synchronous={mode:<6}: {per_commit * 1000:.3f} ms per commit")
    print("SQLite synchronous: closed-loop spends, 8 at a time")
    for n, mode in enumerate(("FULL", "NORMAL") * rounds):
        url = f"sqlite://{tmp / f'sync-{mode.lower()}-{n}.db'}?synchronous={mode}"
        await fresh(url)
        actor, projects = await world(8)
        times: list[float] = []
        stop_at = time.monotonic() + seconds
        t0 = time.monotonic()
        await asyncio.gather(*(_spender(actor, p, stop_at, times) for p in projects))
        wall = time.monotonic() - t0
        await db.close_db()
        print(
            f"  synchronous={mode:<6}: {len(times) / wall:7.1f} spends/s,"
            f" p50 {_pct(times, 50) * 1000:.2f} ms, p99 {_pct(times, 99) * 1000:.2f} ms"
            f" ({len(times)} spends)"
        )


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as d, database_urls(Path(d), not args.no_pg) as urls:
        for label, url in urls:
            if label == "sqlite" and args.no_sqlite:
                continue
            workers = 0 if label == "sqlite" else args.pg_workers
            rate = args.sqlite_rate if label == "sqlite" else args.rate
            await mixed_load(label, url, rate, args.seconds, workers)
        if not args.no_sync:
            await sqlite_sync_cost(Path(d), args.sync_seconds)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=32.0, help="operations/s (PostgreSQL)")
    parser.add_argument("--sqlite-rate", type=float, default=16.0, help="operations/s (SQLite)")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--pg-workers", type=int, default=2)
    parser.add_argument("--no-pg", action="store_true")
    parser.add_argument("--no-sync", action="store_true", help="skip the synchronous cost")
    parser.add_argument("--sync-seconds", type=float, default=5.0)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parsed = parser.parse_args()
    if parsed.worker:
        asyncio.run(_worker_main(parsed.worker))
    else:
        asyncio.run(main(parsed))
