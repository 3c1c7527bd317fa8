"""`spend 12.50 aws-ec2 "GPU run" [project]`."""

from __future__ import annotations

from bot import operations as ops
from bot import resolve
from bot.api import ApiError
from bot.blocks import escape
from bot.blocks.status import allocation_text
from bot.commands import Spend
from bot.listeners.commands.turn import Turn

#: The currency a typed symbol stands for; the API refuses a mismatch with the budget's.
SYMBOLS = {"$": "USD", "€": "EUR", "£": "GBP"}


async def handle(turn: Turn, cmd: Spend) -> None:
    actor = turn.actor
    if cmd.project is not None:
        project = await resolve.project(actor, cmd.project)
    else:
        projects = (await actor.run(ops.STATUS_FOR_USER))["projects"]["nodes"]
        mine = [p for p in projects if p.get("myRole") == "MEMBER"]
        if len(mine) != 1:
            names = ", ".join(f"`{p['slug']}`" for p in mine) or "none"
            example = mine[0]["slug"] if mine else "my-project"
            raise ApiError(
                "VALIDATION",
                f"Name the project at the end (your projects: {names}), e.g. "
                f'`{turn.command} spend 12.50 aws-ec2 "GPU run" {example}`.',
            )
        project = mine[0]
    spend_input: dict[str, object] = {
        "projectId": project["id"],
        "amount": str(cmd.amount),
        "service": cmd.service,
        "description": cmd.description,
    }
    if cmd.currency_symbol:
        spend_input["currency"] = SYMBOLS.get(cmd.currency_symbol)
    result = await actor.mutate(ops.RECORD_SPEND, "recordSpend", input=spend_input)
    spend = result["spend"]
    allocation = spend["allocation"]
    done = "Already recorded" if result["duplicate"] else "Recorded"
    text = (
        f":receipt: {done} {escape(spend['amount'])} on {escape(spend['service'] or '')} "
        f"for *{escape(project['name'])}*."
    )
    await turn.say(
        text,
        [
            {"type": "section", "text": {"type": "mrkdwn", "text": text}},
            {"type": "section", "text": {"type": "mrkdwn", "text": allocation_text(allocation)}},
        ],
    )
