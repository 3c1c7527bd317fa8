"""`status [project|budget]`."""

from __future__ import annotations

from typing import Any

from bot import operations as ops
from bot import resolve
from bot.api import ApiError
from bot.blocks import budgets_blocks, status_blocks, status_text
from bot.blocks._format import money
from bot.commands import Status
from bot.listeners.commands.turn import Turn


def _allocations(projects: list[dict[str, Any]], current: set[str]) -> list[dict[str, Any]]:
    return [
        {**a, "project": a.get("project") or {"name": p["name"], "slug": p["slug"]}}
        for p in projects
        for a in p.get("allocations") or []
        if a["id"] in current
    ]


async def handle(turn: Turn, cmd: Status) -> None:
    actor = turn.actor
    current = await resolve.current_allocation_ids(actor)
    if cmd.target is None:
        projects = (await actor.run(ops.STATUS_FOR_USER))["projects"]["nodes"]
        mine = [p for p in projects if p.get("myRole")] or projects
        allocations = _allocations(mine, current)
        await turn.say(status_text(allocations), status_blocks(allocations, turn.public_url))
        return
    try:
        project = await resolve.project(actor, cmd.target)
    except ApiError as project_error:
        try:
            budget = await resolve.budget(actor, cmd.target)
        except ApiError:
            raise project_error from None
        data = await actor.run(ops.BUDGET_STATUS, id=budget["id"])
        found = data["budget"]
        allocations = found["allocations"]["nodes"]
        blocks = budgets_blocks([found], turn.public_url)
        if allocations:
            blocks += status_blocks(allocations, turn.public_url)[1:]
        await turn.say(
            f"{found['name']}: {money(found['remaining'], found['currency'])} remaining", blocks
        )
        return
    allocations = _allocations([project], current)
    await turn.say(status_text(allocations), status_blocks(allocations, turn.public_url))
