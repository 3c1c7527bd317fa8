"""The outbox's Slack sink: approval requests to owners, decisions to everyone concerned,
threshold alerts to the budget's channel or owners.

It reads through GraphQL with the notifier's read-only context, and remembers where it posted
a request (`recordSlackMessage`) so the decision updates every copy in place. Raising makes the
outbox retry the event later; what was already posted is remembered, so a retry does not post
it twice.

That context reads every figure, so the notifier itself keeps to what each audience may see
(bot/blocks/privacy.py): a post or update in a channel follows the budget's `slackPrivacy`, a
DM with an owner shows everything. Alerts are written here from the event's threshold and the
names read through GraphQL; the service's pre-built alert text (with amounts) goes only where
FULL is allowed.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot import operations as ops
from bot.api import NotifierActor
from bot.blocks import transfer_summary
from bot.blocks.alerts import alert_text
from bot.blocks.privacy import FULL, privacy_for
from bot.blocks.transfers import decision_text
from bot.transfer_messages import message
from schema.ids import encode

logger = logging.getLogger("allot.bot.notifier")

_OUTCOME = {
    "APPLIED": "approved",
    "REJECTED": "rejected",
    "EXPIRED": "expired",
    "CANCELLED": "cancelled",
    "FAILED": "failed",
}


class SlackNotifier:
    def __init__(self, client: AsyncWebClient, schema: Any = None) -> None:
        if schema is None:
            from schema import schema as default_schema

            schema = default_schema
        self.client = client
        self.api = NotifierActor(schema)

    async def __call__(self, event: dict[str, Any]) -> None:
        kind = event["kind"]
        if kind == "transfer.requested":
            await self.transfer_requested(event)
        elif kind == "transfer.decided":
            await self.transfer_decided(event)
        elif kind == "alert.raised":
            await self.alert_raised(event)

    async def _notice(self, event: dict[str, Any]) -> tuple[dict[str, Any] | None, dict[str, Any]]:
        data = await self.api.run(
            ops.TRANSFER_NOTICE,
            id=encode("Transfer", int(event["payload"]["transferId"])),
            budgetId=encode("Budget", int(event["budgetId"])),
        )
        return data["node"], data["budget"] or {}

    async def _dm_channel(self, slack_user_id: str) -> str:
        opened = await self.client.conversations_open(users=slack_user_id)
        return str(opened["channel"]["id"])

    async def _audience(self, budget: dict[str, Any]) -> list[tuple[str, str]]:
        """(channel, what it may see): the budget's channel with the budget's setting, else a
        DM with each owner linked to Slack, which shows everything."""
        if budget.get("slackChannel"):
            return [(budget["slackChannel"], privacy_for(budget["slackChannel"], budget))]
        return [
            (await self._dm_channel(o["slackUserId"]), FULL)
            for o in budget.get("owners") or []
            if o.get("slackUserId")
        ]

    async def transfer_requested(self, event: dict[str, Any]) -> None:
        transfer, budget = await self._notice(event)
        if transfer is None or transfer["status"] != "PENDING":
            return  # decided before we got to it: transfer.decided tells the requester
        posted = {m["channel"] for m in transfer.get("slackMessages") or []}
        for channel, privacy in await self._audience(budget):
            if channel in posted:
                continue
            sent = await self.client.chat_postMessage(
                channel=channel, **message(transfer, privacy=privacy)
            )
            await self.api.mutate(
                ops.RECORD_SLACK_MESSAGE,
                "recordSlackMessage",
                input={"transferId": transfer["id"], "channel": sent["channel"], "ts": sent["ts"]},
            )

    async def transfer_decided(self, event: dict[str, Any]) -> None:
        transfer, budget = await self._notice(event)
        if transfer is None:
            return
        for posted in transfer.get("slackMessages") or []:
            privacy = privacy_for(posted["channel"], budget)
            await self.client.chat_update(
                channel=posted["channel"], ts=posted["ts"], **message(transfer, privacy=privacy)
            )
        requester = transfer.get("requestedBy") or {}
        decider = transfer.get("decidedBy") or {}
        if not requester.get("slackUserId"):
            return
        if decider.get("id") == requester.get("id"):
            return  # they decided it themselves (applied at once, or cancelled): they know
        outcome = _OUTCOME.get(transfer["status"], transfer["status"].lower())
        text = (
            f"Your transfer request was {outcome}: {transfer_summary(transfer)}.\n"
            f"{decision_text(transfer)}"
        )
        await self.client.chat_postMessage(
            channel=await self._dm_channel(requester["slackUserId"]), text=text
        )

    async def alert_raised(self, event: dict[str, Any]) -> None:
        payload = event.get("payload") or {}
        allocation_id = payload.get("allocationId")
        data = await self.api.run(
            ops.ALERT_NOTICE,
            budgetId=encode("Budget", int(event["budgetId"])),
            allocationId=encode("Allocation", int(allocation_id)) if allocation_id else "",
        )
        budget = data["budget"]
        if budget is None:
            return
        for channel, privacy in await self._audience(budget):
            text = alert_text(payload, data["node"], budget, privacy=privacy)
            await self.client.chat_postMessage(channel=channel, text=text)
