"""Alerts (objects with a lifecycle and a history) and the outbox (written in the same
transaction as the change).

An alert is raised once per condition and scope (an allocation, or a whole budget period) and
lives OPEN → ACKNOWLEDGED → RESOLVED; a condition that clears and comes back raises a new alert
(`dedupe_key` carries a generation number), so a budget hovering around a line never storms.
"""

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
    # Null for a budget-level alert (scope BUDGET: the period's figures, owners only).
    allocation: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.Allocation", related_name="alerts", null=True, on_delete=fields.CASCADE
    )
    # TRANSFER_PENDING_TOO_LONG names its transfer.
    transfer_id = fields.IntField(null=True)
    scope = fields.CharField(max_length=16, default="ALLOCATION", db_default="ALLOCATION")
    kind = fields.CharField(max_length=32)
    # THRESHOLD: the highest level crossed, as percent used or as amount remaining (micros).
    threshold = fields.IntField(null=True)
    remaining_threshold_micros = fields.BigIntField(null=True)
    # Every threshold this alert stands for ("50%", "80%", "remaining 100"), lowest first.
    crossed = fields.JSONField(default=list, db_default="[]")
    # The figures when it was raised (or last escalated).
    allocated_micros = fields.BigIntField(null=True)
    spent_micros = fields.BigIntField(null=True)
    projected_micros = fields.BigIntField(null=True)
    exhaustion_date = fields.DateField(null=True)
    state = fields.CharField(max_length=16, default="OPEN", db_default="OPEN")
    # Unique per scope, condition and generation: two spends crossing one line at the same
    # moment raise one alert.
    dedupe_key = fields.CharField(max_length=200, unique=True)
    message = fields.TextField()
    acknowledged_by: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.User", related_name="acknowledged_alerts", null=True, on_delete=fields.SET_NULL
    )
    acknowledged_at = fields.DatetimeField(null=True)
    note = fields.TextField(null=True)
    resolved_at = fields.DatetimeField(null=True)
    resolved_reason = fields.CharField(max_length=200, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(null=True)

    class Meta:
        table = "alert"
        indexes = (("state",),)


class AlertEvent(Model):
    """One step of an alert's history: RAISED, ESCALATED, ACKNOWLEDGED, RESOLVED."""

    id = fields.BigIntField(primary_key=True)
    alert: fields.ForeignKeyRelation[Alert] = fields.ForeignKeyField(
        "models.Alert", related_name="history", on_delete=fields.CASCADE
    )
    action = fields.CharField(max_length=16)
    user_id = fields.IntField(null=True)
    note = fields.TextField(null=True)
    figures = fields.JSONField(null=True)
    at = fields.DatetimeField()

    class Meta:
        table = "alert_event"


class OutboxEvent(Model):
    """The event log, written in the change's transaction (services insert `kind, budget_id,
    payload, audience, dedupe_key, created_at`, some with raw SQL: keep those columns).

    The worker fans each event out to one `Delivery` row per destination and to the live
    broadcast; `delivered_at` is when that fan-out committed (the event left the outbox),
    `attempts` / `next_attempt_at` / `last_error` belong to the fan-out claim. Per destination
    delivery state lives on `Delivery` (app/models/delivery.py)."""

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
