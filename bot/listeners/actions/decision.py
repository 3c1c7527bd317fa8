"""Approve/Reject/Cancel buttons: run the mutation as the clicking user, update the message.

Approve asks for confirmation in Slack itself (the button's `confirm` dialog), Reject opens a
small form for an optional note (bot/listeners/views/reject_note.py), and Cancel is the
requester's own button (App Home, the reply to their request).

A second click (or a second owner at the same moment) gets INVALID_STATE from the API, which
decides exactly once: the message is brought up to date and the clicker told who decided.

The clicker (an owner) reads every figure, but a message in a channel is read by everyone in
it: the update shows what the budget's `slackPrivacy` allows there (bot/blocks/privacy.py),
the same as the notifier's own update of every posted copy.

Updating the message may fail (deleted, too long, too old): the decision stands, the clicker
is told it in an ephemeral line, a message that is gone is posted afresh, and nothing retries.
The requester's DM goes through the outbox whatever happens here.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_sdk.errors import SlackApiError

from bot import operations as ops
from bot.api import ApiError, SlackActor
from bot.blocks import decision_text, error_text
from bot.blocks.ids import REJECT_NOTE_CALLBACK_ID
from bot.blocks.modal import reject_note_modal
from bot.blocks.privacy import privacy_for
from bot.listeners.common import actor_of, ephemeral, explain, public_url
from bot.transfer_messages import message

logger = logging.getLogger("allot.bot.actions")

#: chat.update errors after which the decided message is posted afresh in the same channel.
GONE = frozenset({"message_not_found", "cant_update_message", "edit_window_closed"})


def where_clicked(body: dict[str, Any]) -> tuple[str | None, str | None]:
    container = body.get("container") or {}
    channel = container.get("channel_id") or (body.get("channel") or {}).get("id")
    ts = container.get("message_ts") or (body.get("message") or {}).get("ts")
    return channel, ts


async def show(
    client: Any,
    actor: SlackActor,
    transfer: dict[str, Any],
    *,
    channel: str | None,
    ts: str | None,
    in_view: bool = False,
    public_url: str | None = None,
) -> bool:
    """Bring the clicked message (or the App Home) up to date; False when Slack refused."""
    if in_view:
        from bot.listeners.events.app_home_opened import publish_home

        await publish_home(client, actor, public_url=public_url)
        return True
    if not (channel and ts):
        return True
    privacy = await _privacy(actor, channel, transfer)
    content = message(transfer, privacy=privacy, public_url=public_url)
    try:
        await client.chat_update(channel=channel, ts=ts, **content)
        return True
    except SlackApiError as exc:
        code = str((exc.response or {}).get("error", ""))
        logger.warning("chat.update of %s %s failed: %s", channel, ts, code)
        if code in GONE:
            try:
                await client.chat_postMessage(channel=channel, **content)
                return True
            except SlackApiError:
                logger.warning("posting the decided transfer afresh in %s failed", channel)
        return False


async def _privacy(actor: SlackActor, channel: str, transfer: dict[str, Any]) -> str:
    """What the message's readers may see; a budget the clicker cannot read shows nothing."""
    budget_id = transfer.get("budgetId")
    budget = (await actor.run(ops.BUDGET_PRIVACY, id=budget_id))["budget"] if budget_id else None
    return privacy_for(channel, budget)


async def decide(
    ack: Any,
    body: dict[str, Any],
    client: Any,
    context: Any,
    *,
    approve: bool,
    note: str | None = None,
    channel: str | None = None,
    ts: str | None = None,
) -> None:
    """Approve or reject as the clicker. `body` is the block_actions payload (or, from the
    note form, the view_submission with the clicked message's channel and ts passed in)."""
    await ack()
    actor = actor_of(context)
    url = public_url(context)
    user = body["user"]["id"]
    in_view = (body.get("container") or {}).get("type") == "view"
    if channel is None and ts is None:
        channel, ts = where_clicked(body)
    transfer_id = body["actions"][0]["value"] if body.get("actions") else body["_transfer_id"]
    operation, field = (
        (ops.APPROVE_TRANSFER, "approveTransfer")
        if approve
        else (ops.REJECT_TRANSFER, "rejectTransfer")
    )
    tell_channel = None if in_view else channel
    try:
        try:
            result = await actor.mutate(
                operation, field, input={"transferId": transfer_id, "note": note}
            )
        except ApiError as exc:
            if exc.code != "INVALID_STATE":
                await ephemeral(client, tell_channel, user, explain(exc))
                return
            found = (await actor.run(ops.TRANSFER, id=transfer_id))["node"]
            if found is None:
                await ephemeral(client, tell_channel, user, explain(exc))
                return
            await show(
                client, actor, found, channel=channel, ts=ts, in_view=in_view, public_url=url
            )
            await ephemeral(
                client,
                tell_channel,
                user,
                f":information_source: Nothing changed. {decision_text(found)}",
            )
            return
        transfer = result["transfer"]
        if not await show(
            client, actor, transfer, channel=channel, ts=ts, in_view=in_view, public_url=url
        ):
            await ephemeral(
                client,
                tell_channel,
                user,
                f"{decision_text(transfer)}. I couldn't update the request's message; "
                "the requester is told anyway.",
            )
    except Exception:
        logger.exception("deciding transfer %s failed", transfer_id)
        await ephemeral(
            client,
            tell_channel,
            user,
            error_text("INTERNAL", "Something went wrong on our side; try again."),
        )


async def open_reject_note(ack: Any, body: dict[str, Any], client: Any, context: Any) -> None:
    """Reject: a small form for an optional note, opened at once (the trigger lasts 3 s)."""
    await ack()
    channel, ts = where_clicked(body)
    metadata = {
        "transfer": body["actions"][0]["value"],
        "channel": channel,
        "ts": ts,
        "view": (body.get("container") or {}).get("type") == "view",
    }
    try:
        await client.views_open(
            trigger_id=body["trigger_id"],
            view=reject_note_modal(metadata["transfer"], json.dumps(metadata)),
        )
    except SlackApiError:
        logger.exception("opening the reject form failed; rejecting without a note")
        await decide(_noop, body, client, context, approve=False)


async def _noop(**_: Any) -> None:
    return None


async def cancel(ack: Any, body: dict[str, Any], client: Any, context: Any) -> None:
    """The requester withdraws their pending request (the API checks it is theirs)."""
    await ack()
    actor = actor_of(context)
    user = body["user"]["id"]
    in_view = (body.get("container") or {}).get("type") == "view"
    channel, _ts = where_clicked(body)
    transfer_id = body["actions"][0]["value"]
    text = await cancel_text(actor, transfer_id)
    if in_view:
        from bot.listeners.events.app_home_opened import publish_home

        await publish_home(client, actor, public_url=public_url(context))
    if body.get("response_url") and not in_view:
        await client_respond(body["response_url"], text)
    else:
        await ephemeral(client, None if in_view else channel, user, text)


async def cancel_text(actor: SlackActor, transfer_id: str) -> str:
    try:
        result = await actor.mutate(
            ops.CANCEL_TRANSFER, "cancelTransfer", input={"transferId": transfer_id}
        )
    except ApiError as exc:
        return explain(exc)
    return f":heavy_multiplication_x: Cancelled your request `{result['transfer']['id']}`."


async def client_respond(response_url: str, text: str) -> None:
    from slack_sdk.webhook.async_client import AsyncWebhookClient

    await AsyncWebhookClient(response_url).send(
        text=text, response_type="ephemeral", replace_original=True
    )


__all__ = ["REJECT_NOTE_CALLBACK_ID", "cancel", "decide", "open_reject_note", "show"]
