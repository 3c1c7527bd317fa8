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
    pickers = [b["element"]["type"] for b in view["blocks"] if b["type"] == "input"][:3]
    assert pickers == ["external_select"] * 3, "searchable, no 100-option cap"


def _suggestion(action_id: str, query: str, values: dict | None = None) -> str:
    """A block_suggestion payload (Slack asks an external_select for its options)."""
    import json
    from urllib.parse import parse_qs, urlencode

    from signing import view_submission_body

    body = json.loads(
        parse_qs(view_submission_body("transfer_modal", values or {}, "UMIA", "T111"))["payload"][0]
    )
    body.update(
        type="block_suggestion",
        action_id=action_id,
        block_id=f"transfer_{action_id}",
        value=query,
        container={"type": "view", "view_id": body["view"]["id"]},
    )
    return urlencode({"payload": json.dumps(body)})


async def test_the_form_pickers_search_budgets_and_the_chosen_budgets_projects(slack, world):
    found = (await slack.post(_suggestion("budget", "cloud"))).json()
    assert [o["text"]["text"] for o in found["options"]] == ["Cloud Grant"]
    chosen = {
        "transfer_budget": {"budget": {"selected_option": {"value": f"bud_{world.budget_id}"}}}
    }
    sides = (await slack.post(_suggestion("source", "", chosen))).json()["options"]
    labels = [o["text"]["text"] for o in sides]
    assert labels[0].startswith("Pool") and "GPU Lab · Cloud Grant" in labels
    typed = (await slack.post(_suggestion("target", "nlp", chosen))).json()["options"]
    assert [o["text"]["text"] for o in typed] == ["NLP Lab · Cloud Grant"]


async def test_an_api_refusal_is_shown_on_the_open_form_not_as_a_dm(slack, world):
    values = _form(
        f"bud_{world.budget_id}",
        f"alc_{world.gpu_allocation_id}",
        f"alc_{world.gpu_allocation_id}",
        "100",
        "to itself",
    )
    response = await slack.submit_view("transfer_modal", values, "UMIA")
    answer = response.json()
    assert answer["response_action"] == "errors" and len(answer["errors"]) == 1, answer
    assert slack.fake.calls_to("chat.postMessage") == []
    assert await TransferRequest.all().count() == 0


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
    buttons = [e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert "transfer_approve" in buttons, "the owner gets Approve/Reject"
    assert "Awaiting your decision" in str(blocks)


async def test_app_home_shows_a_requester_their_pending_request_with_only_cancel(slack, world):
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
    buttons = [
        e["action_id"]
        for b in blocks
        if b["type"] == "actions" and b.get("block_id") != "home_actions"
        for e in b["elements"]
    ]
    assert buttons == ["transfer_cancel"]
    assert "Transfer request" in str(blocks) and "GPU Lab" in str(blocks)
    # NLP Lab is not Mia's to see: it is "another project", never "Pool"
    assert "from another project to GPU Lab" in str(blocks) and "Pool" not in str(blocks)


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
