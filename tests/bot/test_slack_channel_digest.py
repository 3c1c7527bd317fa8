"""The scheduled digest of a budget's Slack channel (ALLOT_SLACK_CHANNEL_DIGEST): spent, pace,
top movers and pending requests, once per boundary, within the budget's slackPrivacy, driven by
the fake clock and delivered by the outbox to the fake Slack Web API."""

from __future__ import annotations

from datetime import timedelta

import pytest
from helpers import NOW
from slack_harness import SlackHarness, World, make_world

from app.models import Budget, OutboxEvent
from app.services import transfers
from app.services.actors import load_actor
from app.services.delivery import digest
from app.services.spending import SpendInput, record_spend
from app.settings import Settings

CHANNEL = "CGRANT"
URL = "https://allot.example.org"
MONDAY_8 = NOW + timedelta(hours=20)  # NOW is Sunday 15 March 2026, 12:00 UTC


@pytest.fixture
async def slack(fake_slack, database):
    harness = SlackHarness(fake_slack, public_url=URL)
    yield harness
    await harness.aclose()


async def _world(admin, privacy: str = "FULL") -> World:
    world = await make_world(admin[0], slack_channel=CHANNEL)
    await Budget.filter(id=world.budget_id).update(slack_privacy=privacy)
    await record_spend(
        await load_actor(world.mia), SpendInput(project_id=world.gpu_project_id, amount="1200")
    )
    await record_spend(
        await load_actor(world.nat), SpendInput(project_id=world.nlp_project_id, amount="300")
    )
    await transfers.request_transfer(
        await load_actor(world.mia),
        amount="250",
        reason="more GPUs",
        from_allocation_id=world.nlp_allocation_id,
        to_allocation_id=world.gpu_allocation_id,
    )
    return world


def _digests(slack: SlackHarness, channel: str = CHANNEL) -> list[dict]:
    return [
        c.params
        for c in slack.fake.calls_to("chat.postMessage")
        if c.params["channel"] == channel and "digest" in c.params.get("text", "")
    ]


async def test_a_daily_digest_posts_spent_pace_movers_and_pending_once_per_boundary(
    slack, admin, fixed_clock
):
    world = await _world(admin)
    await slack.deliver()  # the request's own post
    fixed_clock[0] = MONDAY_8 - timedelta(seconds=1)
    assert await digest.channel_digests_due(frequency="DAILY") == 1, "Sunday 08:00 passed"
    fixed_clock[0] = MONDAY_8
    assert await digest.channel_digests_due(frequency="DAILY") == 1
    assert await digest.channel_digests_due(frequency="DAILY") == 0, "once per boundary"
    events = await OutboxEvent.filter(kind="budget.digest").order_by("id")
    assert events[0].payload["movers"] == [], "nothing was spent on Saturday"
    movers = events[1].payload["movers"]
    assert [m["allocationId"] for m in movers] == [world.gpu_allocation_id, world.nlp_allocation_id]
    await slack.deliver()
    posted = _digests(slack)
    assert len(posted) == 2
    shown = str(posted[1]["blocks"])
    assert "Cloud Grant: daily digest" in shown
    assert "*Spent* $1,500.00 of $10,000.00 (15%)" in shown
    assert "*Pace*" in shown and "a day" in shown
    assert "• GPU Lab — $1,200.00\\n• NLP Lab — $300.00" in shown
    assert "*Pending requests (1)*" in shown and "$250.00 from NLP Lab to GPU Lab" in shown
    assert f"<{URL}/budgets/bud_{world.budget_id}|Open Cloud Grant in Allot>" in shown


async def test_under_amounts_the_digest_shows_no_balance_or_project_spend(
    slack, admin, fixed_clock
):
    await _world(admin, privacy="AMOUNTS")
    fixed_clock[0] = MONDAY_8
    assert await digest.channel_digests_due(frequency="WEEKLY") == 1
    await slack.deliver()
    (post,) = _digests(slack)
    shown = str(post["blocks"])
    assert "*Used* 15% of the budget" in shown
    assert "GPU Lab" in shown and "$1,200.00" not in shown and "$1,500.00" not in shown
    assert "$250.00" in shown, "a request's amount is shown under AMOUNTS"


async def test_the_owners_get_the_digest_by_dm_when_the_bot_is_not_in_the_channel(
    slack, admin, fixed_clock
):
    await _world(admin, privacy="NONE")
    slack.fake.channel_errors[("chat.postMessage", CHANNEL)] = "not_in_channel"
    fixed_clock[0] = MONDAY_8
    assert await digest.channel_digests_due(frequency="DAILY") == 1
    await slack.deliver()
    (dm,) = _digests(slack, "DUPI")
    assert "$1,200.00" in str(dm["blocks"]), "an owner's DM shows everything"


async def test_no_channel_digest_unless_the_setting_asks_for_one(
    slack, admin, fixed_clock, monkeypatch
):
    await _world(admin)
    fixed_clock[0] = MONDAY_8
    monkeypatch.setattr(digest, "get_settings", lambda: Settings(slack_channel_digest=""))
    assert await digest.send_due() == 0
    monkeypatch.setattr(digest, "get_settings", lambda: Settings(slack_channel_digest="WEEKLY"))
    assert await digest.send_due() == 1, "the regular pass makes it once the setting is on"
    assert await OutboxEvent.filter(kind="budget.digest").count() == 1
