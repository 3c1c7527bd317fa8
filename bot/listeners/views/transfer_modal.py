"""The transfer form's submission: inline errors for what can be checked by reading it, then
`requestTransfer` as the user, whose outcome arrives as a DM."""

from __future__ import annotations

import logging
from typing import Any

from bot import operations as ops
from bot.api import ApiError
from bot.blocks import POOL_OPTION_VALUE, error_text, read_transfer_modal, transfer_modal_errors
from bot.commands import parse_amount
from bot.listeners.commands.transfer import requested_text, transfer_input
from bot.listeners.common import actor_of, explain

logger = logging.getLogger("allot.bot.views")


def _side(value: str | None) -> str | None:
    return None if value in (None, POOL_OPTION_VALUE) else value


async def transfer_submitted(ack: Any, body: dict[str, Any], client: Any, context: Any) -> None:
    submitted = read_transfer_modal(body["view"]["state"]["values"])
    errors = transfer_modal_errors(submitted)
    if errors:
        await ack(response_action="errors", errors=errors)
        return
    await ack()
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
        text = requested_text(result["transfer"])
    except ApiError as exc:
        text = explain(exc)
    except Exception:
        logger.exception("transfer form submission failed")
        text = error_text("INTERNAL", "Something went wrong on our side; try again.")
    opened = await client.conversations_open(users=user)
    await client.chat_postMessage(channel=opened["channel"]["id"], text=text)
