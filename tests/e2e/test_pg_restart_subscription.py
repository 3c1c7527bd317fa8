"""Live events survive a PostgreSQL restart: the LISTEN connection comes back by itself, an
open subscription gets the events it missed meanwhile (from the outbox) exactly once, and a
connection that stays away ends subscriptions with an explicit UNAVAILABLE error.

On the old broker the LISTEN connection was never reopened: after the restart the open
subscription received nothing, silently, and this test times out waiting for event B.

A private cluster (tests/pgserver.py) is restarted on its own port, so the session's shared
server is not disturbed."""

from __future__ import annotations

import asyncio
import json
from datetime import date
from typing import Any

import pytest
from helpers import make_user
from private_pg import pg_ctl

from app.services import actors, budgets
from app.services import broker as broker_module
from app.services.broker import CHANNEL, broker
from app.services.events import emit
from app.services.outbox import deliver_pending
from app.services.sql import execute
from app.settings import Settings
from schema import schema
from schema.context import context_for_user

pytestmark = pytest.mark.postgres

SUBSCRIPTION = "subscription($b: ID!) { budgetEvents(budgetId: $b) { id kind data } }"


async def _next(stream: Any, timeout: float) -> Any:
    return await asyncio.wait_for(stream.__anext__(), timeout)


async def _from_another_process(event: dict[str, Any]) -> None:
    """What another worker's broadcast does: NOTIFY, which this process cannot hear now."""
    await execute("SELECT pg_notify(?, ?)", CHANNEL, json.dumps(event, default=str))


async def _retrying(call: Any) -> Any:
    for _ in range(50):
        try:
            return await call()
        except Exception:  # the pool's connections died with the server: the next is fresh
            await asyncio.sleep(0.1)
    return await call()


async def _setup(url: str, monkeypatch: Any) -> tuple[Any, int, asyncio.Event, asyncio.Task[None]]:
    monkeypatch.setattr(
        "schema.subscriptions.get_settings", lambda: Settings(subscription_recheck_seconds=0.2)
    )
    owner, _ = await make_user("Olga Owner", creator=True)
    budget = await budgets.create_budget(
        await actors.load_actor(owner), name="Live", amount="100", period_kind="GRANT",
        start_date=date(2026, 1, 1), end_date=date(2026, 12, 31),
    )  # fmt: skip
    await deliver_pending([])
    stop = asyncio.Event()
    listener = asyncio.create_task(broker.listen(url, stop))
    for _ in range(200):
        if broker.listening:
            break
        await asyncio.sleep(0.02)
    assert broker.listening
    return owner, budget.id, stop, listener


async def test_a_subscription_gets_what_it_missed_during_a_restart_exactly_once(
    live_db, cluster, monkeypatch
):
    owner, budget_id, stop, listener = await _setup(live_db, monkeypatch)
    monkeypatch.setattr(broker_module, "RECONNECT_MIN", 2.0)  # a window in which B is missed
    connects = broker.connects
    stream = await schema.subscribe(
        SUBSCRIPTION, variable_values={"b": f"bud_{budget_id}"},
        context_value=await context_for_user(owner),
    )  # fmt: skip
    try:
        first = asyncio.ensure_future(stream.__anext__())
        for _ in range(200):
            if broker.subscriber_count(budget_id) == 1:
                break
            await asyncio.sleep(0.02)
        await emit("spend.recorded", {"n": "A"}, budget_id=budget_id)
        await deliver_pending([], broadcast=broker.publish)
        a = await asyncio.wait_for(first, 10)
        assert a.errors is None and a.data["budgetEvents"]["data"] == {"n": "A"}

        await asyncio.to_thread(pg_ctl, cluster, "restart", "-m", "fast")
        # Back up; this process does not LISTEN yet (backoff): another worker fans out B.
        await _retrying(lambda: emit("spend.recorded", {"n": "B"}, budget_id=budget_id))
        await _retrying(lambda: deliver_pending([], broadcast=_from_another_process))
        b = await _next(stream, 20)
        assert b.errors is None, b.errors
        assert b.data["budgetEvents"]["data"] == {"n": "B"}, "missed live, replayed"
        assert broker.connects == connects + 1 and broker.listening

        await emit("spend.recorded", {"n": "C"}, budget_id=budget_id)
        await deliver_pending([], broadcast=broker.publish)
        c = await _next(stream, 10)
        assert c.data["budgetEvents"]["data"] == {"n": "C"}
        with pytest.raises(TimeoutError):
            await _next(stream, 1.0)  # nothing twice
    finally:
        await stream.aclose()
        stop.set()
        await asyncio.wait_for(listener, 10)


async def test_a_connection_that_stays_away_ends_subscriptions_with_an_error(
    live_db, cluster, monkeypatch
):
    owner, budget_id, stop, listener = await _setup(live_db, monkeypatch)
    monkeypatch.setattr(broker, "interrupted_after", 1.0)
    stream = await schema.subscribe(
        SUBSCRIPTION, variable_values={"b": f"bud_{budget_id}"},
        context_value=await context_for_user(owner),
    )  # fmt: skip
    try:
        pending = asyncio.ensure_future(stream.__anext__())
        for _ in range(200):
            if broker.subscriber_count(budget_id) == 1:
                break
            await asyncio.sleep(0.02)
        await asyncio.to_thread(pg_ctl, cluster, "stop", "-m", "fast")
        result = await asyncio.wait_for(pending, 30)
        assert result.errors, "an explicit error, not silence"
        assert result.errors[0].extensions["code"] == "UNAVAILABLE"
        assert "interrupted" in result.errors[0].message
    finally:
        await asyncio.to_thread(pg_ctl, cluster, "start")
        await stream.aclose()
        stop.set()
        await asyncio.wait_for(listener, 30)
