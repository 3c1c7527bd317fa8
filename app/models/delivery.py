"""Per-destination delivery of outbox events, and the webhook endpoints they go to.

One `Delivery` row per (event, channel, target): a Slack DM to one person, a Slack channel, an
e-mail address, a webhook. Each has its own attempts, error and next attempt, so one failing
destination never causes another to be sent again (app/services/delivery/dispatch.py).

States: PENDING (due at `next_attempt_at`) → SENDING (claimed with a lease; `uncertain` set
when the call may have reached the destination) → DELIVERED, or DEAD after the cap (attempts
or age) or a permanent error, with `dead_reason`; an admin may put a DEAD one back to PENDING.
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class Delivery(Model):
    id = fields.BigIntField(primary_key=True)
    event: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.OutboxEvent", related_name="deliveries", on_delete=fields.CASCADE
    )
    # SLACK_DM, SLACK_CHANNEL, SLACK_UPDATE, SLACK_HOME, EMAIL, WEBHOOK, or SINK (a callable).
    channel = fields.CharField(max_length=16)
    # Slack user or channel id, e-mail address, webhook id, "transfer:12", a sink's name.
    target = fields.CharField(max_length=320)
    # The person it is for (null: a channel, a webhook of a budget).
    user_id = fields.IntField(null=True)
    state = fields.CharField(max_length=12, default="PENDING")
    attempts = fields.IntField(default=0)
    # The last try may have reached the destination (a kill or a timeout after the call went
    # out): the next one looks for the message first (Slack) instead of sending again.
    uncertain = fields.BooleanField(default=False)
    next_attempt_at = fields.DatetimeField()
    last_error = fields.TextField(null=True)
    dead_reason = fields.TextField(null=True)
    # Where it landed: Slack "channel ts", the SMTP Message-ID, the webhook's HTTP status.
    receipt = fields.CharField(max_length=200, null=True)
    created_at = fields.DatetimeField()
    delivered_at = fields.DatetimeField(null=True)

    class Meta:
        table = "delivery"
        unique_together = (("event", "channel", "target"),)
        indexes = (("state", "next_attempt_at"),)


class Webhook(Model):
    """An HTTPS endpoint that receives events as signed JSON (docs/webhooks.md): of one budget
    (its owners manage it), of every budget (global: admins), or personal (alerts its user
    subscribed to with the WEBHOOK channel). The secret signs; it is shown once, at creation
    and at each rotation, and the previous one keeps signing for a grace period."""

    id = fields.IntField(primary_key=True)
    budget: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.Budget", related_name="webhooks", null=True, on_delete=fields.CASCADE
    )
    user: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.User", related_name="webhooks", null=True, on_delete=fields.CASCADE
    )
    url = fields.CharField(max_length=2000)
    # Event kinds it wants (alert.raised, transfer.requested, …); empty: every kind.
    kinds = fields.JSONField(default=list)
    secret = fields.CharField(max_length=128)
    previous_secret = fields.CharField(max_length=128, null=True)
    previous_secret_expires_at = fields.DatetimeField(null=True)
    created_by_id = fields.IntField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    disabled_at = fields.DatetimeField(null=True)

    class Meta:
        table = "webhook"
