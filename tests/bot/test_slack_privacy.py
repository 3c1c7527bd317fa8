"""What Slack channels see of a budget's money (`Budget.slackPrivacy`, docs/slack.md).

Channel posts and their updates follow the budget's setting (FULL / AMOUNTS / NONE); DMs to the
budget's owners show everything. Driven through the real notifier, the real Bolt app (button
clicks) and the fake Slack Web API, plus the pure builders.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from slack_harness import SlackHarness, World, make_world

from app.models import Budget
from app.services import transfers
from app.services.actors import load_actor
from app.services.spending import SpendInput, record_spend
from bot.blocks.alerts import alert_text
from bot.blocks.privacy import privacy_for
from bot.transfer_messages import message

CHANNEL = "CBUDGET"

SET_PRIVACY = """
mutation SetPrivacy($input: UpdateBudgetInput!) {
  updateBudget(input: $input) {
    ... on BudgetUpdated { budget { slackPrivacy } }
    ... on Error { code message }
  }
}
"""

#: What only FULL may show: balances, status and runway of a side.
BALANCE_WORDS = ("Remaining", "Runway", "Healthy", "Warning", "Critical", "Exhausted", "circle:")


@pytest.fixture
async def slack(fake_slack, database):
    harness = SlackHarness(fake_slack)
    yield harness
    await harness.aclose()


async def _world(admin, gql, privacy: str | None, channel: str | None = CHANNEL) -> World:
    world = await make_world(admin[0], slack_channel=channel)
    if privacy is not None:  # None: the default the API gives a new budget
        data = await gql(
            admin[0],
            SET_PRIVACY,
            input={"budgetId": f"bud_{world.budget_id}", "slackPrivacy": privacy},
        )
        assert data["updateBudget"]["budget"]["slackPrivacy"] == privacy
    return world


async def _request(world: World) -> int:
    """Mia asks to move 300 from NLP Lab (3,000 left) to her GPU Lab (5,000 left)."""
    transfer = await transfers.request_transfer(
        await load_actor(world.mia),
        amount="300",
        reason="more GPUs",
        from_allocation_id=world.nlp_allocation_id,
        to_allocation_id=world.gpu_allocation_id,
    )
    return transfer.id


def visible(params: dict[str, Any]) -> str:
    """Every text a reader sees in a chat.postMessage / chat.update: fallback and blocks."""
    parts = [str(params.get("text") or "")]
    for block in params.get("blocks") or []:
        if isinstance(block.get("text"), dict):
            parts.append(block["text"]["text"])
        parts += [f["text"] for f in block.get("fields") or []]
        for element in block.get("elements") or []:
            text = element.get("text")
            parts.append(text["text"] if isinstance(text, dict) else str(text or ""))
    return "\n".join(parts)


def numbers(text: str) -> list[str]:
    """The figures in a text, leaving out Slack dates, mentions and transfer ids."""
    text = re.sub(r"<!date\^[^>]*>", "", text)
    text = re.sub(r"<@[A-Z0-9]+>", "", text)
    text = re.sub(r"`trf_\d+`", "", text)
    return re.findall(r"[$€£]?\d[\d,]*(?:\.\d+)?%?", text)


def assert_amount_only(text: str) -> None:
    assert set(numbers(text)) == {"$300.00"}, text
    for word in BALANCE_WORDS:
        assert word not in text, (word, text)


def assert_no_figure(text: str) -> None:
    assert numbers(text) == [], text
    for word in BALANCE_WORDS:
        assert word not in text, (word, text)


def _posted(slack: SlackHarness, channel: str) -> list[dict[str, Any]]:
    return [
        c.params for c in slack.fake.calls_to("chat.postMessage") if c.params["channel"] == channel
    ]


# The request as posted -------------------------------------------------------------------------


async def test_by_default_a_channel_sees_the_amount_and_no_balance(slack, admin, gql):
    world = await _world(admin, gql, None)
    await _request(world)
    await slack.deliver()
    (post,) = _posted(slack, CHANNEL)
    text = visible(post)
    assert_amount_only(text)
    for part in ("<@UMIA>", "more GPUs", "*NLP Lab* to *GPU Lab*", "Approve", "Reject"):
        assert part in text


async def test_under_none_a_channel_sees_no_money_figure_and_can_still_decide(slack, admin, gql):
    world = await _world(admin, gql, "NONE")
    transfer_id = await _request(world)
    await slack.deliver()
    (post,) = _posted(slack, CHANNEL)
    text = visible(post)
    assert_no_figure(text)
    assert "<@UMIA> asks to move money from *NLP Lab* to *GPU Lab*" in text
    assert "open Allot to see the amount" in text
    (buttons,) = [b for b in post["blocks"] if b["type"] == "actions"]
    assert [e["value"] for e in buttons["elements"]] == [f"trf_{transfer_id}"] * 2


async def test_under_full_a_channel_sees_the_before_and_after_figures(slack, admin, gql):
    world = await _world(admin, gql, "FULL")
    await _request(world)
    await slack.deliver()
    (post,) = _posted(slack, CHANNEL)
    text = visible(post)
    assert "$3,000.00 → $2,700.00" in text and "$5,000.00 → $5,300.00" in text
    assert "Runway" in text


async def test_the_owners_dms_show_everything_even_under_none(slack, admin, gql):
    world = await _world(admin, gql, "NONE", channel=None)
    await _request(world)
    await slack.deliver()
    (dm,) = _posted(slack, "DUPI")
    assert "$3,000.00 → $2,700.00" in visible(dm)


# Updates when it is decided --------------------------------------------------------------------


@pytest.mark.parametrize("privacy", ["AMOUNTS", "NONE"])
async def test_a_decision_elsewhere_updates_the_channel_copy_within_the_setting(
    slack, admin, gql, privacy
):
    world = await _world(admin, gql, privacy)
    transfer_id = await _request(world)
    await slack.deliver()
    await transfers.approve_transfer(await load_actor(world.pi), transfer_id=transfer_id)
    await slack.deliver()
    (update,) = [c.params for c in slack.fake.calls_to("chat.update")]
    assert update["channel"] == CHANNEL
    text = visible(update)
    assert "Approved by <@UPI>" in text
    (assert_amount_only if privacy == "AMOUNTS" else assert_no_figure)(text)


@pytest.mark.parametrize("privacy", ["AMOUNTS", "NONE"])
async def test_an_owners_click_in_the_channel_updates_it_within_the_setting(
    slack, admin, gql, privacy
):
    world = await _world(admin, gql, privacy)
    transfer_id = await _request(world)
    await slack.deliver()
    (post,) = slack.fake.calls_to("chat.postMessage")
    assert post.params["channel"] == CHANNEL
    click = await slack.click("transfer_approve", f"trf_{transfer_id}", "UPI", CHANNEL, "1.1")
    assert click.status_code == 200
    (update,) = [c.params for c in await slack.fake.wait_for("chat.update")]
    text = visible(update)
    assert "Approved by <@UPI>" in text
    (assert_amount_only if privacy == "AMOUNTS" else assert_no_figure)(text)


async def test_an_owners_click_in_their_dm_shows_them_everything(slack, admin, gql):
    world = await _world(admin, gql, "NONE", channel=None)
    transfer_id = await _request(world)
    await slack.deliver()
    await slack.click("transfer_approve", f"trf_{transfer_id}", "UPI", "DUPI", "1.1")
    (update,) = [c.params for c in await slack.fake.wait_for("chat.update")]
    assert "$2,700.00" in visible(update)


# Alerts ---------------------------------------------------------------------------------------


async def _alerts(slack: SlackHarness, world: World) -> list[dict[str, Any]]:
    """GPU Lab spends 4,100 of its 5,000: past its 80% threshold."""
    await Budget.filter(id=world.budget_id).update(alert_thresholds=[80])
    await record_spend(
        await load_actor(world.mia), SpendInput(project_id=world.gpu_project_id, amount="4100")
    )
    await slack.deliver()
    return [
        c.params for c in slack.fake.calls_to("chat.postMessage") if ":warning:" in c.params["text"]
    ]


async def test_an_alert_under_amounts_gives_the_channel_the_percentage_only(slack, admin, gql):
    world = await _world(admin, gql, "AMOUNTS")
    (alert,) = await _alerts(slack, world)
    assert alert["channel"] == CHANNEL
    assert alert["text"] == ":warning: GPU Lab has used 80% of its allocation in Cloud Grant"


async def test_an_alert_under_none_gives_the_channel_no_number(slack, admin, gql):
    world = await _world(admin, gql, "NONE")
    (alert,) = await _alerts(slack, world)
    assert alert["channel"] == CHANNEL
    assert re.search(r"\d", alert["text"]) is None, alert["text"]
    assert "GPU Lab" in alert["text"] and "open Allot" in alert["text"]


async def test_an_alert_under_full_gives_the_channel_the_amounts(slack, admin, gql):
    world = await _world(admin, gql, "FULL")
    (alert,) = await _alerts(slack, world)
    assert (
        alert["text"] == ":warning: GPU Lab has used 80% of its $5,000.00 allocation in Cloud Grant"
    )


async def test_an_alert_to_the_owners_dms_keeps_the_amounts_under_none(slack, admin, gql):
    world = await _world(admin, gql, "NONE", channel=None)
    (alert,) = await _alerts(slack, world)
    assert alert["channel"] == "DUPI" and "$5,000.00" in alert["text"]


# The pure parts -------------------------------------------------------------------------------


def _transfer(**overrides: Any) -> dict[str, Any]:
    side = {"remaining": "3000", "status": "HEALTHY", "runwayDays": 12.0}
    allocation = {
        "id": "alc_1",
        "project": {"name": "NLP Lab", "slug": "nlp-lab"},
        "budget": {"name": "Cloud Grant", "currency": "USD"},
        "remaining": "3000",
        "status": "HEALTHY",
        "runwayDays": 12.0,
    }
    return {
        "id": "trf_7",
        "from": allocation,
        "to": {**allocation, "id": "alc_2", "project": {"name": "GPU Lab", "slug": "gpu-lab"}},
        "amount": "300",
        "reason": "more GPUs",
        "status": "PENDING",
        "requestedBy": {"name": "Mia", "slackUserId": "UMIA"},
        "createdAt": "2026-03-15T12:00:00+00:00",
        "preview": {"from": {"before": side, "after": {**side, "remaining": "2700"}}},
        **overrides,
    }


@pytest.mark.parametrize("status", ["PENDING", "APPLIED", "REJECTED"])
def test_the_builders_leave_out_what_each_setting_forbids(status):
    transfer = _transfer(status=status, decidedBy={"slackUserId": "UPI"})
    assert_amount_only(visible(message(transfer, privacy="AMOUNTS")))
    assert_no_figure(visible(message(transfer, privacy="NONE")))
    assert "$3,000.00" in visible(message(transfer, privacy="FULL"))


def test_a_setting_the_bot_does_not_know_shows_nothing():
    assert message(_transfer(), privacy="SECRET") == message(_transfer(), privacy="NONE")


def test_who_reads_a_post_decides_what_it_may_show():
    budget = {"slackChannel": "CBUDGET", "slackPrivacy": "AMOUNTS"}
    assert privacy_for("CBUDGET", budget) == "AMOUNTS"
    assert privacy_for("COLD", budget) == "AMOUNTS", "a former channel of the budget"
    assert privacy_for("DUPI", budget) == "FULL", "a DM with the bot (owners get DMs)"
    assert privacy_for("DWEIRD", {**budget, "slackChannel": "DWEIRD"}) == "AMOUNTS"
    assert privacy_for("CBUDGET", None) == "NONE", "a budget the reader cannot see"


def test_an_alert_without_its_prebuilt_message_is_written_from_the_threshold():
    payload = {"allocationId": 1, "threshold": 90}
    allocation = {"project": {"name": "<Genomics>"}}
    budget = {"name": "Grant"}
    assert alert_text(payload, allocation, budget, privacy="FULL") == (
        ":warning: &lt;Genomics&gt; has used 90% of its allocation in Grant"
    )
    assert "90" not in alert_text(payload, allocation, budget, privacy="NONE")
