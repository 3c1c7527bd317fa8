"""`spend 12.50 aws-ec2 "GPU run" [project] [budget]`.

A project funded by several budgets needs one: by name or id at the end of the command, or
picked from the buttons the bot answers with (bot/listeners/actions/spend_budget.py).
"""

from __future__ import annotations

import json
from typing import Any

from bot import operations as ops
from bot import resolve
from bot.api import ApiError, SlackActor
from bot.blocks import escape
from bot.blocks._format import button, context, currency_of, money, section
from bot.blocks.ids import SPEND_BUDGET_ACTION_ID, SPEND_BUDGET_BLOCK_ID
from bot.blocks.status import allocation_text
from bot.commands import Spend
from bot.links import open_link
from bot.listeners.commands.turn import Turn

#: The currency a typed symbol stands for; the API refuses a mismatch with the budget's.
SYMBOLS = {"$": "USD", "€": "EUR", "£": "GBP"}
#: A picker offers at most this many budgets (buttons in one actions block: 25).
MAX_PICKS = 25
#: The project's name, riding along in a picker button's value (not an input field).
PROJECT_NAME_KEY = "_projectName"


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
        "idempotencyKey": f"slack-spend:{turn.body.get('trigger_id') or ''}",
    }
    if not turn.body.get("trigger_id"):
        del spend_input["idempotencyKey"]
    if cmd.currency_symbol:
        spend_input["currency"] = SYMBOLS.get(cmd.currency_symbol)
    if cmd.budget is not None:
        spend_input["budgetId"] = (await resolve.budget(actor, cmd.budget))["id"]
    try:
        text, blocks = await record(actor, spend_input, project["name"], turn.public_url)
    except ApiError as exc:
        if exc.code != "AMBIGUOUS" or cmd.budget is not None:
            raise
        await turn.say(*budget_picker(project, spend_input, exc.candidates))
        return
    await turn.say(text, blocks)


async def record(
    actor: SlackActor,
    spend_input: dict[str, object],
    project_name: str,
    public_url: str | None = None,
) -> tuple[str, list[dict[str, Any]]]:
    """Record the spend; the reply, with a link to the project's page when the web app's
    address is set."""
    result = await actor.mutate(ops.RECORD_SPEND, "recordSpend", input=spend_input)
    spend = result["spend"]
    allocation = spend["allocation"]
    done = "Already recorded" if result["duplicate"] else "Recorded"
    budget = escape((allocation.get("budget") or {}).get("name") or "")
    text = (
        f":receipt: {done} {money(spend['amount'], currency_of(allocation))} on "
        f"{escape(spend['service'] or '')} for *{escape(project_name)}*"
        + (f" in *{budget}*." if budget else ".")
    )
    blocks = [section(text), section(allocation_text(allocation, public_url=public_url))]
    project_id = (allocation.get("project") or {}).get("id")
    link = open_link(public_url, project_id, f"Open {escape(project_name)} in Allot")
    if link:
        blocks.append(context(link))
    return text, blocks


def budget_picker(
    project: dict[str, Any], spend_input: dict[str, object], candidates: list[str]
) -> tuple[str, list[dict[str, Any]]]:
    """Buttons, one per budget funding the project; each carries the whole spend."""
    seen: dict[str, str] = {}
    for allocation in project.get("allocations") or []:
        budget = allocation.get("budget") or {}
        if budget.get("id") and budget["id"] not in seen:
            seen[budget["id"]] = str(budget.get("name") or budget["id"])
    if candidates:
        named = {k: v for k, v in seen.items() if v in candidates}
        seen = named or seen
    text = f"*{escape(project['name'])}* is funded by {len(seen)} budgets. Which one paid for it?"
    description = str(spend_input.get("description") or "")[:500]
    elements = []
    for budget_id, name in list(seen.items())[:MAX_PICKS]:
        value = json.dumps(
            {
                **spend_input,
                "description": description or None,
                "budgetId": budget_id,
                PROJECT_NAME_KEY: str(project["name"])[:100],
            },
            separators=(",", ":"),
        )
        elements.append(button(name, SPEND_BUDGET_ACTION_ID, value))
    blocks = [
        section(text),
        {
            "type": "actions",
            "block_id": f"{SPEND_BUDGET_BLOCK_ID}:{project['id']}"[:255],
            "elements": elements,
        },
    ]
    return text.replace("*", ""), blocks
