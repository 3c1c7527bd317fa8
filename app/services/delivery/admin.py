"""What admins see and do about deliveries: the rows (DEAD ones with their reason), a retry
by hand, and webhook endpoints (create, rotate the secret, delete)."""

from __future__ import annotations

from datetime import timedelta

from tortoise.queryset import QuerySet

from app import clock
from app.domain.access import (
    Actor,
    can_manage_webhook,
    can_retry_delivery,
    can_view_deliveries,
    is_owner,
    require,
)
from app.domain.errors import InvalidState, NotFound, ValidationError
from app.models import Delivery, Webhook
from app.services import lookup
from app.services.delivery.webhook import check_url, new_secret
from app.services.sql import execute
from app.settings import get_settings

STATES = ("PENDING", "SENDING", "DELIVERED", "DEAD")


def visible_deliveries(actor: Actor, state: str | None = None) -> QuerySet[Delivery]:
    require(can_view_deliveries(actor), "see deliveries")
    if state is not None and state not in STATES:
        raise ValidationError("state", "must be PENDING, SENDING, DELIVERED or DEAD")
    query = Delivery.all()
    return query if state is None else query.filter(state=state)


async def retry(actor: Actor, delivery_id: int) -> Delivery:
    """A DEAD delivery back in line now, with a fresh count of attempts."""
    require(can_retry_delivery(actor), "retry deliveries")
    row = await Delivery.get_or_none(id=delivery_id)
    if row is None:
        raise NotFound("Delivery", delivery_id, field="deliveryId")
    if row.state != "DEAD":
        raise InvalidState(f"only a DEAD delivery can be retried (this one is {row.state})")
    await execute(
        "UPDATE delivery SET state = 'PENDING', attempts = 0, next_attempt_at = ?,"
        " dead_reason = NULL WHERE id = ? AND state = 'DEAD'",
        clock.now(),
        delivery_id,
    )
    await row.refresh_from_db()
    return row


KINDS = frozenset(
    {
        "alert.raised",
        "alert.resolved",
        "spend.recorded",
        "allocation.changed",
        "transfer.requested",
        "transfer.decided",
        "period.closed",
        "period.reopened",
        "budget.planned",
        "budget.created",
        "reservation.created",
        "reservation.settled",
        "reservation.released",
        "reservation.expired",
    }
)


async def create_webhook(
    actor: Actor,
    url: str,
    *,
    budget_id: int | None = None,
    personal: bool = False,
    kinds: list[str] | None = None,
) -> tuple[Webhook, str]:
    """A webhook and its secret (shown this once): of a budget (owners), personal (for your
    own alert subscriptions) or global (admins)."""
    url = check_url(url)
    for i, kind in enumerate(kinds or []):
        if kind not in KINDS:
            raise ValidationError(f"kinds[{i}]", f"is not an event kind: {sorted(KINDS)}")
    if budget_id is not None:
        if personal:
            raise ValidationError("personal", "a personal webhook belongs to no budget")
        budget_id = (await lookup.budget(budget_id)).id
    user_id = actor.user_id if personal else None
    require(can_manage_webhook(actor, budget_id, user_id), "manage these webhooks")
    secret = new_secret()
    hook = await Webhook.create(
        url=url,
        budget_id=budget_id,
        user_id=user_id,
        kinds=sorted(set(kinds or [])),
        secret=secret,
        created_by_id=actor.user_id,
    )
    return hook, secret


async def _own(actor: Actor, webhook_id: int) -> Webhook:
    hook = await Webhook.get_or_none(id=webhook_id, disabled_at=None)
    if hook is None or not can_manage_webhook(actor, hook.budget_id, hook.user_id):  # type: ignore[attr-defined]
        raise NotFound("Webhook", webhook_id, field="webhookId")
    return hook


async def rotate_secret(actor: Actor, webhook_id: int) -> tuple[Webhook, str]:
    """A new secret (shown once); the old one keeps signing too for the grace period."""
    hook = await _own(actor, webhook_id)
    secret = new_secret()
    hook.previous_secret = hook.secret
    hook.previous_secret_expires_at = clock.now() + timedelta(
        hours=get_settings().webhook_secret_grace_hours
    )
    hook.secret = secret
    await hook.save(update_fields=["secret", "previous_secret", "previous_secret_expires_at"])
    return hook, secret


async def delete_webhook(actor: Actor, webhook_id: int) -> None:
    hook = await _own(actor, webhook_id)
    hook.disabled_at = clock.now()
    await hook.save(update_fields=["disabled_at"])


def visible_webhooks(actor: Actor) -> QuerySet[Webhook]:
    """Webhooks the actor manages: admins all; owners their budgets'; everyone their own."""
    query = Webhook.filter(disabled_at=None)
    if actor.is_admin:
        return query
    from tortoise.expressions import Q

    owned = [b for b in actor.owned_budgets if is_owner(actor, b)]
    return query.filter(Q(budget_id__in=owned) | Q(user_id=actor.user_id))
