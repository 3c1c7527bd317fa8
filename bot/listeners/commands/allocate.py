"""`allocate <budget> <project> <amount>` (owners: the API decides)."""

from __future__ import annotations

from bot import operations as ops
from bot import resolve
from bot.blocks import escape
from bot.blocks._format import money
from bot.blocks.status import allocation_text
from bot.commands import Allocate
from bot.listeners.commands.turn import Turn


async def handle(turn: Turn, cmd: Allocate) -> None:
    actor = turn.actor
    budget = await resolve.budget(actor, cmd.budget)
    project = await resolve.project(actor, cmd.project)
    result = await actor.mutate(
        ops.ALLOCATE,
        "allocate",
        input={"budgetId": budget["id"], "projectId": project["id"], "amount": str(cmd.amount)},
    )
    allocation = result["allocation"]
    text = (
        f":moneybag: *{escape(project['name'])}* now has "
        f"{money(allocation['amount'], budget.get('currency'))} in *{escape(budget['name'])}*."
    )
    await turn.say(
        text,
        [
            {"type": "section", "text": {"type": "mrkdwn", "text": text}},
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": allocation_text(allocation, public_url=turn.public_url),
                },
            },
        ],
        link=turn.link(budget["id"], f"Open {escape(budget['name'])} in Allot"),
    )
