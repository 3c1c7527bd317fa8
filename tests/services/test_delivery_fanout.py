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
    scraped = await _scrape()
    assert scraped["allot_deliveries_dead"][()] == 1
    assert scraped["allot_deliveries_open"][(("channel", "SLACK_DM"), ("state", "DEAD"))] == 1
    assert scraped["allot_deliveries_open"][(("channel", "EMAIL"), ("state", "DEAD"))] == 0

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
    assert (await _scrape())["allot_deliveries_dead"][()] == 0


async def _scrape() -> dict[str, dict[tuple[tuple[str, str], ...], float]]:
    """What /metrics shows of the database's gauges (app.services.stats)."""
    from prometheus_client.parser import text_string_to_metric_families

    from app import metrics
    from app.services import stats

    body, _ = metrics.exposition(await stats.gauges())
    found: dict[str, dict[tuple[tuple[str, str], ...], float]] = {}
    for family in text_string_to_metric_families(body.decode()):
        for sample in family.samples:
            found.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
    return found


@both_databases
async def test_waiting_deliveries_and_their_age_are_in_metrics(database, fixed_clock):
    from app.services.events import emit

    await emit("spend.recorded", {"n": 1}, budget_id=1)

    async def down(event: dict) -> None:
        raise RuntimeError("down")

    sender = CallableSender(down)
    await fan_out([sender])
    fixed_clock[0] = fixed_clock[0] + timedelta(seconds=90)
    found = await _scrape()
    assert found["allot_deliveries_open"][(("channel", "SINK"), ("state", "PENDING"))] == 1
    assert found["allot_delivery_oldest_waiting_age_seconds"][()] == 90
    await Dispatcher([sender]).run_once()  # failed once: PENDING again, backing off
    found = await _scrape()
    assert found["allot_deliveries_open"][(("channel", "SINK"), ("state", "PENDING"))] == 1
    assert found["allot_deliveries_dead"][()] == 0


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


@both_databases
async def test_one_event_that_cannot_be_fanned_out_never_holds_back_the_batch(
    database, fixed_clock, monkeypatch
):
    """Events are fanned out in one transaction per batch; one whose planning or writing
    fails is retried after its backoff on its own while the others go out."""
    from app.services import outbox
    from app.services.events import emit

    for n in range(4):
        await emit("spend.recorded", {"n": n}, budget_id=1)
    rows = await OutboxEvent.all().order_by("id")
    bad_plan, bad_write = rows[1].id, rows[2].id
    plan, write = outbox.destinations, outbox._write

    async def destinations(event, channels):  # type: ignore[no-untyped-def]
        if event["id"] == bad_plan:
            raise RuntimeError("cannot plan")
        return await plan(event, channels)

    async def _write(planned, senders):  # type: ignore[no-untyped-def]
        if any(event["id"] == bad_write for event, _, _ in planned):
            raise RuntimeError("cannot write")
        await write(planned, senders)

    monkeypatch.setattr(outbox, "destinations", destinations)
    monkeypatch.setattr(outbox, "_write", _write)
    seen: list[int] = []

    async def live(event: dict) -> None:
        seen.append(event["id"])

    async def sink(event: dict) -> None:
        return None

    assert await fan_out([CallableSender(sink)], broadcast=live) == 2
    assert seen == [rows[0].id, rows[3].id]
    for event_id, why in ((bad_plan, "cannot plan"), (bad_write, "cannot write")):
        row = await OutboxEvent.get(id=event_id)
        assert row.delivered_at is None and why in (row.last_error or "")
        assert row.next_attempt_at > fixed_clock[0]
    assert await Delivery.filter(event_id__in=[bad_plan, bad_write]).count() == 0
    assert await Delivery.filter(event_id__in=[rows[0].id, rows[3].id]).count() == 2
    monkeypatch.setattr(outbox, "destinations", plan)
    monkeypatch.setattr(outbox, "_write", write)
    fixed_clock[0] = fixed_clock[0] + timedelta(minutes=1)  # past their backoff
    assert await fan_out([CallableSender(sink)], broadcast=live) == 2
    assert sorted(seen[2:]) == [bad_plan, bad_write]
