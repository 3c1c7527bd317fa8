"""What every listener shares: who acts, and how an error becomes one short reply."""

from __future__ import annotations

from typing import Any

from bot.api import ApiError, SlackActor
from bot.blocks import error_text
from bot.blocks._format import humanize_amounts

#: Where a one-time link code comes from (no API names: people read this).
CODE_SOURCE = (
    "a one-time link code from the settings page of the Allot web app (or from an admin, "
    "who runs `allot users link-code YOUR-EMAIL`)"
)
#: What an unlinked Slack user is told, whatever they tried.
LINK_HELP = (
    "Your Slack account isn't linked to Allot yet, so I can't act for you. "
    "Type `{command} link` to link it by your Slack e-mail, or, with "
    + CODE_SOURCE
    + ", type `{command} link CODE`."
)


def settings_link(public_url: str | None) -> str:
    """A mrkdwn link to the web app's settings page (where link codes are made), or ""."""
    root = (public_url or "").strip().rstrip("/")
    return f"<{root}/settings|Open the settings page>" if root else ""


def link_help(command: str, public_url: str | None = None) -> str:
    text = error_text("UNLINKED", LINK_HELP.format(command=command))
    link = settings_link(public_url)
    return f"{text} {link}" if link else text


def actor_of(context: Any) -> SlackActor:
    """Set by the guard middleware for every request that comes from a user."""
    return context["allot_actor"]


def command_name(context: Any) -> str:
    return context.get("allot_command", "/allot")


def public_url(context: Any) -> str | None:
    """The web app's address for deep links (ALLOT_PUBLIC_URL), None when unset."""
    return context.get("allot_public_url")


def explain(exc: ApiError, currency: str | None = None) -> str:
    """The API's error as one short reply, its amounts through the bot's formatter."""
    return error_text(exc.code, humanize_amounts(exc.message, currency))


async def ephemeral(client: Any, channel: str | None, user: str, text: str) -> None:
    """An ephemeral line in the channel, or a DM where there is no channel (App Home)."""
    if channel:
        await client.chat_postEphemeral(channel=channel, user=user, text=text)
    else:
        opened = await client.conversations_open(users=user)
        await client.chat_postMessage(channel=opened["channel"]["id"], text=text)
