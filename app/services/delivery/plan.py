"""Where an event goes: one destination per person and channel, decided when it is fanned out.

- transfer.requested: the budget's Slack channel, else a DM to each owner linked to Slack.
- transfer.decided: the posted copies updated in place, and a DM to the requester (unless
  they decided it themselves).
- both: the App Home of everyone party to the transfer (requester, decider, the budget's
  owners) published again, one SLACK_HOME row per event (target `transfer:12`).
- alert.raised: the budget's channel (budget-level alerts only where the budget's
  slackPrivacy is FULL: their figures are the owners'), and an envelope's alert in its
  project's channel too (`Project.slack_channel`, shown within the budget's slackPrivacy);
  each owner without a preference a DM when the budget has no channel; and everyone whose
  subscription asks for it and who may see the alert (app.domain.access.can_view_alert),
  by the channels they chose, at once or in their digest.
- alert.digest: the one person and channel it was built for.
- budget.digest (app.services.delivery.digest): the budget's Slack channel.
- webhooks: every event of their budget (or of every budget, global ones) of the kinds they
  want; personal webhooks only the alerts their person subscribed to.

Only channels some sender serves are planned (no e-mail rows without SMTP).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tortoise.expressions import Q

from app.domain.access import can_view_alert
from app.models import (
    Alert,
    AlertSubscription,
    Budget,
    BudgetOwner,
    Project,
    TransferRequest,
    User,
    Webhook,
)
from app.services.actors import load_actor


@dataclass(frozen=True)
class Dest:
    channel: str
    target: str
    user_id: int | None = None


@dataclass(frozen=True)
class Digest:
    user_id: int
    channel: str
    frequency: str
    alert_id: int


async def _owners(budget_id: int) -> list[User]:
    links = await BudgetOwner.filter(budget_id=budget_id).select_related("user")
    return [link.user for link in links]


async def _transfer_requested(budget: Budget) -> list[Dest]:
    if budget.slack_channel:
        return [Dest("SLACK_CHANNEL", budget.slack_channel)]
    return [
        Dest("SLACK_DM", u.slack_user_id, u.id) for u in await _owners(budget.id) if u.slack_user_id
    ]


def _home(payload: dict[str, Any]) -> list[Dest]:
    transfer_id = int(payload.get("transferId") or 0)
    return [Dest("SLACK_HOME", f"transfer:{transfer_id}")] if transfer_id else []


async def _transfer_decided(payload: dict[str, Any]) -> list[Dest]:
    transfer = await TransferRequest.get_or_none(id=int(payload.get("transferId") or 0))
    if transfer is None:
        return []
    out = [Dest("SLACK_UPDATE", f"transfer:{transfer.id}")]
    requester = await User.get_or_none(id=transfer.requested_by_id)  # type: ignore[attr-defined]
    decider = transfer.decided_by_id  # type: ignore[attr-defined]
    if requester is not None and requester.slack_user_id and decider != requester.id:
        out.append(Dest("SLACK_DM", requester.slack_user_id, requester.id))
    return out


def _wants(sub: AlertSubscription, alert: Alert) -> bool:
    return (not sub.kinds or alert.kind in sub.kinds) and (
        not sub.scopes or alert.scope in sub.scopes
    )


async def _person(
    user: User, sub: AlertSubscription, alert: Alert, budget: Budget
) -> tuple[list[Dest], list[Digest]]:
    dests: list[Dest] = []
    digests: list[Digest] = []
    for channel in sub.channels or []:
        if sub.frequency != "IMMEDIATE" and channel in ("EMAIL", "SLACK_DM"):
            digests.append(Digest(user.id, channel, sub.frequency, alert.id))
        elif channel == "SLACK_DM" and user.slack_user_id:
            dests.append(Dest("SLACK_DM", user.slack_user_id, user.id))
        elif channel == "EMAIL":
            dests.append(Dest("EMAIL", user.email, user.id))
        elif channel == "SLACK_CHANNEL" and sub.slack_channel:
            if alert.scope == "ALLOCATION" or budget.slack_privacy == "FULL":
                dests.append(Dest("SLACK_CHANNEL", sub.slack_channel, user.id))
        elif channel == "WEBHOOK":
            hooks = await Webhook.filter(user_id=user.id, disabled_at=None)
            dests += [Dest("WEBHOOK", str(h.id), user.id) for h in hooks]
    return dests, digests


async def _alert(payload: dict[str, Any], budget: Budget) -> tuple[list[Dest], list[Digest]]:
    alert = await Alert.get_or_none(id=int(payload.get("alertId") or 0)).select_related(
        "allocation"
    )
    if alert is None:
        return [], []
    project_id = alert.allocation.project_id if alert.allocation else None  # type: ignore[attr-defined]
    dests: list[Dest] = []
    digests: list[Digest] = []
    if budget.slack_channel and (alert.scope == "ALLOCATION" or budget.slack_privacy == "FULL"):
        dests.append(Dest("SLACK_CHANNEL", budget.slack_channel))
    if project_id is not None and alert.scope == "ALLOCATION":
        project = await Project.get_or_none(id=project_id)
        if project is not None and project.slack_channel:
            dests.append(Dest("SLACK_CHANNEL", project.slack_channel))
    subs = await AlertSubscription.filter(
        Q(budget_id=budget.id) | Q(budget_id=None)
    ).select_related("user")
    chosen: dict[int, AlertSubscription] = {}
    for sub in sorted(subs, key=lambda s: s.budget_id is not None):  # type: ignore[attr-defined]
        chosen[sub.user_id] = sub  # type: ignore[attr-defined]  # a budget's own row wins
    for owner in await _owners(budget.id):
        if owner.id not in chosen and owner.slack_user_id and not budget.slack_channel:
            dests.append(Dest("SLACK_DM", owner.slack_user_id, owner.id))
    for sub in chosen.values():
        if not _wants(sub, alert):
            continue
        actor = await load_actor(sub.user)
        if not can_view_alert(actor, budget.id, project_id):
            continue  # a subscription never widens what someone may see
        more, later = await _person(sub.user, sub, alert, budget)
        dests += more
        digests += later
    return dests, digests


async def _digest(payload: dict[str, Any]) -> list[Dest]:
    user = await User.get_or_none(id=int(payload.get("userId") or 0))
    if user is None:
        return []
    if payload.get("channel") == "EMAIL":
        return [Dest("EMAIL", user.email, user.id)]
    if payload.get("channel") == "SLACK_DM" and user.slack_user_id:
        return [Dest("SLACK_DM", user.slack_user_id, user.id)]
    return []


async def _webhooks(event: dict[str, Any]) -> list[Dest]:
    budget_id = event.get("budgetId")
    scope = Q(budget_id=None) if budget_id is None else Q(budget_id=budget_id) | Q(budget_id=None)
    hooks = await Webhook.filter(scope, user_id=None, disabled_at=None)
    return [Dest("WEBHOOK", str(h.id)) for h in hooks if not h.kinds or event["kind"] in h.kinds]


async def destinations(
    event: dict[str, Any], channels: frozenset[str]
) -> tuple[list[Dest], list[Digest]]:
    """Where `event` goes, among `channels`; and the digest entries it makes."""
    kind, payload = event["kind"], event.get("payload") or {}
    budget_id = event.get("budgetId")
    budget = None if budget_id is None else await Budget.get_or_none(id=int(budget_id))
    dests: list[Dest] = []
    digests: list[Digest] = []
    if kind == "alert.digest":
        dests += await _digest(payload)
    elif budget is not None and kind == "transfer.requested":
        dests += await _transfer_requested(budget) + _home(payload)
    elif budget is not None and kind == "transfer.decided":
        dests += await _transfer_decided(payload) + _home(payload)
    elif budget is not None and kind == "budget.digest" and budget.slack_channel:
        dests.append(Dest("SLACK_CHANNEL", budget.slack_channel))
    elif budget is not None and kind == "alert.raised":
        dests, digests = await _alert(payload, budget)
    if "WEBHOOK" in channels and kind != "alert.digest":
        dests += await _webhooks(event)
    unique = list(dict.fromkeys(d for d in dests if d.channel in channels))
    if "SLACK_DM" not in channels:
        digests = [d for d in digests if d.channel != "SLACK_DM"]
    if "EMAIL" not in channels:
        digests = [d for d in digests if d.channel != "EMAIL"]
    return unique, digests
