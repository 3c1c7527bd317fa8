"""What raises alerts (thresholds beyond a budget's alertThresholds) and who hears of them
(subscription preferences, digests)."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class AlertRule(Model):
    """One threshold: percent used or amount remaining, of the whole budget (scope BUDGET) or
    of its envelopes (scope ALLOCATION; `project` null: every envelope, else that project's).
    A budget's `alert_thresholds` stay the default percent levels of both scopes."""

    id = fields.IntField(primary_key=True)
    budget: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.Budget", related_name="alert_rules", on_delete=fields.CASCADE
    )
    scope = fields.CharField(max_length=16)
    project: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.Project", related_name="alert_rules", null=True, on_delete=fields.CASCADE
    )
    percent_used = fields.IntField(null=True)
    remaining_micros = fields.BigIntField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "alert_rule"


class AlertSubscription(Model):
    """A person's choice: which alert kinds and scopes, of which budget (null: every budget
    they may see), by which channels, at once or as a daily or weekly digest."""

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.User", related_name="alert_subscriptions", on_delete=fields.CASCADE
    )
    budget: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.Budget", related_name="alert_subscriptions", null=True, on_delete=fields.CASCADE
    )
    kinds = fields.JSONField(default=list)  # empty: every kind
    scopes = fields.JSONField(default=list)  # BUDGET, ALLOCATION; empty: both
    channels = fields.JSONField(default=list)  # SLACK_DM, SLACK_CHANNEL, EMAIL, WEBHOOK
    slack_channel = fields.CharField(max_length=100, null=True)
    frequency = fields.CharField(max_length=12, default="IMMEDIATE")  # or DAILY, WEEKLY
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(null=True)

    class Meta:
        table = "alert_subscription"


class DigestItem(Model):
    """An alert waiting for its person's digest on one channel (batched_at: when it was sent)."""

    id = fields.BigIntField(primary_key=True)
    user_id = fields.IntField()
    channel = fields.CharField(max_length=16)
    frequency = fields.CharField(max_length=12)
    alert: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.Alert", related_name="digest_items", on_delete=fields.CASCADE
    )
    event_id = fields.BigIntField()
    created_at = fields.DatetimeField()
    batched_at = fields.DatetimeField(null=True)

    class Meta:
        table = "digest_item"
        unique_together = (("user_id", "channel", "event_id"),)
