"""Block Kit builders: pure functions from GraphQL-shaped dicts to Slack blocks, views and text.

Inputs are plain dicts shaped like the GraphQL results in API.md (money as Decimal strings).
Nothing here talks to Slack or to the API, so every builder is tested without mocks.
"""

from __future__ import annotations

from bot.blocks._format import escape, progress_bar
from bot.blocks.help import error_text, help_blocks, help_text
from bot.blocks.home import home_view
from bot.blocks.ids import (
    POOL_OPTION_VALUE,
    TRANSFER_ACTIONS_BLOCK_ID,
    TRANSFER_AMOUNT_ACTION_ID,
    TRANSFER_AMOUNT_BLOCK_ID,
    TRANSFER_APPROVE_ACTION_ID,
    TRANSFER_BUDGET_ACTION_ID,
    TRANSFER_BUDGET_BLOCK_ID,
    TRANSFER_MODAL_CALLBACK_ID,
    TRANSFER_REASON_ACTION_ID,
    TRANSFER_REASON_BLOCK_ID,
    TRANSFER_REJECT_ACTION_ID,
    TRANSFER_SOURCE_ACTION_ID,
    TRANSFER_SOURCE_BLOCK_ID,
    TRANSFER_TARGET_ACTION_ID,
    TRANSFER_TARGET_BLOCK_ID,
    transfer_actions_block_id,
)
from bot.blocks.modal import read_transfer_modal, transfer_modal, transfer_modal_errors
from bot.blocks.status import budgets_blocks, status_blocks, status_text
from bot.blocks.transfers import (
    BeforeAfter,
    SideChange,
    SideFigures,
    decision_text,
    transfer_decided_blocks,
    transfer_request_blocks,
    transfer_summary,
)

__all__ = [
    "POOL_OPTION_VALUE",
    "TRANSFER_ACTIONS_BLOCK_ID",
    "TRANSFER_AMOUNT_ACTION_ID",
    "TRANSFER_AMOUNT_BLOCK_ID",
    "TRANSFER_APPROVE_ACTION_ID",
    "TRANSFER_BUDGET_ACTION_ID",
    "TRANSFER_BUDGET_BLOCK_ID",
    "TRANSFER_MODAL_CALLBACK_ID",
    "TRANSFER_REASON_ACTION_ID",
    "TRANSFER_REASON_BLOCK_ID",
    "TRANSFER_REJECT_ACTION_ID",
    "TRANSFER_SOURCE_ACTION_ID",
    "TRANSFER_SOURCE_BLOCK_ID",
    "TRANSFER_TARGET_ACTION_ID",
    "TRANSFER_TARGET_BLOCK_ID",
    "BeforeAfter",
    "SideChange",
    "SideFigures",
    "budgets_blocks",
    "decision_text",
    "error_text",
    "escape",
    "help_blocks",
    "help_text",
    "home_view",
    "progress_bar",
    "read_transfer_modal",
    "status_blocks",
    "status_text",
    "transfer_actions_block_id",
    "transfer_decided_blocks",
    "transfer_modal",
    "transfer_modal_errors",
    "transfer_request_blocks",
    "transfer_summary",
]
