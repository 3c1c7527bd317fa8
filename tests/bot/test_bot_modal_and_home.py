"""The transfer form (views.open, then the submission) and the App Home tab."""

from __future__ import annotations

import pytest
from slack_harness import SlackHarness, make_world

from app.models import TransferRequest
from app.services.actors import load_actor
from app.services.transfers import request_transfer


@pytest.fixture
async def slack(fake_slack, database):
    harness = SlackHarness(fake_slack)
    yield harness
    await harness.aclose()


@pytest.fixture
async def world(admin):
    return await make_world(admin[0])


def _form(budget: str, source: str, target: str, amount: str, reason: str) -> dict:
    def select(value: str) -> dict:
        return {"type": "static_select", "selected_option": {"value": value}}

    return {
        "transfer_budget": {"budget": select(budget)},
        "transfer_source": {"source": select(source)},
        "transfer_target": {"target": select(target)},
        "transfer_amount": {"amount": {"type": "plain_text_input", "value": amount}},
        "transfer_reason": {"reason": {"type": "plain_text_input", "value": reason}},
    }


async def test_a_bare_transfer_opens_the_form_with_pickers(slack, world):
    await slack.command("transfer", "UMIA")
    opened = await slack.fake.wait_for("views.open")
    assert opened[0].params["trigger_id"] == "trigger-1"
    view = opened[0].params["view"]
    assert view["callback_id"] == "transfer_modal"
    text = str(view["blocks"])
    assert "GPU Lab" in text and "NLP Lab" in text and "Pool" in text


async def test_submitting_the_form_requests_the_transfer_and_dms_the_requester(slack, world):
    values = _form(
        f"bud_{world.budget_id}",
        f"alc_{world.gpu_allocation_id}",
        f"alc_{world.nlp_allocation_id}",
        "$250",
        "conference demo",
    )
    response = await slack.submit_view("transfer_modal", values, "UMIA")
    assert response.status_code == 200
    dm = await slack.fake.wait_for("chat.postMessage")
    assert dm[0].params["channel"] == "DUMIA"
    assert "Sent to the budget's owners" in dm[0].params["text"]
    transfer = await TransferRequest.get()
    assert transfer.amount_micros == 250_000_000 and transfer.reason == "conference demo"
    assert transfer.requested_by_id == world.mia.id


async def test_a_form_with_a_bad_amount_is_answered_inline_and_requests_nothing(slack, world):
    values = _form(
        f"bud_{world.budget_id}",
        f"alc_{world.gpu_allocation_id}",
        f"alc_{world.nlp_allocation_id}",
        "abc",
        "why not",
    )
    response = await slack.submit_view("transfer_modal", values, "UMIA")
    assert response.json()["response_action"] == "errors"
    assert "transfer_amount" in response.json()["errors"]
    assert await TransferRequest.all().count() == 0


async def test_app_home_shows_an_owner_the_requests_awaiting_them_with_buttons(slack, world):
    await request_transfer(
        await load_actor(world.mia),
        amount="300",
        reason="more GPUs",
        from_allocation_id=world.nlp_allocation_id,
        to_allocation_id=world.gpu_allocation_id,
    )
    await slack.event(
        {
            "type": "app_home_opened",
            "user": "UPI",
            "tab": "home",
            "channel": "DUPI",
            "event_ts": "1700000000.1",
        }
    )
    published = await slack.fake.wait_for("views.publish")
    assert published[0].params["user_id"] == "UPI"
    blocks = published[0].params["view"]["blocks"]
    assert any(b["type"] == "actions" for b in blocks), "the owner gets Approve/Reject"
    assert "Awaiting your decision" in str(blocks)


async def test_app_home_shows_a_requester_their_pending_request_without_buttons(slack, world):
    await request_transfer(
        await load_actor(world.mia),
        amount="300",
        reason="more GPUs",
        from_allocation_id=world.nlp_allocation_id,
        to_allocation_id=world.gpu_allocation_id,
    )
    await slack.event(
        {
            "type": "app_home_opened",
            "user": "UMIA",
            "tab": "home",
            "channel": "DUMIA",
            "event_ts": "1700000000.1",
        }
    )
    published = await slack.fake.wait_for("views.publish")
    blocks = published[0].params["view"]["blocks"]
    assert not any(b["type"] == "actions" for b in blocks)
    assert "Transfer request" in str(blocks) and "GPU Lab" in str(blocks)


async def test_app_home_tells_an_unlinked_user_how_to_link(slack, world):
    await slack.event(
        {
            "type": "app_home_opened",
            "user": "USTRANGER",
            "tab": "home",
            "channel": "DX",
            "event_ts": "1700000000.1",
        }
    )
    published = await slack.fake.wait_for("views.publish")
    assert "/allot link" in str(published[0].params["view"]["blocks"])


async def test_an_unlinked_user_clicking_approve_changes_nothing(slack, world):
    transfer = await request_transfer(
        await load_actor(world.mia),
        amount="300",
        reason="x",
        from_allocation_id=world.nlp_allocation_id,
        to_allocation_id=world.gpu_allocation_id,
    )
    await slack.click("transfer_approve", f"trf_{transfer.id}", "USTRANGER", "C1", "1.1")
    told = await slack.fake.wait_for("chat.postEphemeral")
    assert "isn't linked" in told[0].params["text"]
    assert (await TransferRequest.get(id=transfer.id)).status == "PENDING"
