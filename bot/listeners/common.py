"""What every listener shares: who acts, and how an error becomes one short reply."""

from __future__ import annotations

from typing import Any

from bot.api import ApiError, SlackActor
from bot.blocks import error_text

#: What an unlinked Slack user is told, whatever they tried.
LINK_HELP = (
    "Your Slack account isn't linked to Allot yet, so I can't act for you. "
    "Type `{command} link` to link it by your Slack e-mail, or, with a one-time link code "
    "from Allot, type `{command} link CODE`."
)


def link_help(command: str) -> str:
    return error_text("UNLINKED", LINK_HELP.format(command=command))


def actor_of(context: Any) -> SlackActor:
    """Set by the guard middleware for every request that comes from a user."""
    return context["allot_actor"]


def command_name(context: Any) -> str:
    return context.get("allot_command", "/allot")


def explain(exc: ApiError) -> str:
    return error_text(exc.code, exc.message)


async def ephemeral(client: Any, channel: str | None, user: str, text: str) -> None:
    """An ephemeral line in the channel, or a DM where there is no channel (App Home)."""
    if channel:
        await client.chat_postEphemeral(channel=channel, user=user, text=text)
    else:
        opened = await client.conversations_open(users=user)
        await client.chat_postMessage(channel=opened["channel"]["id"], text=text)
