"""The outbox's Slack sink: approval requests to owners, decisions to everyone concerned,
threshold alerts to the budget's channel or owners.

It reads through GraphQL with the notifier's read-only context, and remembers where it posted
a request (`recordSlackMessage`) so the decision updates every copy in place.

The outbox worker hands it one destination at a time (`send(event, destination)`: a DM to one
person, one channel, or the in-place updates of a decided transfer), each with its own
delivery row, so one failing DM never makes another be posted again. Every post carries the
delivery's id in Slack message `metadata` (event type `allot_delivery`); when a try may have
reached Slack without being recorded (the process died after the call, or the call timed
out), `reconcile` looks for that message in the conversation's recent history
(`conversations.history`, which needs the `channels:history`/`groups:history`/`im:history`
scopes) and records it instead of posting again. Errors no retry can fix (channel_not_found,
not_in_channel, …) are raised as `DeliveryRefused` (permanent: the delivery is DEAD at once).

That context reads every figure, so the notifier itself keeps to what each audience may see
(bot/blocks/privacy.py): a post or update in a channel follows the budget's `slackPrivacy`, a
DM with an owner shows everything. Alerts are written here from the event's threshold and the
names read through GraphQL; the service's pre-built alert text (with amounts) goes only where
FULL is allowed.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import operations as ops
from bot.api import NotifierActor
from bot.blocks import transfer_summary
from bot.blocks._format import escape
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


#: Slack errors that the same call will always get again.
PERMANENT_ERRORS = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "user_not_found",
        "users_not_found",
        "user_disabled",
        "account_inactive",
        "cannot_dm_bot",
        "invalid_auth",
        "not_authed",
        "msg_too_long",
        "no_text",
        "invalid_blocks",
        "message_not_found",
        "cant_update_message",
        "edit_window_closed",
    }
)
#: A posted copy that can no longer be edited: post the decided message afresh instead.
GONE_MESSAGE_ERRORS = frozenset({"message_not_found", "cant_update_message", "edit_window_closed"})
#: The budget's channel cannot take the post: the owners get it by DM instead.
UNREACHABLE_CHANNEL_ERRORS = frozenset({"not_in_channel", "channel_not_found", "is_archived"})
METADATA_TYPE = "allot_delivery"


class DeliveryRefused(Exception):
    """Slack refused the post for good: the delivery is DEAD with this reason."""

    permanent = True


def _refused(exc: SlackApiError) -> Exception:
    code = str((exc.response or {}).get("error", ""))
    return DeliveryRefused(f"slack: {code}") if code in PERMANENT_ERRORS else exc


def _error_code(exc: SlackApiError) -> str:
    return str((exc.response or {}).get("error", ""))


def _metadata(destination: dict[str, Any]) -> dict[str, Any]:
    return {"event_type": METADATA_TYPE, "event_payload": {"delivery_id": destination["id"]}}


class SlackNotifier:
    #: The delivery channels it serves (app.services.delivery).
    channels = frozenset({"SLACK_DM", "SLACK_CHANNEL", "SLACK_UPDATE"})

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
        text = decision_dm_text(transfer)
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

    # -- one destination at a time (the outbox's delivery rows) ------------------------------

    async def _channel_of(self, destination: dict[str, Any]) -> str:
        if destination["channel"] == "SLACK_DM":
            return await self._dm_channel(destination["target"])
        return str(destination["target"])

    async def send(self, event: dict[str, Any], destination: dict[str, Any]) -> str | None:
        try:
            return await self._send(event, destination)
        except SlackApiError as exc:
            raise _refused(exc) from exc

    async def _post(self, channel: str, destination: dict[str, Any], **message: Any) -> str:
        sent = await self.client.chat_postMessage(
            channel=channel, metadata=_metadata(destination), **message
        )
        return f"{sent['channel']} {sent['ts']}"

    async def _send(self, event: dict[str, Any], destination: dict[str, Any]) -> str | None:
        kind = event["kind"]
        if destination["channel"] == "SLACK_UPDATE":
            if kind == "transfer.decided":
                await self._update_copies(event)
            return None
        channel = await self._channel_of(destination)
        dm = destination["channel"] == "SLACK_DM"
        if kind == "transfer.requested":
            transfer, budget = await self._notice(event)
            if transfer is None or transfer["status"] != "PENDING":
                return None  # decided before we got to it: transfer.decided tells the requester
            for posted in transfer.get("slackMessages") or []:
                if posted["channel"] == channel:
                    return f"{posted['channel']} {posted['ts']}"
            privacy = FULL if dm else privacy_for(channel, budget)
            try:
                receipt = await self._post(
                    channel, destination, **message(transfer, privacy=privacy, budget=budget)
                )
            except SlackApiError as exc:
                if dm or _error_code(exc) not in UNREACHABLE_CHANNEL_ERRORS:
                    raise
                return await self._to_owners_instead(transfer, budget, destination, channel, exc)
            await self._record(transfer["id"], receipt)
            return receipt
        if kind == "transfer.decided":
            text = await self._decision_dm(event)
            return None if text is None else await self._post(channel, destination, text=text)
        if kind in ("alert.raised", "alert.digest"):
            text = await self._alert_text(event, channel, dm)
            return None if text is None else await self._post(channel, destination, text=text)
        return None

    async def _record(self, transfer_id: str, receipt: str) -> None:
        channel, ts = receipt.split(" ", 1)
        await self.api.mutate(
            ops.RECORD_SLACK_MESSAGE,
            "recordSlackMessage",
            input={"transferId": transfer_id, "channel": channel, "ts": ts},
        )

    async def _to_owners_instead(
        self,
        transfer: dict[str, Any],
        budget: dict[str, Any],
        destination: dict[str, Any],
        channel: str,
        exc: SlackApiError,
    ) -> str:
        """The bot cannot post in the budget's channel (not invited, gone, archived): each
        owner linked to Slack gets the request by DM, and the requester is told where it went.
        Nobody to send it to: the channel's error, for good."""
        logger.warning(
            "cannot post transfer %s in %s (%s): sending it to the owners by DM",
            transfer["id"],
            channel,
            _error_code(exc),
        )
        receipts: list[str] = []
        posted = {m["channel"] for m in transfer.get("slackMessages") or []}
        for owner in budget.get("owners") or []:
            if not owner.get("slackUserId"):
                continue
            dm = await self._dm_channel(owner["slackUserId"])
            if dm in posted:
                continue
            receipt = await self._post(
                dm, destination, **message(transfer, privacy=FULL, budget=budget)
            )
            await self._record(transfer["id"], receipt)
            receipts.append(receipt)
        requester = transfer.get("requestedBy") or {}
        if requester.get("slackUserId"):
            where = (
                "to the budget's owners by direct message"
                if receipts
                else "nowhere: no owner of the budget is linked to Slack"
            )
            await self._post(
                await self._dm_channel(requester["slackUserId"]),
                destination,
                text=(
                    f":information_source: I'm not in <#{channel}>, the channel of "
                    f"*{escape(budget.get('name') or 'the budget')}*, so your request "
                    f"`{transfer['id']}` went {where}. An owner can invite me with "
                    f"`/invite @Allot` in that channel."
                ),
            )
        if not receipts:
            raise _refused(exc) from exc
        return receipts[0]

    async def _update_copies(self, event: dict[str, Any]) -> None:
        """Every posted copy brought up to date; a copy that is gone (deleted, too old to edit)
        is posted afresh. One copy failing does not keep the others from being updated; a
        permanent failure is not retried."""
        transfer, budget = await self._notice(event)
        if transfer is None:
            return
        failed: Exception | None = None
        for posted in transfer.get("slackMessages") or []:
            privacy = privacy_for(posted["channel"], budget)
            content = message(transfer, privacy=privacy, budget=budget)
            try:
                await self.client.chat_update(channel=posted["channel"], ts=posted["ts"], **content)
            except SlackApiError as exc:
                if _error_code(exc) in GONE_MESSAGE_ERRORS:
                    try:
                        await self.client.chat_postMessage(channel=posted["channel"], **content)
                        continue
                    except SlackApiError as again:
                        exc = again
                logger.warning(
                    "updating %s %s failed: %s", posted["channel"], posted["ts"], _error_code(exc)
                )
                refused = _refused(exc)
                if failed is None or not isinstance(refused, DeliveryRefused):
                    failed = refused
        if failed is not None:
            raise failed

    async def _decision_dm(self, event: dict[str, Any]) -> str | None:
        transfer, _budget = await self._notice(event)
        if transfer is None:
            return None
        return decision_dm_text(transfer)

    async def _alert_text(self, event: dict[str, Any], channel: str, dm: bool) -> str | None:
        payload = event.get("payload") or {}
        if event["kind"] == "alert.digest":
            lines = payload.get("lines") or []
            head = f":bell: Your {str(payload.get('frequency', '')).lower()} Allot alert digest"
            return "\n".join([head, *(f"• {escape(str(line))}" for line in lines)])
        allocation_id = payload.get("allocationId")
        data = await self.api.run(
            ops.ALERT_NOTICE,
            budgetId=encode("Budget", int(event["budgetId"])),
            allocationId=encode("Allocation", int(allocation_id)) if allocation_id else "",
        )
        budget = data["budget"]
        if budget is None:
            return None
        # A DM goes only to someone who may see the alert (the planner checks): FULL.
        privacy = FULL if dm else privacy_for(channel, budget)
        if payload.get("kind", "THRESHOLD") == "THRESHOLD" or privacy == FULL:
            return alert_text(payload, data["node"], budget, privacy=privacy)
        return kind_text(payload, data["node"], budget)

    async def reconcile(self, event: dict[str, Any], destination: dict[str, Any]) -> str | None:
        """The message of this delivery if an earlier try already posted it (found by its
        metadata in the conversation's recent history), recorded as a transfer request's copy
        where it is one; None: not there, send it."""
        if destination["channel"] == "SLACK_UPDATE":
            return None  # updates are idempotent: doing one again changes nothing
        try:
            channel = await self._channel_of(destination)
            history = await self.client.conversations_history(
                channel=channel, oldest=_oldest(destination), limit=100, include_all_metadata=True
            )
        except SlackApiError as exc:
            raise _refused(exc) from exc
        for found in history.get("messages") or []:
            meta = found.get("metadata") or {}
            if meta.get("event_type") != METADATA_TYPE:
                continue
            if (meta.get("event_payload") or {}).get("delivery_id") != destination["id"]:
                continue
            receipt = f"{channel} {found['ts']}"
            if event["kind"] == "transfer.requested":
                transfer, _ = await self._notice(event)
                posted = {
                    (m["channel"], m["ts"]) for m in (transfer or {}).get("slackMessages") or []
                }
                if transfer is not None and (channel, found["ts"]) not in posted:
                    await self._record(transfer["id"], receipt)
            return receipt
        return None


def decision_dm_text(transfer: dict[str, Any]) -> str:
    """The requester's DM: "Your transfer request was approved: $300.00 from NLP Lab to GPU
    Lab.", then who decided it and when (each said once)."""
    outcome = _OUTCOME.get(transfer["status"], transfer["status"].lower())
    summary = transfer_summary(transfer).split(": ", 1)[-1]
    return f"Your transfer request was {outcome}: {summary}.\n{decision_text(transfer)}"


def _oldest(destination: dict[str, Any]) -> str:
    """Slack's `oldest` (a Unix time) a little before the delivery row was made."""
    from datetime import datetime

    try:
        made = datetime.fromisoformat(str(destination.get("createdAt")))
        return f"{max(0.0, made.timestamp() - 60):.6f}"
    except ValueError:
        return "0"


_KIND_WORDS = {
    "FORECAST_OVERRUN": "is projected to overrun",
    "EXHAUSTION_SOON": "is projected to run out before the period ends, in",
    "PACE": "is spending ahead of pace, in",
    "PERIOD_CLOSED": "closed a period, in",
    "TRANSFER_PENDING_TOO_LONG": "has a transfer request waiting for an owner, in",
}


def kind_text(
    payload: dict[str, Any], allocation: dict[str, Any] | None, budget: dict[str, Any]
) -> str:
    """A non-threshold alert where figures may not be shown: what happened, no number."""
    project = (allocation or {}).get("project") or {}
    who = escape(project.get("name") or budget.get("name") or "A budget")
    words = _KIND_WORDS.get(str(payload.get("kind")), "has an alert, in")
    where = escape(budget.get("name") or "")
    if payload.get("kind") == "FORECAST_OVERRUN":
        return f":warning: {who} {words} its allocation in {where} — open Allot to see the figures"
    return f":warning: {who} {words} {where} — open Allot to see the figures"
