"""Deep links to the web app on the bot's messages (only with ALLOT_PUBLIC_URL set), and App
Home's buttons and refreshes, with signed payloads of the fixtures' shapes into the real Bolt
app and the fake Slack Web API."""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import parse_qs, urlencode

import pytest
from signing import block_action_body
from slack_harness import TEAM, SlackHarness, World, make_world

from app.services import transfers
from app.services.actors import load_actor

URL = "https://allot.example.org"
CHANNEL = "CGRANT"


@pytest.fixture
async def slack(fake_slack, database):
    harness = SlackHarness(fake_slack, public_url=URL)
    yield harness
    await harness.aclose()


@pytest.fixture
async def bare(fake_slack, database):
    """No public URL configured."""
    harness = SlackHarness(fake_slack)
    yield harness
    await harness.aclose()


async def _request(world: World) -> int:
    transfer = await transfers.request_transfer(
        await load_actor(world.mia),
        amount="300",
        reason="more GPUs",
        from_allocation_id=world.nlp_allocation_id,
        to_allocation_id=world.gpu_allocation_id,
    )
    return transfer.id


def _shown(params: dict[str, Any]) -> str:
    return json.dumps({k: params.get(k) for k in ("text", "blocks")}, ensure_ascii=False)


# Deep links ----------------------------------------------------------------------------------


async def test_a_transfer_request_and_its_decision_link_to_the_transfers_page(slack, admin):
    world = await make_world(admin[0], slack_channel=CHANNEL)
    transfer_id = await _request(world)
    await slack.deliver()
    (post,) = [c.params for c in slack.fake.calls_to("chat.postMessage")]
    link = f"<{URL}/transfers/trf_{transfer_id}|Open in Allot>"
    assert link in _shown(post)
    actions_at = [b["type"] for b in post["blocks"]].index("actions")
    assert actions_at == len(post["blocks"]) - 1, "the buttons stay last"
    await transfers.approve_transfer(await load_actor(world.pi), transfer_id=transfer_id)
    await slack.deliver()
    (update,) = [c.params for c in slack.fake.calls_to("chat.update")]
    assert link in _shown(update)
    (dm,) = [
        c.params for c in slack.fake.calls_to("chat.postMessage") if c.params["channel"] == "DUMIA"
    ]
    assert "was approved" in dm["text"] and link in dm["text"]


async def test_replies_to_commands_link_to_the_web_app(slack, admin):
    world = await make_world(admin[0])
    await slack.command("status gpu-lab", "UMIA", name="status")
    status = await slack.reply("status")
    assert f"<{URL}/projects/prj_{world.gpu_project_id}|GPU Lab>" in _shown(status)
    await slack.command("budgets", "UPI", name="budgets")
    listed = await slack.reply("budgets")
    assert f"<{URL}/budgets/bud_{world.budget_id}|Cloud Grant>" in _shown(listed)
    await slack.command("spend 12.50 aws-ec2", "UMIA", name="spend")
    spent = await slack.reply("spend")
    assert f"<{URL}/projects/prj_{world.gpu_project_id}|Open GPU Lab in Allot>" in _shown(spent)
    await slack.command("transfer 100 from nlp-lab to gpu-lab because GPUs", "UMIA", name="trf")
    asked = await slack.reply("trf")
    assert f"<{URL}/transfers/trf_" in asked["text"]
    await slack.command("help", "UMIA", name="help")
    helped = await slack.reply("help")
    assert f"<{URL}/dashboard|Open Allot in the browser>" in _shown(helped)


async def test_without_a_public_url_no_message_carries_a_link(bare, admin):
    world = await make_world(admin[0], slack_channel=CHANNEL)
    await _request(world)
    await bare.deliver()
    await bare.command("status gpu-lab", "UMIA", name="status")
    await bare.command("help", "UMIA", name="help")
    shown = [_shown(c.params) for c in bare.fake.calls_to("chat.postMessage")]
    shown += [_shown(await bare.reply("status")), _shown(await bare.reply("help"))]
    assert shown and all("http" not in s for s in shown), shown


# App Home ------------------------------------------------------------------------------------


async def _open_home(slack: SlackHarness, user: str) -> list[dict[str, Any]]:
    await slack.event(
        {"type": "app_home_opened", "user": user, "tab": "home", "event_ts": "1700000000.1"}
    )
    published = await slack.fake.wait_for("views.publish")
    return published[-1].params["view"]["blocks"]


async def test_app_home_has_request_and_web_app_buttons(slack, admin):
    await make_world(admin[0])
    blocks = await _open_home(slack, "UMIA")
    (top,) = [b for b in blocks if b.get("block_id") == "home_actions"]
    assert blocks[0] is top
    request, web = top["elements"]
    assert request["action_id"] == "home_request_transfer"
    assert web["action_id"] == "home_open_web" and web["url"] == f"{URL}/dashboard"


async def test_without_a_public_url_app_home_has_no_web_app_button(bare, admin):
    await make_world(admin[0])
    blocks = await _open_home(bare, "UMIA")
    (top,) = [b for b in blocks if b.get("block_id") == "home_actions"]
    assert [e["action_id"] for e in top["elements"]] == ["home_request_transfer"]
    assert "http" not in json.dumps(blocks)


async def test_request_a_transfer_on_app_home_opens_the_transfer_form(slack, admin):
    await make_world(admin[0])
    raw = block_action_body(
        "home_request_transfer",
        "home",
        "UMIA",
        TEAM,
        "1.1",
        "DUMIA",
        block_id="home_actions",
        trigger_id="trigger-home-1",
        action_ts=f"{time.time():.6f}",
    )
    payload = json.loads(parse_qs(raw)["payload"][0])
    payload["container"] = {"type": "view", "view_id": "V1"}
    response = await slack.post(urlencode({"payload": json.dumps(payload)}))
    assert response.status_code == 200
    (opened,) = await slack.fake.wait_for("views.open")
    assert opened.params["trigger_id"] == "trigger-home-1"
    assert opened.params["view"]["callback_id"] == "transfer_modal"


async def test_the_web_app_button_click_is_acknowledged(slack, admin):
    await make_world(admin[0])
    raw = block_action_body(
        "home_open_web", "web", "UMIA", TEAM, "1.1", "DUMIA", block_id="home_actions"
    )
    payload = json.loads(parse_qs(raw)["payload"][0])
    payload["container"] = {"type": "view", "view_id": "V1"}
    response = await slack.post(urlencode({"payload": json.dumps(payload)}))
    assert response.status_code == 200


def _home_of(slack: SlackHarness, user: str) -> list[dict[str, Any]]:
    published = [c.params for c in slack.fake.calls_to("views.publish")]
    return [p["view"]["blocks"] for p in published if p["user_id"] == user]


def _buttons(blocks: list[dict[str, Any]]) -> list[str]:
    return [
        e["action_id"]
        for b in blocks
        if b["type"] == "actions" and b.get("block_id") != "home_actions"
        for e in b["elements"]
    ]


async def test_app_home_is_refreshed_for_the_parties_when_a_transfer_is_requested_and_decided(
    slack, admin
):
    world = await make_world(admin[0], slack_channel=CHANNEL)
    transfer_id = await _request(world)
    await slack.deliver()
    (mia,) = _home_of(slack, "UMIA")
    (paula,) = _home_of(slack, "UPI")
    assert _buttons(mia) == ["transfer_cancel"], "the requester sees their pending request"
    assert "transfer_approve" in _buttons(paula), "the owner may decide it from Home"
    assert _home_of(slack, "UNAT") == [], "Nat is not party to it"
    await transfers.approve_transfer(await load_actor(world.pi), transfer_id=transfer_id)
    await slack.deliver()
    mia_after = _home_of(slack, "UMIA")[-1]
    paula_after = _home_of(slack, "UPI")[-1]
    assert len(_home_of(slack, "UMIA")) == 2 and len(_home_of(slack, "UPI")) == 2
    assert _buttons(mia_after) == [] and _buttons(paula_after) == []
    assert "Nothing pending." in json.dumps(mia_after)


# Link help -----------------------------------------------------------------------------------


async def test_the_link_help_says_where_a_code_comes_from_without_api_names(slack, admin):
    await make_world(admin[0])
    response = await slack.command("status", "UNEWCOMER")
    text = response.json()["text"]
    assert "`/allot link CODE`" in text
    assert "settings page of the Allot web app" in text
    assert "`allot users link-code YOUR-EMAIL`" in text
    assert f"<{URL}/settings|Open the settings page>" in text
    for api_name in ("createSlackLinkCode", "linkSlackAccount", "mutation", "GraphQL"):
        assert api_name not in text


async def test_the_help_for_link_points_to_the_settings_page(bare, admin):
    await bare.command("help link", "UNEWCOMER", name="help")
    shown = _shown(await bare.reply("help"))
    assert "settings page" in shown and "allot users link-code EMAIL" in shown
    assert "createSlackLinkCode" not in shown
