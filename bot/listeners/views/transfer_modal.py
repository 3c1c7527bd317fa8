"""The transfer form's submission: inline errors for what can be checked by reading it, then
`requestTransfer` as the user before answering Slack, so the API's refusal (not enough money,
sides of different budgets, …) is shown on the form itself (`response_action: errors`) while
it is still open. Once requested, the form closes and the outcome arrives as a DM."""

from __future__ import annotations

import logging
from typing import Any

from bot import operations as ops
from bot.api import ApiError
from bot.blocks import POOL_OPTION_VALUE, read_transfer_modal, transfer_modal_errors
from bot.blocks._format import clip, humanize_amounts
from bot.blocks.ids import (
    TRANSFER_AMOUNT_BLOCK_ID,
    TRANSFER_BUDGET_BLOCK_ID,
    TRANSFER_REASON_BLOCK_ID,
    TRANSFER_SOURCE_BLOCK_ID,
)
from bot.commands import parse_amount
from bot.links import open_link
from bot.listeners.commands.transfer import requested_text, transfer_input
from bot.listeners.common import actor_of, public_url

logger = logging.getLogger("allot.bot.views")


def _block_of(exc: ApiError) -> str:
    """The form field an API error is about: amounts and money on the amount, else the sides."""
    words = exc.message.lower()
    if exc.code in ("INSUFFICIENT_FUNDS", "CURRENCY_MISMATCH") or "amount" in words:
        return TRANSFER_AMOUNT_BLOCK_ID
    if "reason" in words:
        return TRANSFER_REASON_BLOCK_ID
    if "budget" in words and "budgetid" not in words.replace(" ", ""):
        return TRANSFER_BUDGET_BLOCK_ID
    return TRANSFER_SOURCE_BLOCK_ID


def _side(value: str | None) -> str | None:
    return None if value in (None, POOL_OPTION_VALUE) else value


async def transfer_submitted(ack: Any, body: dict[str, Any], client: Any, context: Any) -> None:
    submitted = read_transfer_modal(body["view"]["state"]["values"])
    errors = transfer_modal_errors(submitted)
    if errors:
        await ack(response_action="errors", errors=errors)
        return
    user = body["user"]["id"]
    try:
        result = await actor_of(context).mutate(
            ops.REQUEST_TRANSFER,
            "requestTransfer",
            input=transfer_input(
                str(parse_amount(submitted["amount"])),
                submitted["reason"],
                _side(submitted["source"]),
                _side(submitted["target"]),
                submitted["budget_id"],
            ),
        )
        transfer = result["transfer"]
        text = requested_text(transfer)
        link = open_link(public_url(context), transfer.get("id"))
        if link:
            text = f"{text}\n{link}"
    except ApiError as exc:
        message = humanize_amounts(exc.message)
        await ack(response_action="errors", errors={_block_of(exc): clip(message, 300)})
        return
    except Exception:
        logger.exception("transfer form submission failed")
        await ack(
            response_action="errors",
            errors={TRANSFER_REASON_BLOCK_ID: "Something went wrong on our side; try again."},
        )
        return
    await ack()
    opened = await client.conversations_open(users=user)
    await client.chat_postMessage(channel=opened["channel"]["id"], text=text)
