"""`cancel <transfer id>`: the requester withdraws their pending request."""

from __future__ import annotations

from bot.commands import Cancel
from bot.listeners.actions.decision import cancel_text
from bot.listeners.commands.turn import Turn


async def handle(turn: Turn, cmd: Cancel) -> None:
    await turn.say(await cancel_text(turn.actor, cmd.transfer_id), link=turn.link(cmd.transfer_id))
