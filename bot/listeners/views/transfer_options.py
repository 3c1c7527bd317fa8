"""Options of the transfer form's pickers (block_suggestion), searched as the user types.

Budget: the budgets the user can see. From/To: the current allocations of the budget chosen
above (all the user can name when none is chosen yet), and the pool. No 100-allocation cap on
the form: each answer holds the first 100 matches of what was typed.
"""

from __future__ import annotations

import logging
from typing import Any

from bot import operations as ops
from bot.blocks.modal import budget_options, read_transfer_modal, side_options
from bot.listeners.common import actor_of

logger = logging.getLogger("allot.bot.views")


def _query(body: dict[str, Any]) -> str:
    return str(body.get("value") or "").strip()


async def budget_suggestions(ack: Any, body: dict[str, Any], context: Any) -> None:
    try:
        query = _query(body) or None
        found = (await actor_of(context).run(ops.BUDGETS, search=query))["budgets"]["nodes"]
        await ack(options=budget_options(found))
    except Exception:
        logger.exception("budget options failed")
        await ack(options=[])


async def side_suggestions(ack: Any, body: dict[str, Any], context: Any) -> None:
    try:
        values = ((body.get("view") or {}).get("state") or {}).get("values") or {}
        budget_id = read_transfer_modal(values)["budget_id"]
        query = _query(body)
        refs = (
            await actor_of(context).run(
                ops.ALLOCATION_DIRECTORY, search=query or None, budgetId=budget_id
            )
        )["allocationDirectory"]
        await ack(options=side_options(refs, query))
    except Exception:
        logger.exception("transfer side options failed")
        await ack(options=[])
