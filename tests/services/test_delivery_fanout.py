"""One failing destination never makes another be sent again; a failing one is retried with
backoff up to a cap, then DEAD with its reason, listed for admins and retried by hand.

On the old outbox (one delivered flag per event, every sink retried together) the first test
fails: the healthy owner got each alert again on every retry (6 times in 200 s)."""

from __future__ import annotations

from datetime import timedelta

from delivery_harness import (
    delivery_ids,
    make_world,
    notifier_for,
    spend,
)
from helpers import both_databases

from app.models import Delivery, OutboxEvent
from app.services.delivery import CallableSender
from app.services.delivery.dispatch import Dispatcher
from app.services.outbox import deliver_pending, fan_out
from app.settings import Settings


async def _run_for(seconds: int, fixed_clock, senders) -> None:  # type: ignore[no-untyped-def]
    """What the worker does over `seconds` of wall time, one pass every 5 s."""
    for _ in range(seconds // 5):
        fixed_clock[0] = fixed_clock[0] + timedelta(seconds=5)
        await deliver_pending(senders)


@both_databases
async def test_two_owners_one_failing_for_good_the_other_gets_each_alert_exactly_once(
    database, admin, slack_fake, fixed_clock
):
    world = await make_world(admin[0])
    slack_fake.channel_errors["DUOWNB"] = "channel_not_found"
    notifier = notifier_for(slack_fake)
    for amount in ("2600", "1500", "1000"):  # 52%, 82%, 102% of the envelope
        await spend(world, amount)
        await _run_for(200, fixed_clock, [notifier])

    raised = await OutboxEvent.filter(kind="alert.raised").count()
    assert raised >= 3  # the envelope's three levels (and the pool's 50%)
    to_a = slack_fake.posts("DUOWNA")
    assert len(to_a) == raised, [m["text"] for m in to_a]
    assert len(set(delivery_ids(to_a))) == raised, "each alert exactly once"
    assert slack_fake.posts("DUOWNB") == []
    dead = await Delivery.filter(state="DEAD", target="UOWNB")
    assert len(dead) == raised
    assert all(d.attempts == 1 and "channel_not_found" in (d.dead_reason or "") for d in dead)
    assert await Delivery.filter(target="UOWNA", state="DELIVERED").count() == raised


async def test_dead_deliveries_are_listed_for_admins_and_retried_by_hand(
    database, admin, slack_fake, fixed_clock, gql
):
    world = await make_world(admin[0])
    slack_fake.channel_errors["DUOWNB"] = "channel_not_found"
    notifier = notifier_for(slack_fake)
    await spend(world, "2600")
    await deliver_pending([notifier])
    page = await gql(
        admin[0],
        "{ deliveries(state: DEAD, first: 10) { nodes { id target state deadReason } } }",
    )
    (row,) = page["deliveries"]["nodes"]
    assert row["target"] == "UOWNB" and "channel_not_found" in row["deadReason"]

    slack_fake.channel_errors.clear()  # the bot was invited; an admin retries
    done = await gql(
        admin[0],
        "mutation($i: RetryDeliveryInput!) { retryDelivery(input: $i) {"
        " __typename ... on DeliveryRetried { delivery { state attempts } } } }",
        i={"deliveryId": row["id"]},
    )
    assert done["retryDelivery"]["delivery"] == {"state": "PENDING", "attempts": 0}
    assert await deliver_pending([notifier]) == 1
    assert len(slack_fake.posts("DUOWNB")) == 1
    assert len(slack_fake.posts("DUOWNA")) == 1, "the other owner is not told again"


async def test_a_transient_failure_backs_off_then_is_dead_after_the_cap(database, fixed_clock):
    from app.services.events import emit

    await emit("spend.recorded", {"n": 1}, budget_id=1)
    calls: list[int] = []

    async def flaky(event: dict) -> None:
        calls.append(event["id"])
        raise RuntimeError("503 from upstream")

    sender = CallableSender(flaky)
    await fan_out([sender])
    dispatcher = Dispatcher([sender], Settings(delivery_max_attempts=3))
    for _ in range(10):
        await dispatcher.run_once()
        fixed_clock[0] = fixed_clock[0] + timedelta(minutes=5)
    row = await Delivery.get()
    assert len(calls) == 3 and row.state == "DEAD" and row.attempts == 3
    assert "gave up after 3 attempts" in (row.dead_reason or "")


async def test_a_delivery_older_than_the_cap_is_dead(database, fixed_clock):
    from app.services.events import emit

    await emit("spend.recorded", {"n": 1}, budget_id=1)

    async def down(event: dict) -> None:
        raise RuntimeError("down")

    sender = CallableSender(down)
    await fan_out([sender])
    dispatcher = Dispatcher([sender], Settings(delivery_max_age_hours=1, delivery_max_attempts=99))
    await dispatcher.run_once()
    fixed_clock[0] = fixed_clock[0] + timedelta(hours=2)
    await dispatcher.run_once()
    row = await Delivery.get()
    assert row.state == "DEAD" and row.attempts == 2
