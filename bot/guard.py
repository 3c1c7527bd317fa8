"""The global middleware in front of every listener: right workspace, and a linked user.

Runs after Bolt verified the signature. When a workspace is configured (ALLOT_SLACK_TEAM_ID), a
request from another workspace is refused, and so is one that names no workspace at all: a
signed request without a `team_id` proves nothing about where it came from. A Slack
user who has not linked their account may only `link`, ask for `help` and open App Home (which
tells them how to link); anything else gets the link instructions and does nothing.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from slack_bolt.response import BoltResponse

from bot.api import SlackActor
from bot.blocks import error_text
from bot.listeners.common import link_help

logger = logging.getLogger("allot.bot.guard")

_OPEN_SUBCOMMANDS = ("link", "help", "?")

#: How long a Slack user found linked is let through without asking the database again. The
#: check sits on the ack path (Slack's 3 seconds); each operation still runs with a fresh
#: context, so someone unlinked meanwhile can do nothing (their operations are refused).
LINKED_TTL_SECONDS = 60.0


class _LinkedCache:
    def __init__(self, ttl: float = LINKED_TTL_SECONDS) -> None:
        self.ttl = ttl
        self._seen: dict[tuple[str, str | None], float] = {}

    def fresh(self, user: str, team: str | None) -> bool:
        seen = self._seen.get((user, team))
        return seen is not None and time.monotonic() - seen < self.ttl

    def remember(self, user: str, team: str | None) -> None:
        if len(self._seen) > 10_000:
            self._seen.clear()
        self._seen[(user, team)] = time.monotonic()


def _team_of(body: dict[str, Any], context: Any) -> str | None:
    team = body.get("team_id") or _field(body, "team", "id") or _field(body, "user", "team_id")
    return team or context.get("team_id")


def _field(body: dict[str, Any], outer: str, inner: str) -> str | None:
    value = body.get(outer)
    return value.get(inner) if isinstance(value, dict) else None


def _user_of(body: dict[str, Any], context: Any) -> str | None:
    if body.get("user_id"):
        return str(body["user_id"])
    user = body.get("user")
    if isinstance(user, dict) and user.get("id"):
        return str(user["id"])
    event = body.get("event") or {}
    if isinstance(event.get("user"), str):
        return event["user"]
    return context.get("user_id")


def _ephemeral(text: str) -> BoltResponse:
    return BoltResponse(status=200, body={"response_type": "ephemeral", "text": text})


def build_guard(
    schema: Any, team_id: str | None, command: str, *, public_url: str | None = None
) -> Any:
    linked = _LinkedCache()

    async def guard(body: dict[str, Any], context: Any, next: Any, client: Any) -> Any:
        team = _team_of(body, context)
        if team_id and team != team_id:
            logger.warning("refused a request from workspace %s", team or "(none named)")
            return _ephemeral(
                error_text(
                    "WRONG_WORKSPACE", "This Allot installation serves another Slack workspace."
                )
            )
        user = _user_of(body, context)
        if user is None:
            return await next()
        actor = SlackActor(schema, user, team)
        context["allot_actor"] = actor
        context["allot_command"] = command
        context["allot_public_url"] = public_url or None
        if linked.fresh(user, team) or _open_to_unlinked(body):
            return await next()
        if await actor.linked():
            linked.remember(user, team)
            return await next()
        text = link_help(command, public_url)
        if body.get("command"):
            return _ephemeral(text)
        if body.get("type") == "block_actions":
            channel = (body.get("container") or {}).get("channel_id")
            if channel:
                asyncio.get_running_loop().create_task(_tell(client, channel, user, text))
        if body.get("type") == "view_submission":
            return BoltResponse(status=200, body={"response_action": "clear"})
        return BoltResponse(status=200, body="")

    return guard


def _open_to_unlinked(body: dict[str, Any]) -> bool:
    if body.get("command"):
        words = str(body.get("text") or "").split()
        return not words or words[0].lower() in _OPEN_SUBCOMMANDS
    event = body.get("event") or {}
    return event.get("type") == "app_home_opened"


async def _tell(client: Any, channel: str, user: str, text: str) -> None:
    try:
        await client.chat_postEphemeral(channel=channel, user=user, text=text)
    except Exception:
        logger.exception("telling an unlinked user failed")
