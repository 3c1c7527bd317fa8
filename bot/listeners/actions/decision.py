"""Approve/Reject buttons: run the mutation as the clicking user, update the message in place.

A second click (or a second owner at the same moment) gets INVALID_STATE from the API, which
decides exactly once: the message is brought up to date and the clicker told who decided.

The clicker (an owner) reads every figure, but a message in a channel is read by everyone in
it: the update shows what the budget's `slackPrivacy` allows there (bot/blocks/privacy.py),
the same as the notifier's own update of every posted copy.
"""

from __future__ import annotations

import logging
from typing import Any

from bot import operations as ops
from bot.api import ApiError, SlackActor
from bot.blocks import decision_text, error_text
from bot.blocks.privacy import privacy_for
from bot.listeners.common import actor_of, ephemeral, explain
from bot.transfer_messages import message

logger = logging.getLogger("allot.bot.actions")


async def _show(
    client: Any, body: dict[str, Any], actor: SlackActor, transfer: dict[str, Any]
) -> None:
    container = body.get("container") or {}
    if container.get("type") == "view":
        from bot.listeners.events.app_home_opened import publish_home

        await publish_home(client, actor)
        return
    channel = container.get("channel_id") or (body.get("channel") or {}).get("id")
    ts = container.get("message_ts") or (body.get("message") or {}).get("ts")
    if channel and ts:
        privacy = await _privacy(actor, channel, transfer)
        await client.chat_update(channel=channel, ts=ts, **message(transfer, privacy=privacy))


async def _privacy(actor: SlackActor, channel: str, transfer: dict[str, Any]) -> str:
    """What the message's readers may see; a budget the clicker cannot read shows nothing."""
    budget_id = transfer.get("budgetId")
    budget = (await actor.run(ops.BUDGET_PRIVACY, id=budget_id))["budget"] if budget_id else None
    return privacy_for(channel, budget)


async def decide(
    ack: Any, body: dict[str, Any], client: Any, context: Any, *, approve: bool
) -> None:
    await ack()
    actor = actor_of(context)
    user = body["user"]["id"]
    channel = (body.get("container") or {}).get("channel_id")
    transfer_id = body["actions"][0]["value"]
    operation, field = (
        (ops.APPROVE_TRANSFER, "approveTransfer")
        if approve
        else (ops.REJECT_TRANSFER, "rejectTransfer")
    )
    try:
        try:
            result = await actor.mutate(operation, field, input={"transferId": transfer_id})
        except ApiError as exc:
            if exc.code != "INVALID_STATE":
                await ephemeral(client, channel, user, explain(exc))
                return
            found = (await actor.run(ops.TRANSFER, id=transfer_id))["node"]
            if found is None:
                await ephemeral(client, channel, user, explain(exc))
                return
            await _show(client, body, actor, found)
            await ephemeral(
                client,
                channel,
                user,
                f":information_source: Nothing changed. {decision_text(found)}",
            )
            return
        await _show(client, body, actor, result["transfer"])
    except Exception:
        logger.exception("deciding transfer %s failed", transfer_id)
        await ephemeral(
            client,
            channel,
            user,
            error_text("INTERNAL", "Something went wrong on our side; try again."),
        )
