from __future__ import annotations

import json
import re
from typing import Any

import pytest

from bot.blocks import (
    POOL_OPTION_VALUE,
    TRANSFER_ACTIONS_BLOCK_ID,
    TRANSFER_AMOUNT_BLOCK_ID,
    TRANSFER_APPROVE_ACTION_ID,
    TRANSFER_BUDGET_BLOCK_ID,
    TRANSFER_MODAL_CALLBACK_ID,
    TRANSFER_REASON_BLOCK_ID,
    TRANSFER_REJECT_ACTION_ID,
    TRANSFER_SOURCE_BLOCK_ID,
    TRANSFER_TARGET_BLOCK_ID,
    budgets_blocks,
    error_text,
    help_blocks,
    home_view,
    progress_bar,
    read_transfer_modal,
    status_blocks,
    transfer_decided_blocks,
    transfer_modal,
    transfer_modal_errors,
    transfer_request_blocks,
    transfer_summary,
)
from bot.commands import USAGE, parse_command


def allocation(name: str = "GPU Lab", **overrides: Any) -> dict[str, Any]:
    return {
        "id": f"A-{name}",
        "project": {"name": name, "slug": name.lower().replace(" ", "-")},
        "budget": {"name": "Cloud Q3", "currency": "USD"},
        "amount": "2000",
        "spent": "960.005",
        "remaining": "1039.995",
        "percentUsed": 48.0,
        "status": "HEALTHY",
        "dailyDrip": "34.6665",
        "runwayDays": 30.2,
        **overrides,
    }


def transfer(**overrides: Any) -> dict[str, Any]:
    return {
        "id": "T42",
        "from": allocation("GPU Lab"),
        "to": allocation("NLP Lab", remaining="12.5", status="CRITICAL", runwayDays=None),
        "amount": "5000",
        "reason": "the training run moved",
        "status": "PENDING",
        "requestedBy": {"name": "Ann", "email": "ann@lab.org", "slackUserId": "UANN"},
        "decidedBy": None,
        "decidedAt": None,
        "createdAt": "2025-06-01T09:00:00Z",
        **overrides,
    }


def texts(blocks: list[dict[str, Any]]) -> str:
    """Every piece of text in the blocks, for asserting what a reader sees."""
    return json.dumps(blocks, ensure_ascii=False)


def actions(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The actions blocks of items (App Home's own buttons at the top left out)."""
    return [b for b in blocks if b["type"] == "actions" and b.get("block_id") != "home_actions"]


# -- progress bar -------------------------------------------------------------------------


def test_progress_bar_fills_in_proportion() -> None:
    assert progress_bar(48, width=10) == "▓▓▓▓▓░░░░░ 48%"
    assert progress_bar(0, width=10) == "░░░░░░░░░░ 0%"
    assert progress_bar(100, width=10) == "▓▓▓▓▓▓▓▓▓▓ 100%"
    assert len(progress_bar(37.5).split()[0]) == 20


def test_progress_bar_is_not_full_until_the_money_is_all_used() -> None:
    assert progress_bar(99.6, width=10) == "▓▓▓▓▓▓▓▓▓░ 99%"


def test_progress_bar_clamps_an_overrun_and_says_by_how_much() -> None:
    assert progress_bar(112.3, width=10) == "▓▓▓▓▓▓▓▓▓▓ 112% (12% over)"
    assert progress_bar(100.2, width=10) == "▓▓▓▓▓▓▓▓▓▓ 101% (1% over)"


def test_progress_bar_clamps_below_zero_and_survives_nan() -> None:
    assert progress_bar(-20, width=10) == "░░░░░░░░░░ 0%"
    assert progress_bar(float("nan"), width=10) == "░░░░░░░░░░ 0%"


# -- status and budgets -------------------------------------------------------------------


def test_status_shows_every_figure_rounded_to_cents_for_display() -> None:
    shown = texts(status_blocks([allocation()]))
    for figure in ("$2,000.00", "$960.00", "$1,040.00", "$34.67", "30 days", "48%", "Healthy"):
        assert figure in shown


def test_status_for_several_allocations_separates_them_with_dividers() -> None:
    blocks = status_blocks([allocation("A"), allocation("B"), allocation("C")])
    assert [b["type"] for b in blocks] == [
        "header",
        "section",
        "divider",
        "section",
        "divider",
        "section",
    ]


def test_status_with_nothing_to_show_says_so() -> None:
    assert "No allocations" in texts(status_blocks([]))


def test_status_stays_under_slacks_fifty_block_limit() -> None:
    blocks = status_blocks([allocation(f"P{i}") for i in range(60)])
    assert len(blocks) <= 50
    assert "and 40 more" in texts(blocks)


def test_names_are_escaped_so_they_cannot_ping_a_channel() -> None:
    shown = texts(status_blocks([allocation("<!channel> & co")]))
    assert "<!channel>" not in shown
    assert "&lt;!channel&gt; &amp; co" in shown


def test_budgets_show_pool_figures_in_the_budget_currency() -> None:
    budget = {
        "id": "B1", "name": "Grant", "currency": "EUR", "amount": "10000", "allocated": "8000",
        "unallocated": "2000", "spent": "2500", "remaining": "7500", "percentUsed": 25.0,
        "status": "HEALTHY", "periodKind": "GRANT", "endDate": "2026-12-31",
    }  # fmt: skip
    shown = texts(budgets_blocks([budget]))
    for figure in ("€10,000.00", "€2,000.00", "€7,500.00", "Grant", "until 2026-12-31", "25%"):
        assert figure in shown


# -- help and errors ----------------------------------------------------------------------


def test_help_has_a_section_with_examples_for_every_subcommand() -> None:
    shown = texts(help_blocks())
    for name, usage in USAGE.items():
        assert f"help_{name}" in shown
        for example in usage.examples:
            assert f"/allot {example}".replace('"', '\\"') in shown


def test_every_example_in_help_parses() -> None:
    blocks = help_blocks("/allot")
    examples = re.findall(r"`/allot ([^`]*)`", texts(blocks))
    runnable = [json.loads(f'"{e}"') for e in examples if "&lt;" not in e and "[" not in e]
    assert len(runnable) >= len(USAGE)
    for example in runnable:
        parse_command(example)


def test_help_uses_the_configured_command_name() -> None:
    assert "/budget transfer" in texts(help_blocks("/budget"))
    assert "/allot" not in texts(help_blocks("/budget"))


def test_error_text_names_the_problem_and_escapes_the_message() -> None:
    assert error_text("INSUFFICIENT_FUNDS", "gpu-lab has 10 available") == (
        ":money_with_wings: *Not enough money:* gpu-lab has 10 available"
    )
    assert "&lt;script&gt;" in error_text("WHATEVER", "<script>")


# -- transfer messages --------------------------------------------------------------------


def test_a_transfer_request_has_approve_and_reject_buttons_carrying_the_id() -> None:
    (block,) = actions(transfer_request_blocks(transfer()))
    approve, reject = block["elements"]
    assert block["block_id"] == f"{TRANSFER_ACTIONS_BLOCK_ID}:T42"
    assert (approve["action_id"], approve["style"], approve["value"]) == (
        TRANSFER_APPROVE_ACTION_ID, "primary", "T42"
    )  # fmt: skip
    assert (reject["action_id"], reject["style"], reject["value"]) == (
        TRANSFER_REJECT_ACTION_ID, "danger", "T42"
    )  # fmt: skip
    assert (TRANSFER_APPROVE_ACTION_ID, TRANSFER_REJECT_ACTION_ID) == (
        "transfer_approve", "transfer_reject"
    )  # fmt: skip


def test_a_transfer_request_shows_reason_requester_amount_and_both_sides() -> None:
    shown = texts(transfer_request_blocks(transfer()))
    for part in ("the training run moved", "<@UANN>", "$5,000.00", "GPU Lab", "NLP Lab"):
        assert part in shown
    assert "$12.50" in shown and "Critical" in shown and "no burn yet" in shown


def test_a_transfer_request_shows_before_and_after_for_both_sides() -> None:
    before_after = {
        "from": {
            "before": {"remaining": "8000", "status": "HEALTHY", "runwayDays": 40.0},
            "after": {"remaining": "3000", "status": "WARNING", "runwayDays": 15.0},
        },
        "to": {
            "before": {"remaining": "100", "status": "CRITICAL", "runwayDays": 2.0},
            "after": {"remaining": "5100", "status": "HEALTHY", "runwayDays": 90.0},
        },
    }
    shown = texts(transfer_request_blocks(transfer(), before_after))  # type: ignore[arg-type]
    assert "$8,000.00 → $3,000.00" in shown
    assert "Healthy → :large_yellow_circle: Warning" in shown
    assert "40 days → 15 days" in shown
    assert "$100.00 → $5,100.00" in shown
    assert "2 days → 90 days" in shown


def test_the_pool_side_of_a_transfer_is_named_pool() -> None:
    shown = texts(transfer_request_blocks(transfer(**{"from": None})))
    assert "*Pool*" in shown
    assert transfer_summary(transfer(**{"from": None})).startswith(
        "Transfer request: $5,000.00 from Pool"
    )


def test_a_reason_cannot_ping_a_channel() -> None:
    shown = texts(transfer_request_blocks(transfer(reason="<!channel> please")))
    assert "<!channel>" not in shown


def test_a_decided_transfer_has_no_buttons() -> None:
    applied = transfer(
        status="APPLIED", decidedBy={"slackUserId": "UPI"}, decidedAt="2025-06-02T10:00:00+00:00"
    )
    assert actions(transfer_decided_blocks(applied)) == []
    assert "transfer_approve" not in texts(transfer_decided_blocks(applied))


def test_an_approval_says_who_approved_and_when() -> None:
    applied = transfer(
        status="APPLIED", decidedBy={"slackUserId": "UPI"}, decidedAt="2025-06-02T10:00:00Z"
    )
    shown = texts(transfer_decided_blocks(applied))
    assert "Approved by <@UPI> at <!date^1748858400^" in shown
    assert "2025-06-02 10:00 UTC" in shown
    assert "the training run moved" in shown


def test_a_rejection_says_who_rejected_and_the_note() -> None:
    rejected = transfer(
        status="REJECTED", decidedBy={"name": "Prof. P"}, decidedAt="2025-06-02T10:00:00Z",
        note="not this quarter",
    )  # fmt: skip
    shown = texts(transfer_decided_blocks(rejected))
    assert "Rejected by Prof. P at" in shown
    assert "— not this quarter" in shown


def test_expired_and_failed_transfers_say_so() -> None:
    assert "Expired" in texts(transfer_decided_blocks(transfer(status="EXPIRED")))
    assert "Failed" in texts(transfer_decided_blocks(transfer(status="FAILED")))


# -- home ---------------------------------------------------------------------------------


def test_home_is_a_home_view_with_projects_budgets_and_my_pending_requests() -> None:
    view = home_view(
        projects=[{"name": "GPU Lab", "slug": "gpu-lab", "allocations": [allocation()]},
                  {"name": "Idle", "slug": "idle", "allocations": []}],
        budgets=[{"id": "B1", "name": "Cloud Q3", "currency": "USD", "percentUsed": 10.0}],
        my_pending=[transfer()],
        awaiting_me=[],
    )  # fmt: skip
    shown = texts(view["blocks"])
    assert view["type"] == "home"
    assert "48%" in shown and "*Idle* — no allocation yet" in shown and "Cloud Q3" in shown
    assert "Transfer request: $5,000.00 from GPU Lab to NLP Lab" in shown
    # my own pending request: only a Cancel button, never Approve/Reject
    assert [e["action_id"] for b in actions(view["blocks"]) for e in b["elements"]] == [
        "transfer_cancel"
    ]
    assert "Awaiting your decision" not in shown


def test_home_gives_requests_awaiting_me_the_same_buttons_with_unique_block_ids() -> None:
    view = home_view([], [], [], awaiting_me=[transfer(id="T1"), transfer(id="T2")])
    blocks = actions(view["blocks"])
    assert [b["block_id"] for b in blocks] == ["transfer_actions:T1", "transfer_actions:T2"]
    assert [[e["action_id"] for e in b["elements"]] for b in blocks] == [
        ["transfer_approve", "transfer_reject"]
    ] * 2
    assert [b["elements"][0]["value"] for b in blocks] == ["T1", "T2"]


def test_a_busy_home_stays_under_the_hundred_block_limit() -> None:
    many = [transfer(id=f"T{i}") for i in range(30)]
    projects = [{"name": f"P{i}", "allocations": [allocation(f"P{i}")]} for i in range(30)]
    budgets = [{"id": f"B{i}", "name": f"B{i}"} for i in range(30)]
    view = home_view(projects, budgets, many, many)
    assert len(view["blocks"]) <= 100


# -- modal --------------------------------------------------------------------------------


def modal() -> dict[str, Any]:
    return transfer_modal(
        [{"id": "B1", "name": "Cloud Q3", "currency": "USD"}],
        [allocation("GPU Lab"), allocation("NLP Lab")],
        private_metadata="C111",
    )


def test_the_transfer_modal_has_budget_source_target_amount_and_reason_inputs() -> None:
    view = modal()
    assert view["type"] == "modal"
    assert view["callback_id"] == TRANSFER_MODAL_CALLBACK_ID == "transfer_modal"
    assert view["private_metadata"] == "C111"
    assert [b["block_id"] for b in view["blocks"]] == [
        TRANSFER_BUDGET_BLOCK_ID, TRANSFER_SOURCE_BLOCK_ID, TRANSFER_TARGET_BLOCK_ID,
        TRANSFER_AMOUNT_BLOCK_ID, TRANSFER_REASON_BLOCK_ID,
    ]  # fmt: skip
    kinds = [b["element"]["type"] for b in view["blocks"]]
    assert kinds == ["static_select"] * 3 + ["plain_text_input"] * 2
    assert view["blocks"][4]["element"]["multiline"] is True


def test_source_and_target_offer_the_pool_and_every_allocation() -> None:
    for block in modal()["blocks"][1:3]:
        values = [o["value"] for o in block["element"]["options"]]
        assert values == [POOL_OPTION_VALUE, "A-GPU Lab", "A-NLP Lab"]
        assert "initial_option" not in block["element"]


def test_a_single_budget_is_preselected() -> None:
    element = modal()["blocks"][0]["element"]
    assert element["initial_option"] == element["options"][0]


def test_without_budgets_the_modal_explains_and_cannot_be_submitted() -> None:
    view = transfer_modal([], [])
    assert "submit" not in view
    assert all(b["type"] != "input" for b in view["blocks"])


def submitted_state(**values: Any) -> dict[str, Any]:
    def select(value: str | None) -> dict[str, Any]:
        option = {"text": {"type": "plain_text", "text": str(value)}, "value": value}
        return {"type": "static_select", "selected_option": option if value else None}

    def typed(value: str | None) -> dict[str, Any]:
        return {"type": "plain_text_input", "value": value}

    modal_view = modal()
    state: dict[str, Any] = {}
    for block, key in zip(
        modal_view["blocks"], ["budget", "source", "target", "amount", "reason"], strict=True
    ):
        element = block["element"]
        maker = select if element["type"] == "static_select" else typed
        state[block["block_id"]] = {element["action_id"]: maker(values.get(key))}
    return state


def test_reading_the_modal_returns_what_was_chosen_and_typed() -> None:
    state = submitted_state(
        budget="B1", source="pool", target="A-NLP Lab", amount=" $5k ", reason="top-up"
    )
    assert read_transfer_modal(state) == {
        "budget_id": "B1", "source": "pool", "target": "A-NLP Lab", "amount": "$5k",
        "reason": "top-up",
    }  # fmt: skip
    assert transfer_modal_errors(read_transfer_modal(state)) == {}


def test_an_incomplete_modal_gets_an_inline_error_per_block() -> None:
    submitted = read_transfer_modal(submitted_state(budget="B1", amount="-5"))
    assert submitted["source"] is None and submitted["reason"] == ""
    errors = transfer_modal_errors(submitted)
    assert set(errors) == {
        TRANSFER_SOURCE_BLOCK_ID, TRANSFER_TARGET_BLOCK_ID, TRANSFER_AMOUNT_BLOCK_ID,
        TRANSFER_REASON_BLOCK_ID,
    }  # fmt: skip
    assert "greater than zero" in errors[TRANSFER_AMOUNT_BLOCK_ID]


@pytest.mark.parametrize("missing_block", [TRANSFER_BUDGET_BLOCK_ID, TRANSFER_REASON_BLOCK_ID])
def test_reading_a_state_without_a_block_gives_empty_values(missing_block: str) -> None:
    state = submitted_state(budget="B1", source="pool", target="x", amount="5", reason="r")
    del state[missing_block]
    assert missing_block in transfer_modal_errors(read_transfer_modal(state))
