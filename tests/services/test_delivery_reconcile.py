"""At least once with the smallest duplicate window: a Slack post carries its delivery's id
(message metadata); a try that may have landed (the process died after Slack accepted it, or
the call timed out) is reconciled from the conversation's history before anything is posted.

On the old outbox a kill after Slack accepted the message and before it was marked delivered
sent it again when the lease ran out (120 s later): these tests fail there with two posts."""

from __future__ import annotations

import contextlib
from datetime import timedelta

from delivery_harness import (
    delivery_ids,
    make_world,
    notifier_for,
    spend,
)
from helpers import both_databases

from app.models import Delivery, SlackMessage
from app.services import transfers
from app.services.actors import load_actor
from app.services.delivery.dispatch import LEASE, Dispatcher
from app.services.outbox import fan_out
from app.settings import Settings


class Killed(BaseException):
    """The process dies: nothing after the Slack call runs (not even the failure's record)."""


async def _die_after_send(dispatcher: Dispatcher, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    async def dead(*_args, **_kwargs):  # type: ignore[no-untyped-def]
        raise Killed

    monkeypatch.setattr(dispatcher, "_done", dead)
    monkeypatch.setattr(dispatcher, "_fail", dead)
    with contextlib.suppress(Killed):
        await dispatcher.run_once()
    for task in list(dispatcher.tasks):
        task.cancel()


@both_databases
async def test_a_kill_between_slack_and_the_mark_is_reconciled_not_posted_again(
    database, admin, slack_fake, fixed_clock, monkeypatch
):
    world = await make_world(admin[0], owners=("UOWNA",))
    await spend(world, "2600")
    notifier = notifier_for(slack_fake)
    await fan_out([notifier])
    await _die_after_send(Dispatcher([notifier]), monkeypatch)
    assert len(slack_fake.posts("DUOWNA")) >= 1, "Slack accepted the message"
    stuck = await Delivery.filter(state="SENDING")
    assert stuck, "the row was never marked"

    monkeypatch.undo()
    fixed_clock[0] = fixed_clock[0] + LEASE + timedelta(seconds=1)  # the lease runs out
    posted_before = len(slack_fake.posts("DUOWNA"))
    await Dispatcher([notifier]).run_once()  # "after the restart"
    assert len(slack_fake.posts("DUOWNA")) == posted_before, "found, not posted again"
    assert slack_fake.calls_to("conversations.history")
    rows = await Delivery.filter(target="UOWNA")
    assert all(r.state == "DELIVERED" and r.receipt for r in rows)
    assert sorted(delivery_ids(slack_fake.posts("DUOWNA"))) == sorted(r.id for r in rows)


async def test_a_reconciled_transfer_request_is_recorded_for_its_update(
    database, admin, slack_fake, fixed_clock, monkeypatch
):
    world = await make_world(admin[0], owners=("UOWNA",))
    mia = await load_actor(world.member)
    transfer = await transfers.request_transfer(
        mia, amount="10", reason="more", to_allocation_id=world.allocation_id
    )
    notifier = notifier_for(slack_fake)
    await fan_out([notifier])
    dispatcher = Dispatcher([notifier])
    # The post lands, then the process dies before recordSlackMessage and the mark.
    real_record = notifier._record

    async def die(*_args, **_kwargs):  # type: ignore[no-untyped-def]
        raise Killed

    monkeypatch.setattr(notifier, "_record", die)
    await _die_after_send(dispatcher, monkeypatch)
    assert await SlackMessage.filter(transfer_id=transfer.id).count() == 0
    monkeypatch.undo()
    assert notifier._record == real_record
    fixed_clock[0] = fixed_clock[0] + LEASE + timedelta(seconds=1)
    await Dispatcher([notifier]).run_once()
    assert len(slack_fake.posts("DUOWNA")) == 1
    recorded = await SlackMessage.get(transfer_id=transfer.id)
    assert recorded.channel == "DUOWNA"


async def test_a_timed_out_call_is_reconciled_before_it_is_sent_again(
    database, admin, slack_fake, fixed_clock
):
    world = await make_world(admin[0], owners=("UOWNA",))
    await spend(world, "2600")
    notifier = notifier_for(slack_fake)
    await fan_out([notifier])
    # Slack takes the message but answers too late: the call times out.
    slack_fake.hang.add("DUOWNA")
    slack_fake.hang_seconds = 1.5
    await Dispatcher([notifier], Settings(delivery_timeout_seconds=0.5)).run_once()
    row = (await Delivery.filter(target="UOWNA").order_by("id"))[0]
    assert row.state == "PENDING" and row.uncertain and "timed out" in (row.last_error or "")
    slack_fake.hang.clear()
    import asyncio

    await asyncio.sleep(1.5)  # the slow call lands in the fake meanwhile
    fixed_clock[0] = fixed_clock[0] + timedelta(minutes=5)
    await Dispatcher([notifier]).run_once()
    assert sorted(delivery_ids(slack_fake.posts("DUOWNA"))) == sorted(
        r.id for r in await Delivery.filter(target="UOWNA")
    ), "one message per delivery"
