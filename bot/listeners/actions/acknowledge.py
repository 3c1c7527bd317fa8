"""The Acknowledge button on an alert: `acknowledgeAlert` as the clicking (linked) user, then
the message shows who acknowledged it instead of the button.

Acked first (Slack's 3 seconds); the mutation and the update come after. The update keeps the
blocks Slack sent back with the click (what the channel was already shown, within the budget's
`slackPrivacy`) and only swaps the button for "Acknowledged by …", so it never shows a channel
more than the post did. Someone who may not acknowledge (a viewer, another project's member)
gets the API's refusal as an ephemeral line and the button stays.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.errors import SlackApiError

from bot import operations as ops
from bot.api import ApiError
from bot.blocks.alerts import acknowledged_blocks
from bot.listeners.actions.decision import where_clicked
from bot.listeners.common import actor_of, ephemeral, explain

logger = logging.getLogger("allot.bot.actions")


async def acknowledge_alert(ack: Any, body: dict[str, Any], client: Any, context: Any) -> None:
    await ack()
    actor = actor_of(context)
    alert_id = str(((body.get("actions") or [{}])[0]).get("value") or "")
    channel, ts = where_clicked(body)
    user = actor.slack_user_id
    try:
        await actor.mutate(ops.ACKNOWLEDGE_ALERT, "acknowledgeAlert", input={"alertId": alert_id})
        read = await actor.run(ops.ALERT, id=alert_id)
    except ApiError as exc:
        await ephemeral(client, channel, user, explain(exc))
        return
    alert = read.get("node") or {}
    who = alert.get("acknowledgedBy") or read.get("viewer") or {"slackUserId": user}
    posted = body.get("message") or {}
    if not (channel and ts):
        return
    blocks = acknowledged_blocks(list(posted.get("blocks") or []), alert_id, who)
    try:
        await client.chat_update(
            channel=channel,
            ts=ts,
            text=str(posted.get("text") or "Alert acknowledged"),
            blocks=blocks,
        )
    except SlackApiError as exc:
        code = str((exc.response or {}).get("error", ""))
        logger.warning("chat.update of alert %s in %s failed: %s", alert_id, channel, code)
        await ephemeral(client, channel, user, "Acknowledged. (I couldn't update the message.)")
