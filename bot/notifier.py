"""The outbox's Slack sink: approval requests to owners, decisions to everyone concerned,
threshold alerts to the budget's channel or owners.

It reads through GraphQL with the notifier's read-only context, and remembers where it posted
a request (`recordSlackMessage`) so the decision updates every copy in place. Raising makes the
outbox retry the event later; what was already posted is remembered, so a retry does not post
it twice.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot import operations as ops
from bot.api import NotifierActor
from bot.blocks import escape, transfer_summary
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

    async def _audience(self, budget: dict[str, Any]) -> list[str]:
        """The budget's channel, else a DM with each owner linked to Slack."""
        if budget.get("slackChannel"):
            return [budget["slackChannel"]]
        return [
            await self._dm_channel(o["slackUserId"])
            for o in budget.get("owners") or []
            if o.get("slackUserId")
        ]

    async def transfer_requested(self, event: dict[str, Any]) -> None:
        transfer, budget = await self._notice(event)
        if transfer is None or transfer["status"] != "PENDING":
            return  # decided before we got to it: transfer.decided tells the requester
        posted = {m["channel"] for m in transfer.get("slackMessages") or []}
        for channel in await self._audience(budget):
            if channel in posted:
                continue
            sent = await self.client.chat_postMessage(channel=channel, **message(transfer))
            await self.api.mutate(
                ops.RECORD_SLACK_MESSAGE,
                "recordSlackMessage",
                input={"transferId": transfer["id"], "channel": sent["channel"], "ts": sent["ts"]},
            )

    async def transfer_decided(self, event: dict[str, Any]) -> None:
        transfer, _ = await self._notice(event)
        if transfer is None:
            return
        for posted in transfer.get("slackMessages") or []:
            await self.client.chat_update(
                channel=posted["channel"], ts=posted["ts"], **message(transfer)
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
        data = await self.api.run(
            ops.BUDGET_NOTICE, budgetId=encode("Budget", int(event["budgetId"]))
        )
        budget = data["budget"]
        if budget is None:
            return
        text = f":warning: {escape(event['payload'].get('message') or 'Budget alert')}"
        for channel in await self._audience(budget):
            await self.client.chat_postMessage(channel=channel, text=text)
