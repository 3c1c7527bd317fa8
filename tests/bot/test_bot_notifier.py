"""The outbox's Slack sink: where approval requests, decisions and alerts go."""

from __future__ import annotations

from datetime import timedelta

import pytest
from slack_harness import SlackHarness, make_world

from app.models import Budget, Delivery, OutboxEvent, SlackMessage
from app.services import transfers
from app.services.actors import load_actor
from app.services.spending import SpendInput, record_spend


@pytest.fixture
async def slack(fake_slack, database):
    harness = SlackHarness(fake_slack)
    yield harness
    await harness.aclose()


async def _request(world, amount: str = "300"):
    return await transfers.request_transfer(
        await load_actor(world.mia),
        amount=amount,
        reason="more GPUs",
        from_allocation_id=world.nlp_allocation_id,
        to_allocation_id=world.gpu_allocation_id,
    )


async def test_a_budget_with_a_channel_gets_the_request_there_not_in_dms(slack, admin):
    world = await make_world(admin[0], slack_channel="C777")
    transfer = await _request(world)
    await slack.deliver()
    posted = slack.fake.calls_to("chat.postMessage")
    assert [c.params["channel"] for c in posted] == ["C777"]
    assert slack.fake.calls_to("conversations.open") == []
    message = await SlackMessage.get(transfer_id=transfer.id)
    assert message.channel == "C777"


async def test_a_retried_request_event_does_not_post_twice(slack, admin):
    world = await make_world(admin[0])
    await _request(world)
    event = await OutboxEvent.get(kind="transfer.requested")
    payload = {
        "id": event.id,
        "kind": event.kind,
        "budgetId": event.budget_id,
        "payload": event.payload,
        "createdAt": "",
    }
    await slack.notifier(payload)
    await slack.notifier(payload)
    assert len(slack.fake.calls_to("chat.postMessage")) == 1


async def test_a_decision_elsewhere_updates_every_posted_copy(slack, admin):
    world = await make_world(admin[0])
    transfer = await _request(world)
    await slack.deliver()
    await transfers.reject_transfer(
        await load_actor(world.pi), transfer_id=transfer.id, note="not now"
    )
    await slack.deliver()
    updated = slack.fake.calls_to("chat.update")
    assert len(updated) == 1 and updated[0].params["channel"] == "DUPI"
    assert "not now" in str(updated[0].params["blocks"])


async def test_an_expired_request_is_reported_to_the_requester(slack, admin, fixed_clock):
    world = await make_world(admin[0])
    await Budget.filter(id=world.budget_id).update(transfer_expiry_days=2)
    await _request(world)
    await slack.deliver()
    fixed_clock[0] = fixed_clock[0] + timedelta(days=3)
    assert await transfers.expire_due() == 1
    await slack.deliver()
    told = [c for c in slack.fake.calls_to("chat.postMessage") if c.params["channel"] == "DUMIA"]
    assert len(told) == 1 and "expired" in told[0].params["text"]


async def test_a_threshold_alert_goes_to_the_budget_owners(slack, admin):
    world = await make_world(admin[0])
    await Budget.filter(id=world.budget_id).update(alert_thresholds=[80])
    await record_spend(
        await load_actor(world.mia), SpendInput(project_id=world.gpu_project_id, amount="4100")
    )
    await slack.deliver()
    posted = [
        c for c in slack.fake.calls_to("chat.postMessage") if "80%" in c.params.get("text", "")
    ]
    assert [c.params["channel"] for c in posted] == ["DUPI"]


async def test_a_slack_failure_leaves_the_event_for_a_retry(slack, admin):
    world = await make_world(admin[0])
    await _request(world)
    slack.fake.errors["chat.postMessage"] = "ratelimited"
    await slack.deliver()
    event = await OutboxEvent.get(kind="transfer.requested")
    [delivery] = await Delivery.filter(event_id=event.id, channel="SLACK_DM")
    assert delivery.state == "PENDING" and delivery.delivered_at is None
    assert delivery.attempts == 1 and "ratelimited" in (delivery.last_error or "")


async def test_the_notifier_context_may_read_but_not_decide(database, admin):
    from bot import operations as ops
    from bot.api import ApiError, NotifierActor
    from schema import schema

    world = await make_world(admin[0])
    transfer = await _request(world)
    notifier = NotifierActor(schema)
    read = await notifier.run(ops.TRANSFER, id=f"trf_{transfer.id}")
    assert read["node"]["status"] == "PENDING"
    with pytest.raises(ApiError, match="may not call approveTransfer"):
        await notifier.run(ops.APPROVE_TRANSFER, input={"transferId": f"trf_{transfer.id}"})
    assert (await transfers.TransferRequest.get(id=transfer.id)).status == "PENDING"
