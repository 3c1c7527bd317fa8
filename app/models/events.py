"""Alerts (once per threshold) and the outbox (written in the same transaction as the change)."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class Alert(Model):
    id = fields.IntField(primary_key=True)
    budget: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.Budget", related_name="alerts", on_delete=fields.CASCADE
    )
    period: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.BudgetPeriod", related_name="alerts", on_delete=fields.CASCADE
    )
    allocation: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.Allocation", related_name="alerts", null=True, on_delete=fields.CASCADE
    )
    kind = fields.CharField(max_length=24)
    threshold = fields.IntField()
    # One alert per (scope, kind, threshold): the unique key makes "once per threshold" hold
    # even when two spends cross it at the same moment.
    dedupe_key = fields.CharField(max_length=200, unique=True)
    message = fields.TextField()
    acknowledged_by: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.User", related_name="acknowledged_alerts", null=True, on_delete=fields.SET_NULL
    )
    acknowledged_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "alert"


class OutboxEvent(Model):
    id = fields.BigIntField(primary_key=True)
    kind = fields.CharField(max_length=48)
    budget_id = fields.IntField(null=True, db_index=True)
    payload = fields.JSONField()
    # Who may see it live (app.domain.access.EventAudience): null = whoever sees the budget.
    audience = fields.JSONField(null=True)
    dedupe_key = fields.CharField(max_length=200, null=True, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField(null=True)
    delivered_at = fields.DatetimeField(null=True, db_index=True)
    last_error = fields.TextField(null=True)

    class Meta:
        table = "outbox_event"
