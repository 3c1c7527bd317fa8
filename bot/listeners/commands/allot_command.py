"""`/allot …`: acknowledge at once, then parse and run the subcommand."""

from __future__ import annotations

import logging
from typing import Any

from bot.api import ApiError
from bot.blocks import error_text, help_blocks, help_text
from bot.commands import (
    Allocate,
    Approve,
    Budgets,
    Cancel,
    Channel,
    CommandError,
    Help,
    Link,
    Reject,
    Spend,
    Status,
    Transfer,
    TransferModal,
    parse_command,
)
from bot.listeners.commands import (
    allocate,
    budgets,
    cancel,
    channel,
    decide,
    link,
    spend,
    status,
    transfer,
)
from bot.listeners.commands.turn import Turn
from bot.listeners.common import actor_of, command_name, explain, public_url

logger = logging.getLogger("allot.bot.commands")


async def allot_command(
    ack: Any, body: dict[str, Any], respond: Any, client: Any, context: Any
) -> None:
    await ack()
    turn = Turn(
        actor_of(context), respond, client, body, command_name(context), public_url(context)
    )
    try:
        await dispatch(turn, str(body.get("text") or ""))
    except ApiError as exc:
        await turn.say(explain(exc))
    except Exception:
        logger.exception("/allot %r failed", body.get("text"))
        await turn.say(error_text("INTERNAL", "Something went wrong on our side; try again."))


async def dispatch(turn: Turn, text: str) -> None:
    try:
        cmd = parse_command(text, command_name=turn.command)
    except CommandError as exc:
        await turn.say(error_text("COMMAND", exc.message))
        return
    if isinstance(cmd, Help):
        await turn.say(
            help_text(turn.command),
            help_blocks(turn.command, cmd.topic),
            link=turn.link(None, "Open Allot in the browser"),
        )
    elif isinstance(cmd, Status):
        await status.handle(turn, cmd)
    elif isinstance(cmd, Budgets):
        await budgets.handle(turn, cmd)
    elif isinstance(cmd, Spend):
        await spend.handle(turn, cmd)
    elif isinstance(cmd, Allocate):
        await allocate.handle(turn, cmd)
    elif isinstance(cmd, Transfer):
        await transfer.handle(turn, cmd)
    elif isinstance(cmd, TransferModal):
        await transfer.open_modal(turn)
    elif isinstance(cmd, (Approve, Reject)):
        await decide.handle(turn, cmd)
    elif isinstance(cmd, Cancel):
        await cancel.handle(turn, cmd)
    elif isinstance(cmd, Channel):
        await channel.handle(turn, cmd)
    elif isinstance(cmd, Link):
        await link.handle(turn, cmd)
