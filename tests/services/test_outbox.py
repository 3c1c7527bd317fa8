"""Outbox delivery: claimed once however many workers run, retried with backoff after a failure
(per destination: app.services.delivery; see tests/services/test_delivery_*.py)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from helpers import both_databases

from app.models import Delivery, OutboxEvent
from app.services.events import emit
from app.services.outbox import backoff, deliver_pending, run_outbox_worker


@both_databases
async def test_two_concurrent_workers_never_deliver_the_same_event_twice(database) -> None:
    for i in range(30):
        await emit("spend.recorded", {"n": i}, budget_id=1)
    seen: list[int] = []

    async def sink(event: dict) -> None:
        await asyncio.sleep(0)  # let the other worker interleave
        seen.append(event["id"])

    counts = await asyncio.gather(deliver_pending([sink], 100), deliver_pending([sink], 100))
    assert sum(counts) == 30
    assert sorted(seen) == sorted(set(seen)) and len(seen) == 30
    assert await OutboxEvent.filter(delivered_at=None).count() == 0


async def test_a_failed_event_is_retried_after_its_backoff(database, fixed_clock) -> None:
    """The event leaves the outbox at once (fanned out); its delivery keeps the failure."""
    await emit("transfer.requested", {"transferId": 1}, budget_id=1)
    calls: list[int] = []

    async def flaky(event: dict) -> None:
        calls.append(event["id"])
        if len(calls) == 1:
            raise RuntimeError("slack is down")

    assert await deliver_pending([flaky]) == 0
    row = await Delivery.get()
    assert row.state == "PENDING" and row.attempts == 1 and row.delivered_at is None
    assert "slack is down" in (row.last_error or "")
    assert (await OutboxEvent.get()).delivered_at is not None, "fanned out"

    assert await deliver_pending([flaky]) == 0, "not before the backoff has passed"
    assert len(calls) == 1

    fixed_clock[0] = fixed_clock[0] + backoff(1) + timedelta(seconds=1)
    assert await deliver_pending([flaky]) == 1
    row = await Delivery.get()
    assert row.state == "DELIVERED" and row.attempts == 2 and row.last_error is None
    assert await deliver_pending([flaky]) == 0, "delivered events are not delivered again"


async def test_backoff_doubles_and_is_capped() -> None:
    assert backoff(1) == timedelta(seconds=5)
    assert backoff(2) == timedelta(seconds=10)
    assert backoff(30) == timedelta(hours=1)


async def test_delivered_events_are_broadcast_once(database) -> None:
    await emit("spend.recorded", {"n": 1}, budget_id=7)
    broadcast: list[dict] = []

    async def record(event: dict) -> None:
        broadcast.append(event)

    await deliver_pending([], broadcast=record)
    await deliver_pending([], broadcast=record)
    assert [e["payload"] for e in broadcast] == [{"n": 1}]
    assert broadcast[0]["budgetId"] == 7 and broadcast[0]["kind"] == "spend.recorded"


async def test_the_worker_delivers_until_stopped(database) -> None:
    stop = asyncio.Event()
    delivered: list[int] = []

    async def sink(event: dict) -> None:
        delivered.append(event["id"])
        stop.set()

    await emit("spend.recorded", {}, budget_id=1)
    await asyncio.wait_for(run_outbox_worker(stop, [sink], poll=0.01), timeout=10)
    assert len(delivered) == 1
