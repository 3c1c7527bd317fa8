"""App Home's buttons: Request a transfer opens the transfer form (the same modal as a bare
`/allot transfer`), at once and before any database work (the trigger lasts 3 seconds); Open
in the web app is a link button whose click Slack still sends: acked, nothing else."""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.blocks.modal import transfer_form

logger = logging.getLogger("allot.bot.actions")


async def request_transfer_from_home(ack: Any, body: dict[str, Any], client: Any) -> None:
    await ack()
    try:
        await client.views_open(
            trigger_id=body.get("trigger_id"),
            view=transfer_form(private_metadata=json.dumps({"channel": None})),
        )
    except SlackApiError:
        logger.exception("opening the transfer form from App Home failed")


async def open_web_app(ack: Any) -> None:
    await ack()
