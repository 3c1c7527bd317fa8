"""Every amount the bot shows goes through its one formatter (bot.blocks._format.money), the
amounts inside the API's error texts included: "has 2000 USD available, 50000 USD requested"
reaches Slack as "$2,000.00 available, $50,000.00 requested"."""

from __future__ import annotations

import re

import pytest
from slack_harness import SlackHarness, make_world

from app.models import TransferRequest
from bot.blocks._format import humanize_amounts


@pytest.fixture
async def slack(fake_slack, database):
    harness = SlackHarness(fake_slack)
    yield harness
    await harness.aclose()


RAW = re.compile(r"(?<![\d,.$])\d{4,}(?![\d,])")  # an amount without separators


def test_api_amounts_are_written_like_every_other_amount():
    assert humanize_amounts("the pool has 2000 USD available, 50000.5 USD requested") == (
        "the pool has $2,000.00 available, $50,000.50 requested"
    )
    assert humanize_amounts("cap of 1200 (twice the daily drip of 600); 0 left", "EUR") == (
        "cap of €1,200.00 (twice the daily drip of €600.00); €0.00 left"
    )
    # not amounts: ids, dates, years, percentages, counts and limits
    for text in (
        "trf_1234 not found",
        "period 2026-03-15 is closed",
        "the grant ends in 2026",
        "GPU Lab has used 80%",
        "reason must be at most 500 characters",
    ):
        assert humanize_amounts(text) == text


async def test_an_allocation_beyond_the_pool_names_formatted_amounts(slack, admin):
    await make_world(admin[0])
    await slack.command('allocate "Cloud Grant" gpu-lab 50000', "UPI", name="alloc")
    reply = (await slack.reply("alloc"))["text"]
    assert "Not enough money" in reply
    assert "the pool has $2,000.00 available, $45,000.00 requested" in reply, reply
    assert not RAW.search(reply), reply


async def test_a_text_transfer_beyond_the_source_names_formatted_amounts(slack, admin):
    await make_world(admin[0])
    await slack.command("transfer 99999 from nlp-lab to gpu-lab because more", "UPI", name="trf")
    reply = (await slack.reply("trf"))["text"]
    assert "$99,999.00" in reply, reply
    assert not RAW.search(reply), reply


async def test_the_forms_refusal_names_formatted_amounts(slack, admin):
    world = await make_world(admin[0])

    def select(value: str) -> dict:
        return {"type": "static_select", "selected_option": {"value": value}}

    values = {
        "transfer_budget": {"budget": select(f"bud_{world.budget_id}")},
        "transfer_source": {"source": select(f"alc_{world.nlp_allocation_id}")},
        "transfer_target": {"target": select(f"alc_{world.gpu_allocation_id}")},
        "transfer_amount": {"amount": {"type": "plain_text_input", "value": "99999"}},
        "transfer_reason": {"reason": {"type": "plain_text_input", "value": "more"}},
    }
    answer = (await slack.submit_view("transfer_modal", values, "UPI")).json()
    assert answer["response_action"] == "errors", answer
    (error,) = answer["errors"].values()
    assert "$99,999.00" in error and not RAW.search(error), error
    assert await TransferRequest.all().count() == 0
