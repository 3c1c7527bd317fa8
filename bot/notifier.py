"""The outbox's Slack sink: approval requests to owners, decisions to everyone concerned,
alerts to the budget's (and the project's) channel or the owners, the budget channels'
scheduled digests, and App Home refreshed for the people a transfer concerns.

Alerts (bot/blocks/alerts.py) carry a severity, their figures within the channel's privacy,
links to the web app and an Acknowledge button; each envelope's alerts form one thread per
channel: the first is posted top-level and remembered (`recordSlackMessage` with an alertId),
later ones reply in its thread. A channel the bot cannot post in sends alerts, requests and
digests to the owners by DM instead.

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
from bot.blocks.alerts import alert_message
from bot.blocks.digest import budget_digest_message
from bot.blocks.privacy import FULL, privacy_for
from bot.blocks.transfers import decision_text
from bot.links import open_link, web_url
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
    channels = frozenset({"SLACK_DM", "SLACK_CHANNEL", "SLACK_UPDATE", "SLACK_HOME"})

    def __init__(
        self, client: AsyncWebClient, schema: Any = None, *, public_url: str | None = None
    ) -> None:
        if schema is None:
            from schema import schema as default_schema

            schema = default_schema
        self.client = client
        self.api = NotifierActor(schema)
        #: The web app's address (ALLOT_PUBLIC_URL) for deep links; None: no links.
        self.public_url = public_url or None

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
                channel=channel, **message(transfer, privacy=privacy, public_url=self.public_url)
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
                channel=posted["channel"],
                ts=posted["ts"],
                **message(transfer, privacy=privacy, public_url=self.public_url),
            )
        requester = transfer.get("requestedBy") or {}
        decider = transfer.get("decidedBy") or {}
        if not requester.get("slackUserId"):
            return
        if decider.get("id") == requester.get("id"):
            return  # they decided it themselves (applied at once, or cancelled): they know
        text = decision_dm_text(transfer, self.public_url)
        await self.client.chat_postMessage(
            channel=await self._dm_channel(requester["slackUserId"]), text=text
        )

    async def alert_raised(self, event: dict[str, Any]) -> None:
        notice = await self._alert_notice(event)
        if notice is None:
            return
        for channel, privacy in await self._audience(notice[2]):
            await self._post_alert(channel, None, self._alert_content(notice, privacy))

    async def _alert_notice(
        self, event: dict[str, Any]
    ) -> tuple[dict[str, Any], dict[str, Any] | None, dict[str, Any], dict[str, Any]] | None:
        """(payload, allocation, budget, alert) read through GraphQL; None: the budget is gone."""
        payload = event.get("payload") or {}
        allocation_id = payload.get("allocationId")
        alert_id = payload.get("alertId")
        data = await self.api.run(
            ops.ALERT_NOTICE,
            budgetId=encode("Budget", int(event["budgetId"])),
            allocationId=encode("Allocation", int(allocation_id)) if allocation_id else "",
            alertId=encode("Alert", int(alert_id)) if alert_id else "",
        )
        if data["budget"] is None:
            return None
        return payload, data["node"], data["budget"], data.get("alert") or {}

    def _alert_content(self, notice: tuple[Any, ...], privacy: str) -> dict[str, Any]:
        payload, allocation, budget, alert = notice
        body = None
        if payload.get("kind", "THRESHOLD") != "THRESHOLD" and privacy != FULL:
            body = kind_text(payload, allocation, budget)
        return alert_message(
            payload,
            allocation,
            budget,
            alert,
            privacy=privacy,
            public_url=self.public_url,
            body=body,
        )

    async def _post_alert(
        self,
        channel: str,
        destination: dict[str, Any] | None,
        content: dict[str, Any],
        alert: dict[str, Any] | None = None,
    ) -> str:
        """Post an alert in `channel`: in the thread of its envelope's first alert there, or
        top-level as that thread's start (recorded, so the next one replies to it)."""
        alert = alert or {}
        thread = next(
            (t["ts"] for t in alert.get("slackThreads") or [] if t.get("channel") == channel),
            None,
        )
        extra: dict[str, Any] = {"thread_ts": thread} if thread else {}
        if destination is None:
            sent = await self.client.chat_postMessage(channel=channel, **content, **extra)
            receipt = f"{sent['channel']} {sent['ts']}"
        else:
            receipt = await self._post(channel, destination, **content, **extra)
        if alert.get("id") and not thread:
            posted_in, ts = receipt.split(" ", 1)
            await self.api.mutate(
                ops.RECORD_SLACK_MESSAGE,
                "recordSlackMessage",
                input={"alertId": alert["id"], "channel": posted_in, "ts": ts},
            )
        return receipt

    async def _send_alert(
        self, event: dict[str, Any], destination: dict[str, Any], channel: str, dm: bool
    ) -> str | None:
        notice = await self._alert_notice(event)
        if notice is None:
            return None
        budget, alert = notice[2], notice[3]
        # A DM goes only to someone who may see the alert (the planner checks): FULL.
        privacy = FULL if dm else privacy_for(channel, budget)
        try:
            return await self._post_alert(
                channel, destination, self._alert_content(notice, privacy), alert
            )
        except SlackApiError as exc:
            if dm or _error_code(exc) not in UNREACHABLE_CHANNEL_ERRORS:
                raise
            logger.warning(
                "cannot post alert %s in %s (%s): sending it to the owners by DM",
                alert.get("id"),
                channel,
                _error_code(exc),
            )
            receipts = [
                await self._post_alert(
                    await self._dm_channel(owner["slackUserId"]),
                    destination,
                    self._alert_content(notice, FULL),
                    alert,
                )
                for owner in budget.get("owners") or []
                if owner.get("slackUserId")
            ]
            if not receipts:
                raise _refused(exc) from exc
            return receipts[0]

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
        if destination["channel"] == "SLACK_HOME":
            await self._refresh_homes(event)
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
                    channel,
                    destination,
                    **message(transfer, privacy=privacy, budget=budget, public_url=self.public_url),
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
        if kind == "alert.raised":
            return await self._send_alert(event, destination, channel, dm)
        if kind == "budget.digest":
            return await self._send_budget_digest(event, destination, channel, dm)
        if kind == "alert.digest":
            text = self._digest_text(event)
            return await self._post(channel, destination, text=text)
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
                dm,
                destination,
                **message(transfer, privacy=FULL, budget=budget, public_url=self.public_url),
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
                    + (f"\n{link}" if (link := open_link(self.public_url, transfer["id"])) else "")
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
            content = message(transfer, privacy=privacy, budget=budget, public_url=self.public_url)
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

    async def _refresh_homes(self, event: dict[str, Any]) -> None:
        """App Home published again, as each person reads it, for everyone linked to Slack who
        is party to the transfer: the requester, the decider and the budget's owners. One
        person's refusal (not in the workspace any more) does not keep the others waiting; an
        error a retry may fix is raised once all were tried (publishing again is harmless)."""
        from bot.api import SlackActor
        from bot.listeners.events.app_home_opened import publish_home

        transfer, budget = await self._notice(event)
        if transfer is None:
            return
        owners = budget.get("owners") or []
        people = [transfer.get("requestedBy"), transfer.get("decidedBy"), *owners]
        slack_ids = list(
            dict.fromkeys(p["slackUserId"] for p in people if p and p.get("slackUserId"))
        )
        failed: Exception | None = None
        for slack_id in slack_ids:
            actor = SlackActor(self.api.schema, slack_id, None)
            try:
                await publish_home(self.client, actor, public_url=self.public_url)
            except SlackApiError as exc:
                logger.warning("publishing App Home of %s failed: %s", slack_id, _error_code(exc))
                if _error_code(exc) not in PERMANENT_ERRORS:
                    failed = exc
        if failed is not None:
            raise failed

    async def _decision_dm(self, event: dict[str, Any]) -> str | None:
        transfer, _budget = await self._notice(event)
        if transfer is None:
            return None
        return decision_dm_text(transfer, self.public_url)

    async def _send_budget_digest(
        self, event: dict[str, Any], destination: dict[str, Any], channel: str, dm: bool
    ) -> str | None:
        """The budget channel's scheduled digest, within the budget's slackPrivacy; the owners
        get it by DM (everything) when the bot cannot post in the channel."""
        data = await self.api.run(ops.BUDGET_DIGEST, id=encode("Budget", int(event["budgetId"])))
        budget = data["budget"]
        if budget is None:
            return None
        payload = event.get("payload") or {}
        privacy = FULL if dm else privacy_for(channel, budget)

        def content(privacy: str) -> dict[str, Any]:
            return budget_digest_message(
                budget, payload, privacy=privacy, public_url=self.public_url
            )

        try:
            return await self._post(channel, destination, **content(privacy))
        except SlackApiError as exc:
            if dm or _error_code(exc) not in UNREACHABLE_CHANNEL_ERRORS:
                raise
            receipts = [
                await self._post(
                    await self._dm_channel(owner["slackUserId"]), destination, **content(FULL)
                )
                for owner in budget.get("owners") or []
                if owner.get("slackUserId")
            ]
            if not receipts:
                raise _refused(exc) from exc
            return receipts[0]

    def _digest_text(self, event: dict[str, Any]) -> str:
        payload = event.get("payload") or {}
        lines = payload.get("lines") or []
        head = f":bell: Your {str(payload.get('frequency', '')).lower()} Allot alert digest"
        link = web_url(self.public_url)
        tail = [f"<{link}|Open Allot>"] if link else []
        return "\n".join([head, *(f"• {escape(str(line))}" for line in lines), *tail])

    async def reconcile(self, event: dict[str, Any], destination: dict[str, Any]) -> str | None:
        """The message of this delivery if an earlier try already posted it (found by its
        metadata in the conversation's recent history), recorded as a transfer request's copy
        where it is one; None: not there, send it."""
        if destination["channel"] in ("SLACK_UPDATE", "SLACK_HOME"):
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
            if event["kind"] == "alert.raised" and not found.get("thread_ts"):
                await self._record_thread_if_new(event, channel, str(found["ts"]))
            return receipt
        return None

    async def _record_thread_if_new(self, event: dict[str, Any], channel: str, ts: str) -> None:
        """A top-level alert found by reconcile starts its envelope's thread in `channel`
        unless one is recorded there already."""
        notice = await self._alert_notice(event)
        alert = notice[3] if notice else {}
        threads = {t.get("channel") for t in alert.get("slackThreads") or []}
        if alert.get("id") and channel not in threads:
            await self.api.mutate(
                ops.RECORD_SLACK_MESSAGE,
                "recordSlackMessage",
                input={"alertId": alert["id"], "channel": channel, "ts": ts},
            )


def decision_dm_text(transfer: dict[str, Any], public_url: str | None = None) -> str:
    """The requester's DM: "Your transfer request was approved: $300.00 from NLP Lab to GPU
    Lab.", then who decided it and when (each said once), and a link to the transfer's page
    in the web app when its address is set."""
    outcome = _OUTCOME.get(transfer["status"], transfer["status"].lower())
    summary = transfer_summary(transfer).split(": ", 1)[-1]
    text = f"Your transfer request was {outcome}: {summary}.\n{decision_text(transfer)}"
    link = open_link(public_url, transfer.get("id"))
    return f"{text}\n{link}" if link else text


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
