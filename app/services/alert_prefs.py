"""Alert subscription preferences: which kinds and scopes, of which budget, by which channels,
at once or in a daily or weekly digest. One row per person and budget (or all budgets); the
budget's own row wins over the all-budgets one. Without any row an owner keeps the default:
a Slack DM for every alert of a budget that has no Slack channel."""

from __future__ import annotations

from app import clock
from app.domain.access import Actor, can_subscribe_to_budget, require
from app.domain.errors import ValidationError
from app.models import AlertSubscription, Allocation
from app.services import lookup
from app.services.alert_store import KINDS

CHANNELS = ("SLACK_DM", "SLACK_CHANNEL", "EMAIL", "WEBHOOK")
FREQUENCIES = ("IMMEDIATE", "DAILY", "WEEKLY")
SCOPES = ("BUDGET", "ALLOCATION")


def _check(values: list[str] | None, allowed: tuple[str, ...], name: str) -> list[str]:
    out = []
    for i, v in enumerate(values or []):
        if v not in allowed:
            raise ValidationError(f"{name}[{i}]", f"must be one of {', '.join(allowed)}")
        out.append(v)
    return sorted(set(out))


async def set_subscription(
    actor: Actor,
    *,
    budget_id: int | None,
    kinds: list[str] | None,
    scopes: list[str] | None,
    channels: list[str],
    frequency: str = "IMMEDIATE",
    slack_channel: str | None = None,
) -> AlertSubscription:
    """Set the actor's preference for one budget (or all); no channels: hear nothing."""
    if frequency not in FREQUENCIES:
        raise ValidationError("frequency", "must be IMMEDIATE, DAILY or WEEKLY")
    chosen = _check(channels, CHANNELS, "channels")
    if "SLACK_CHANNEL" in chosen and not (slack_channel or "").strip():
        raise ValidationError("slackChannel", "is needed for the SLACK_CHANNEL channel")
    if slack_channel is not None and len(slack_channel) > 100:
        raise ValidationError("slackChannel", "must be at most 100 characters")
    if budget_id is not None:
        budget = await lookup.budget(budget_id)
        funded = await Allocation.filter(
            budget_id=budget.id, project_id__in=list(actor.project_roles)
        ).values_list("project_id", flat=True)
        require(
            can_subscribe_to_budget(actor, budget.id, funded),  # type: ignore[arg-type]
            "subscribe to this budget's alerts",
        )
    values = {
        "kinds": _check(kinds, KINDS, "kinds"),
        "scopes": _check(scopes, SCOPES, "scopes"),
        "channels": chosen,
        "frequency": frequency,
        "slack_channel": (slack_channel or "").strip() or None,
        "updated_at": clock.now(),
    }
    row = await AlertSubscription.get_or_none(user_id=actor.user_id, budget_id=budget_id)
    if row is None:
        return await AlertSubscription.create(user_id=actor.user_id, budget_id=budget_id, **values)
    await AlertSubscription.filter(id=row.id).update(**values)
    await row.refresh_from_db()
    return row


async def subscriptions(actor: Actor) -> list[AlertSubscription]:
    """The actor's own preferences (nobody reads another person's)."""
    return await AlertSubscription.filter(user_id=actor.user_id).order_by("id")
