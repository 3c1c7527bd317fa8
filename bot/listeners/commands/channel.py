"""`channel [#channel] [budget]`: where a budget's requests and alerts are posted (owners).

Slack turns a typed `#lab-budget` into `<#C0123|lab-budget>` for a slash command whose
manifest sets `should_escape: true` (slack/manifest.yml), which gives the id. Without that,
a bare `#name` is matched with the channel the command was typed in. The API decides who
may change the budget (its owners and admins).
"""

from __future__ import annotations

from typing import Any

from bot import operations as ops
from bot import resolve
from bot.api import ApiError
from bot.blocks import escape
from bot.commands import Channel
from bot.listeners.commands.turn import Turn


def _channel_id(turn: Turn, cmd: Channel) -> str:
    if cmd.channel:
        return cmd.channel
    here, here_name = turn.body.get("channel_id"), turn.body.get("channel_name")
    if cmd.channel_name is None or cmd.channel_name == here_name:
        if not here or str(here).startswith("D") or here_name == "directmessage":
            raise ApiError(
                "VALIDATION",
                f"Name the channel (`{turn.command} channel #lab-budget`) or run this in it.",
            )
        return str(here)
    raise ApiError(
        "VALIDATION",
        f"I can't tell which channel #{cmd.channel_name} is from here: run "
        f"`{turn.command} channel` in #{cmd.channel_name} itself.",
    )


async def _budget(turn: Turn, cmd: Channel) -> dict[str, Any]:
    if cmd.budget is not None:
        return await resolve.budget(turn.actor, cmd.budget)
    data = await turn.actor.run(ops.OWNED_BUDGETS)
    me = data["viewer"]["id"]
    owned = [
        b for b in data["budgets"]["nodes"] if any(o["id"] == me for o in b.get("owners") or [])
    ]
    if len(owned) == 1:
        return owned[0]
    names = ", ".join(f"`{b['name']}`" for b in owned[:10]) or "none"
    raise ApiError(
        "VALIDATION",
        f"Name the budget at the end (budgets you own: {names}), e.g. "
        f'`{turn.command} channel #lab-budget "Cloud Grant"`.',
    )


async def handle(turn: Turn, cmd: Channel) -> None:
    channel = _channel_id(turn, cmd)
    budget = await _budget(turn, cmd)
    result = await turn.actor.mutate(
        ops.SET_BUDGET_CHANNEL,
        "updateBudget",
        input={"budgetId": budget["id"], "slackChannel": channel},
    )
    updated = result["budget"]
    privacy = str(updated.get("slackPrivacy") or "AMOUNTS")
    await turn.say(
        f":mega: *{escape(updated['name'])}* now posts its transfer requests and alerts in "
        f"<#{channel}> (members see: {privacy.lower()}). If I'm not in that channel yet, "
        "invite me there with `/invite @Allot`; until then the owners get them by DM.",
        link=turn.link(updated["id"], f"Open {escape(updated['name'])} in Allot"),
    )
