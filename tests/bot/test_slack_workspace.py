"""The workspace check (bot/guard.py): with ALLOT_SLACK_TEAM_ID set, a signed request that names
no workspace is refused like one from another workspace, and does nothing."""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

import pytest
from signing import block_action_body, slash_command_body
from slack_harness import TEAM, SlackHarness, make_world

from app.models import Spend, TransferRequest
from app.services import transfers
from app.services.actors import load_actor


@pytest.fixture
async def slack(fake_slack, database):
    harness = SlackHarness(fake_slack)
    yield harness
    await harness.aclose()


@pytest.fixture
async def world(admin):
    return await make_world(admin[0])


def _without_team_id(form_body: str) -> str:
    return urlencode(
        [(k, v) for k, v in parse_qsl(form_body, keep_blank_values=True) if k != "team_id"]
    )


def _command_without_team(slack: SlackHarness, text: str) -> str:
    body = slash_command_body(
        text, "UMIA", TEAM, response_url=slack.fake.response_url("cmd"), trigger_id=slack.trigger()
    )
    return _without_team_id(body)


def _click_without_team(transfer_id: str) -> str:
    body = block_action_body(
        "transfer_approve", transfer_id, "UPI", TEAM, "1.1", "CBUDGET",
        block_id=f"transfer_actions:{transfer_id}",
    )  # fmt: skip
    payload: dict[str, Any] = json.loads(dict(parse_qsl(body))["payload"])
    payload["team"] = None  # as Slack sends for some org-wide installations
    payload["user"].pop("team_id")
    return "payload=" + quote(json.dumps(payload))


async def test_a_command_naming_no_workspace_is_refused_and_records_nothing(slack, world):
    body = _command_without_team(slack, "spend 12.50 aws-ec2 gpu-lab")
    assert "team_id" not in dict(parse_qsl(body))
    response = await slack.post(body)
    assert response.status_code == 200
    assert "another Slack workspace" in response.text
    await asyncio.sleep(0.3)  # what a listener that ran anyway would have needed
    assert await Spend.all().count() == 0
    assert slack.fake.calls_to("response_url") == []


async def test_a_button_click_naming_no_workspace_decides_nothing(slack, world):
    transfer = await transfers.request_transfer(
        await load_actor(world.mia),
        amount="300",
        reason="more GPUs",
        from_allocation_id=world.nlp_allocation_id,
        to_allocation_id=world.gpu_allocation_id,
    )
    response = await slack.post(_click_without_team(f"trf_{transfer.id}"))
    assert response.status_code == 200
    assert "another Slack workspace" in response.text
    await asyncio.sleep(0.3)
    assert (await TransferRequest.get(id=transfer.id)).status == "PENDING"
    assert slack.fake.calls_to("chat.update") == []


async def test_without_a_configured_workspace_a_request_naming_none_still_works(
    fake_slack, database, world
):
    harness = SlackHarness(fake_slack, team_id=None)
    try:
        await harness.post(_command_without_team(harness, "spend 12.50 aws-ec2 gpu-lab"))
        assert "Recorded" in (await harness.reply("cmd"))["text"]
    finally:
        await harness.aclose()
    assert await Spend.all().count() == 1
