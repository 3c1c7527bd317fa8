"""The App Home tab: projects, budgets, my pending requests, requests awaiting me; published
when the user opens it and again (by the outbox notifier) when a transfer they are party to is
requested or decided."""

from __future__ import annotations

import logging
from typing import Any

from bot import operations as ops
from bot.api import SlackActor
from bot.blocks import home_view
from bot.blocks._format import section
from bot.listeners.common import (
    LINK_HELP,
    actor_of,
    command_name,
    public_url,
    settings_link,
)

logger = logging.getLogger("allot.bot.events")


async def publish_home(
    client: Any, actor: SlackActor, command: str = "/allot", public_url: str | None = None
) -> None:
    if not await actor.linked():
        text = LINK_HELP.format(command=command)
        link = settings_link(public_url)
        view = {"type": "home", "blocks": [section(f"{text} {link}" if link else text)]}
        await client.views_publish(user_id=actor.slack_user_id, view=view)
        return
    data = await actor.run(ops.HOME)
    me = data["viewer"]["id"]
    pending = data["pending"]["nodes"]
    view = home_view(
        data["projects"]["nodes"],
        data["budgets"]["nodes"],
        [t for t in pending if t["requestedBy"]["id"] == me],
        [t for t in pending if t.get("viewerCanDecide")],
        budgets_total=data["budgets"].get("totalCount"),
        pending_cut=(data["pending"].get("totalCount") or 0) > len(pending),
        public_url=public_url,
    )
    await client.views_publish(user_id=actor.slack_user_id, view=view)


async def app_home_opened(ack: Any, event: dict[str, Any], client: Any, context: Any) -> None:
    await ack()
    if event.get("tab") not in (None, "home"):
        return
    try:
        await publish_home(client, actor_of(context), command_name(context), public_url(context))
    except Exception:
        logger.exception("publishing App Home failed")
