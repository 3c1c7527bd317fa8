"""Alerts in Slack: figures and severity, the Acknowledge button, one thread per envelope and
period, the project's channel as well as the budget's, the owners' DMs when the bot is not in
a channel, and links to the web app (only when ALLOT_PUBLIC_URL is set).

Driven end to end: a real spend raises the alert, the outbox delivers it to the fake Slack,
and the click is a signed block_actions payload (the fixture's shape) into the real Bolt app.
"""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from signing import block_action_body
from slack_harness import TEAM, SlackHarness, World, make_world

from app.models import Alert, Budget, Project, SlackThread
from app.services.actors import load_actor
from app.services.spending import SpendInput, record_spend

CHANNEL = "CGRANT"
PROJECT_CHANNEL = "CGPULAB"
URL = "https://allot.example.org"


@pytest.fixture
async def slack(fake_slack, database):
    harness = SlackHarness(fake_slack, public_url=URL)
    yield harness
    await harness.aclose()


@pytest.fixture
async def unlinked_slack(fake_slack, database):
    harness = SlackHarness(fake_slack)
    yield harness
    await harness.aclose()


async def _world(admin, privacy: str = "FULL", channel: str | None = CHANNEL) -> World:
    world = await make_world(admin[0], slack_channel=channel)
    await Budget.filter(id=world.budget_id).update(
        slack_privacy=privacy, alert_thresholds=[80, 100]
    )
    return world


async def _spend(world: World, amount: str) -> None:
    await record_spend(
        await load_actor(world.mia), SpendInput(project_id=world.gpu_project_id, amount=amount)
    )


def _alerts(slack: SlackHarness, channel: str | None = None) -> list[dict[str, Any]]:
    return [
        c.params
        for c in slack.fake.calls_to("chat.postMessage")
        if any(
            b.get("block_id", "").startswith("alert_actions") for b in c.params.get("blocks") or []
        )
        and (channel is None or c.params["channel"] == channel)
    ]


def _shown(params: dict[str, Any]) -> str:
    return str(params.get("text")) + " " + str(params.get("blocks"))


async def test_an_alert_carries_its_figures_severity_and_an_acknowledge_button(slack, admin):
    world = await _world(admin)
    await _spend(world, "4100")
    await slack.deliver()
    (post,) = _alerts(slack, CHANNEL)
    shown = _shown(post)
    assert post["text"].startswith(":warning:")
    assert "*Warning*" in shown
    assert "*Spent*\\n$4,100.00" in shown and "*Remaining*\\n$900.00" in shown
    assert "*Used*\\n82%" in shown
    [actions] = [b for b in post["blocks"] if b["type"] == "actions"]
    [button] = actions["elements"]
    alert = await Alert.get(allocation_id=world.gpu_allocation_id)
    assert button["action_id"] == "alert_acknowledge" and button["value"] == f"alr_{alert.id}"
    assert "thread_ts" not in post, "the envelope's first alert starts its thread"


async def test_later_alerts_of_the_envelope_reply_in_its_thread(slack, admin):
    world = await _world(admin)
    await _spend(world, "4100")
    await slack.deliver()
    await _spend(world, "1000")  # 5,100 of 5,000: the alert escalates to 100%
    await slack.deliver()
    first, second = _alerts(slack, CHANNEL)
    assert "thread_ts" not in first
    thread = await SlackThread.get(key=f"alloc:{world.gpu_allocation_id}", channel=CHANNEL)
    assert second["thread_ts"] == thread.ts
    assert second["text"].startswith(":rotating_light:"), "100% used is critical"
    assert "*Critical*" in _shown(second) and "-$100.00" in _shown(second)


async def test_an_envelope_alert_goes_to_the_projects_channel_too_within_the_setting(slack, admin):
    world = await _world(admin, privacy="AMOUNTS")
    await Project.filter(id=world.gpu_project_id).update(slack_channel=PROJECT_CHANNEL)
    await _spend(world, "4100")
    await slack.deliver()
    (budget_post,) = _alerts(slack, CHANNEL)
    (project_post,) = _alerts(slack, PROJECT_CHANNEL)
    for post in (budget_post, project_post):
        shown = _shown(post)
        assert "82%" in shown or "80%" in shown
        assert "$" not in shown, "AMOUNTS: percentages only, no balance"
    threads = await SlackThread.filter(key=f"alloc:{world.gpu_allocation_id}")
    assert {t.channel for t in threads} == {CHANNEL, PROJECT_CHANNEL}


async def test_under_none_an_alert_shows_no_money_figure(slack, admin):
    world = await _world(admin, privacy="NONE")
    await _spend(world, "4100")
    await slack.deliver()
    (post,) = _alerts(slack, CHANNEL)
    assert re.search(r"\d", post["text"]) is None
    fields = [b for b in post["blocks"] if b.get("fields")]
    assert fields == []


async def test_when_the_bot_is_not_in_the_channel_the_owners_get_the_alert_by_dm(slack, admin):
    world = await _world(admin, privacy="NONE")
    slack.fake.channel_errors[("chat.postMessage", CHANNEL)] = "not_in_channel"
    await _spend(world, "4100")
    await slack.deliver()
    (dm,) = _alerts(slack, "DUPI")
    assert "$4,100.00" in _shown(dm), "an owner's DM shows every figure"


async def _click(
    slack: SlackHarness, post: dict[str, Any], ts: str, user: str
) -> None:  # the posted message comes back with the click, as Slack sends it
    [actions] = [b for b in post["blocks"] if b["type"] == "actions"]
    alert_id = actions["elements"][0]["value"]
    body = block_action_body(
        "alert_acknowledge",
        alert_id,
        user,
        TEAM,
        ts,
        post["channel"],
        block_id=actions["block_id"],
        message={"text": post["text"], "blocks": post["blocks"]},
        trigger_id=slack.trigger(),
        action_ts=f"{time.time():.6f}",
    )
    response = await slack.post(body)
    assert response.status_code == 200


async def _posted(slack: SlackHarness) -> tuple[dict[str, Any], str]:
    (call,) = [
        c
        for c in slack.fake.calls_to("chat.postMessage")
        if c.params["channel"] == CHANNEL and c.params.get("blocks")
    ]
    # The first alert of the envelope in the channel: its ts is the thread's start.
    thread = await SlackThread.get(channel=CHANNEL)
    return call.params, thread.ts


async def test_an_owner_acknowledges_from_slack_and_the_message_says_so(slack, admin):
    world = await _world(admin)
    await _spend(world, "4100")
    await slack.deliver()
    post, ts = await _posted(slack)
    await _click(slack, post, ts, "UPI")
    (update,) = [c.params for c in await slack.fake.wait_for("chat.update")]
    assert update["ts"] == ts and update["channel"] == CHANNEL
    assert "Acknowledged by <@UPI>" in str(update["blocks"])
    assert not [b for b in update["blocks"] if b["type"] == "actions"], "the button is gone"
    assert "$4,100.00" in str(update["blocks"]), "the figures stay as they were posted"
    alert = await Alert.get(allocation_id=world.gpu_allocation_id)
    assert alert.state == "ACKNOWLEDGED" and alert.acknowledged_by_id == world.pi.id  # type: ignore[attr-defined]


async def test_someone_who_may_not_acknowledge_is_told_and_the_button_stays(slack, admin):
    world = await _world(admin)
    await _spend(world, "4100")
    await slack.deliver()
    post, ts = await _posted(slack)
    await _click(slack, post, ts, "UNAT")  # Nat works on NLP Lab, not GPU Lab
    (told,) = [c.params for c in await slack.fake.wait_for("chat.postEphemeral")]
    assert told["user"] == "UNAT"
    assert slack.fake.calls_to("chat.update") == []
    assert (await Alert.get(allocation_id=world.gpu_allocation_id)).state == "OPEN"


async def test_alerts_link_to_the_web_app_when_its_address_is_set(slack, admin):
    world = await _world(admin)
    await _spend(world, "4100")
    await slack.deliver()
    (post,) = _alerts(slack, CHANNEL)
    shown = _shown(post)
    assert f"<{URL}/budgets/bud_{world.budget_id}|Open Cloud Grant in Allot>" in shown
    assert f"<{URL}/projects/prj_{world.gpu_project_id}|GPU Lab>" in shown
    assert f"<{URL}/alerts|All alerts>" in shown


async def test_without_a_public_url_alerts_carry_no_link(unlinked_slack, admin):
    world = await _world(admin)
    await _spend(world, "4100")
    await unlinked_slack.deliver()
    (post,) = _alerts(unlinked_slack, CHANNEL)
    assert "http" not in _shown(post)
