"""`budgets`."""

from __future__ import annotations

from bot import operations as ops
from bot.blocks import budgets_blocks
from bot.commands import Budgets
from bot.listeners.commands.turn import Turn


async def handle(turn: Turn, cmd: Budgets) -> None:
    found = (await turn.actor.run(ops.BUDGETS, search=None))["budgets"]["nodes"]
    text = f"{len(found)} budget(s): " + ", ".join(b["name"] for b in found[:10])
    await turn.say(text, budgets_blocks(found, turn.public_url))
