"""A destination that hangs holds one slot of its kind for at most the per-call timeout:
every other destination is still delivered promptly.

On the old outbox one hanging Slack call stalled every delivery behind it (events were sent
one after another, each waiting for every sink): the other owner's DMs and the live sink
waited for the hung call, so this test fails there."""

from __future__ import annotations

import asyncio
import time

from delivery_harness import (
    make_world,
    notifier_for,
    spend,
)
from helpers import both_databases

from app.models import Delivery
from app.services.outbox import run_outbox_worker
from app.settings import Settings


async def _until(predicate, timeout: float) -> float:  # type: ignore[no-untyped-def]
    start = time.monotonic()
    while not await predicate():
        if time.monotonic() - start > timeout:
            raise AssertionError("not in time")
        await asyncio.sleep(0.02)
    return time.monotonic() - start


@both_databases
async def test_a_hanging_slack_dm_does_not_delay_the_others(
    database, admin, slack_fake, monkeypatch
):
    monkeypatch.setattr(
        "app.services.delivery.dispatch.get_settings",
        lambda: Settings(delivery_timeout_seconds=3, delivery_slack_concurrency=4),
    )
    world = await make_world(admin[0], thresholds=[10, 20, 30, 40, 50, 60, 70, 80, 90])
    slack_fake.hang.add("DUOWNB")
    seen: list[int] = []

    async def live(event: dict) -> None:
        seen.append(event["id"])

    for _ in range(9):
        await spend(world, "500")  # each crosses one more 10% line of the envelope
    stop = asyncio.Event()
    worker = asyncio.create_task(
        run_outbox_worker(stop, [notifier_for(slack_fake), live], poll=0.05)
    )
    try:

        async def all_of_a() -> bool:
            return await Delivery.filter(target="UOWNA", state="DELIVERED").count() >= 9

        took = await _until(all_of_a, timeout=10)
        assert took < 2.5, f"the healthy owner waited {took:.1f} s behind a hanging DM"
        assert len(seen) >= 9, "the other sinks were not held up either"
        assert await Delivery.filter(target="UOWNB", state="DELIVERED").count() == 0
    finally:
        stop.set()
        await asyncio.wait_for(worker, 10)
    stuck = await Delivery.filter(target="UOWNB").order_by("id")
    assert stuck and any("timed out" in (d.last_error or "") for d in stuck)
    assert len(slack_fake.posts("DUOWNA")) == await Delivery.filter(target="UOWNA").count()
