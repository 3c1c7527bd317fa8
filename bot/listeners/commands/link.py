"""`link` (by the e-mail Slack reports for the user) and `link CODE` (a one-time code)."""

from __future__ import annotations

from slack_sdk.errors import SlackApiError

from bot import operations as ops
from bot.api import ApiError
from bot.blocks import escape
from bot.commands import Link
from bot.listeners.commands.turn import Turn
from bot.listeners.common import CODE_SOURCE


async def handle(turn: Turn, cmd: Link) -> None:
    link_input: dict[str, object] = {
        "slackUserId": turn.actor.slack_user_id,
        "teamId": turn.actor.team_id,
    }
    if cmd.code is not None:
        link_input["code"] = cmd.code
    else:
        try:
            info = await turn.client.users_info(user=turn.actor.slack_user_id)
        except SlackApiError as exc:
            raise ApiError(
                "NOT_FOUND",
                f"Slack would not tell me your e-mail "
                f"({exc.response.get('error')}); link with a one-time code.",
            ) from None
        email = ((info.get("user") or {}).get("profile") or {}).get("email")
        if not email:
            raise ApiError(
                "VALIDATION",
                f"Slack reports no e-mail for you; with {CODE_SOURCE}, "
                f"type `{turn.command} link CODE`.",
            )
        link_input["email"] = email
    try:
        result = await turn.actor.mutate(
            ops.LINK_SLACK_ACCOUNT, "linkSlackAccount", input=link_input
        )
    except ApiError as exc:
        if exc.code == "NOT_FOUND" and cmd.code is None:
            raise ApiError(
                "NOT_FOUND",
                f"No Allot account has the e-mail {link_input['email']}. "
                f"Ask an admin to create one, or link with a one-time code.",
            ) from None
        if exc.code == "NOT_FOUND":
            raise ApiError(
                "NOT_FOUND",
                "That code is unknown, used or expired; make a new one on the settings page "
                "of the Allot web app (or ask an admin: `allot users link-code YOUR-EMAIL`).",
            ) from None
        raise
    user = result["user"]
    await turn.say(
        f":link: Linked: you act as *{escape(user['name'])}* "
        f"({escape(user['email'])}) in Allot. Try `{turn.command} status`.",
        link=turn.link(None, "Open Allot in the browser"),
    )
