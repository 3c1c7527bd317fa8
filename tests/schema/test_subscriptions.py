"""`budgetEvents`: delivered outbox events reach the subscribers of their budget."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest
from helpers import make_user

from app.services import actors, budgets
from app.services.broker import broker
from app.services.events import emit
from app.services.outbox import deliver_pending
from schema import schema
from schema.context import Context, authenticate_connection, context_for_user
from schema.loaders import Loaders

SUBSCRIPTION = """
subscription Live($budgetId: ID!) {
  budgetEvents(budgetId: $budgetId) { id kind budgetId data }
}
"""


async def _budget(owner) -> int:
    actor = await actors.load_actor(owner)
    b = await budgets.create_budget(
        actor,
        name="Live",
        amount="100",
        period_kind="GRANT",
        start_date=date(2026, 1, 1),
        end_date=date(2026, 12, 31),
    )
    return b.id


async def _until(predicate) -> None:
    for _ in range(500):
        if predicate():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition never became true")


async def test_an_owner_receives_the_events_of_their_budget_as_they_are_delivered(database):
    owner, _ = await make_user("Olga Owner", creator=True)
    budget_id = await _budget(owner)
    await deliver_pending([])  # budget.created, before anyone listened
    stream = await schema.subscribe(
        SUBSCRIPTION,
        variable_values={"budgetId": f"bud_{budget_id}"},
        context_value=await context_for_user(owner),
    )
    first = asyncio.ensure_future(stream.__anext__())
    await _until(lambda: broker.subscriber_count(budget_id) == 1)

    await emit("spend.recorded", {"amount": "12.5"}, budget_id=budget_id)
    await emit("spend.recorded", {"amount": "99"}, budget_id=budget_id + 1000)
    await deliver_pending([], broadcast=broker.publish)

    result = await asyncio.wait_for(first, 5)
    assert result.errors is None
    event = result.data["budgetEvents"]
    assert event["kind"] == "spend.recorded" and event["data"] == {"amount": "12.5"}
    assert event["budgetId"] == f"bud_{budget_id}"
    await stream.aclose()
    await _until(lambda: broker.subscriber_count(budget_id) == 0)


async def test_a_stranger_cannot_subscribe_to_a_budget(database):
    owner, _ = await make_user("Olga Owner", creator=True)
    stranger, _ = await make_user("Sam Stranger")
    budget_id = await _budget(owner)
    stream = await schema.subscribe(
        SUBSCRIPTION,
        variable_values={"budgetId": f"bud_{budget_id}"},
        context_value=await context_for_user(stranger),
    )
    result = await asyncio.wait_for(stream.__anext__(), 5)
    assert result.errors and "not found" in result.errors[0].message
    assert broker.subscriber_count(budget_id) == 0


@pytest.mark.parametrize(
    "params",
    [
        lambda t: {"Authorization": f"Bearer {t}"},
        lambda t: {"token": t},
    ],
)
async def test_a_websocket_authenticates_with_its_connection_init_payload(database, params):
    user, token = await make_user("Wes Socket")
    context = Context(
        user=None, actor_=None, loaders=Loaders(date(2026, 3, 15)), connection_params=params(token)
    )
    assert await authenticate_connection(context)
    assert context.user is not None and context.user.id == user.id


async def test_a_websocket_with_a_bad_token_is_refused(database):
    context = Context(
        user=None,
        actor_=None,
        loaders=Loaders(date(2026, 3, 15)),
        connection_params={"Authorization": "Bearer allot_nope"},
    )
    assert not await authenticate_connection(context)


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_on_postgresql_events_fan_out_through_listen_notify(database):
    stop = asyncio.Event()
    listener = asyncio.create_task(broker.listen(database, stop))
    try:
        await _until(lambda: broker.listening)
        async with broker.subscribe(42) as queue:
            await emit("alert.raised", {"threshold": 80}, budget_id=42)
            await deliver_pending([], broadcast=broker.publish)
            event = await asyncio.wait_for(queue.get(), 5)
        assert event["kind"] == "alert.raised" and event["payload"] == {"threshold": 80}
    finally:
        stop.set()
        await listener
    assert not broker.listening
