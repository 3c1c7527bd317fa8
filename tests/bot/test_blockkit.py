"""The Block Kit validator the tests use (tests/bot/blockkit.py), and every builder held to it
with the worst inputs: long names, reasons and notes full of characters that escaping grows."""

from __future__ import annotations

from typing import Any

import pytest
from blockkit import assert_valid, violations

from bot.blocks import (
    budgets_blocks,
    help_blocks,
    home_view,
    status_blocks,
    transfer_decided_blocks,
    transfer_modal,
    transfer_request_blocks,
)
from bot.blocks.modal import reject_note_modal
from bot.listeners.commands.spend import budget_picker
from bot.transfer_messages import message


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


@pytest.mark.parametrize(
    ("payload", "problem"),
    [
        ({"text": "t", "blocks": [section("x" * 3001)]}, "3000"),
        (
            {
                "text": "t",
                "blocks": [{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}],
            },
            "150",
        ),
        (
            {
                "text": "t",
                "blocks": [
                    {
                        "type": "actions",
                        "elements": [
                            {
                                "type": "button",
                                "action_id": "a",
                                "text": {"type": "plain_text", "text": "b" * 76},
                            }
                        ],
                    }
                ],
            },
            "75",
        ),
        ({"text": "t", "blocks": [section("x")] * 51}, "over 50"),
        ({"text": "t", "blocks": [{"type": "bogus"}]}, "unknown block type"),
        ({"blocks": [section("x")]}, "fallback"),
        ({"text": "t", "blocks": [section("")]}, "empty"),
        (
            {
                "view": {
                    "type": "modal",
                    "title": {"type": "plain_text", "text": "t" * 25},
                    "blocks": [section("x")],
                }
            },
            "24",
        ),
    ],
)
def test_the_validator_catches_what_slack_refuses(payload: dict[str, Any], problem: str) -> None:
    found = violations(payload)
    assert found and any(problem in p for p in found), found
    with pytest.raises(AssertionError):
        assert_valid(payload)


LONG = "&<>" * 2000 + " <!channel>"


def allocation(name: str = LONG, **extra: Any) -> dict[str, Any]:
    return {
        "id": "alc_1",
        "project": {"id": "prj_1", "name": name, "slug": "p"},
        "budget": {"id": "bud_1", "name": name, "currency": "USD"},
        "amount": "2000",
        "spent": "960",
        "remaining": "1040",
        "percentUsed": 48.0,
        "status": "HEALTHY",
        "dailyDrip": "34",
        "runwayDays": 30.0,
        **extra,
    }


def transfer(**extra: Any) -> dict[str, Any]:
    return {
        "id": "trf_1",
        "from": allocation(),
        "to": None,
        "fromPool": False,
        "toPool": False,
        "amount": "5000",
        "reason": LONG,
        "status": "PENDING",
        "requestedBy": {"name": LONG, "slackUserId": None},
        "decidedBy": {"name": LONG},
        "decidedAt": "2026-06-01T09:00:00+00:00",
        "createdAt": "2026-06-01T09:00:00+00:00",
        "decisionNote": LONG,
        **extra,
    }


@pytest.mark.parametrize("privacy", ["FULL", "AMOUNTS", "NONE"])
@pytest.mark.parametrize("status", ["PENDING", "REJECTED", "APPLIED"])
def test_transfer_messages_stay_within_block_kit_limits(privacy: str, status: str) -> None:
    assert_valid(message(transfer(status=status), privacy=privacy, budget={"name": LONG}))


def test_every_builder_stays_within_block_kit_limits() -> None:
    many = [transfer(id=f"trf_{i}") for i in range(40)]
    assert_valid({"text": "t", "blocks": transfer_request_blocks(transfer())})
    assert_valid({"text": "t", "blocks": transfer_decided_blocks(transfer(status="REJECTED"))})
    assert_valid({"text": "t", "blocks": status_blocks([allocation()] * 60)})
    assert_valid({"text": "t", "blocks": budgets_blocks([{"id": "b", "name": LONG}] * 60)})
    assert_valid({"text": "t", "blocks": help_blocks()})
    projects = [{"name": LONG, "myRole": "MEMBER", "allocations": [allocation()]}] * 40
    assert_valid({"view": home_view(projects, [{"name": LONG}] * 40, many, many)})
    assert_valid({"view": transfer_modal([{"id": "b", "name": LONG}], [allocation()] * 150)})
    assert_valid({"view": reject_note_modal("trf_1", "{}")})
    text, blocks = budget_picker(
        {"id": "prj_1", "name": LONG, "allocations": [allocation(), allocation(LONG + "2")]},
        {"projectId": "prj_1", "amount": "1", "description": LONG},
        [],
    )
    assert_valid({"text": text, "blocks": blocks})


def test_home_more_counts_say_how_many_are_hidden() -> None:
    """'…and N more' is the number not shown, whatever cap cut the list."""
    many = [transfer(id=f"trf_{i}", **{"from": allocation("P")}, reason="r") for i in range(130)]
    view = home_view([], [], many, [])
    blocks = view["blocks"]
    shown = sum(1 for b in blocks if b["type"] == "actions" and b.get("block_id") != "home_actions")
    more = [b for b in blocks if b["type"] == "context" and "more" in str(b)]
    assert f"…and {130 - shown} more" in str(more)
