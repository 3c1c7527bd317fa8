"""A budget picked for `/allot spend`: record the spend in it and replace the picker."""

from __future__ import annotations

import json
import logging
from typing import Any

from bot.api import ApiError
from bot.blocks import error_text
from bot.listeners.commands.spend import PROJECT_NAME_KEY, record
from bot.listeners.common import actor_of, explain, public_url

logger = logging.getLogger("allot.bot.actions")


async def spend_budget_picked(ack: Any, body: dict[str, Any], respond: Any, context: Any) -> None:
    await ack()
    spend_input = json.loads(body["actions"][0]["value"])
    project_name = str(spend_input.pop(PROJECT_NAME_KEY, "") or "the project")
    try:
        text, blocks = await record(
            actor_of(context), spend_input, project_name, public_url(context)
        )
        await respond(text=text, blocks=blocks, replace_original=True, response_type="ephemeral")
        return
    except ApiError as exc:
        text = explain(exc)
    except Exception:
        logger.exception("recording a picked spend failed")
        text = error_text("INTERNAL", "Something went wrong on our side; try again.")
    await respond(text=text, replace_original=True, response_type="ephemeral")
