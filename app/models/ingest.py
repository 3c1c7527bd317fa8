"""Imports: routing rules (which project a cost row belongs to) and the rows no rule claimed."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class RoutingRule(Model):
    # Tried by priority, lowest first (ties by id), the first match wins. match is tag,
    # sub_account or service. key is the tag name (tag rules only). budget, when set, picks the
    # project's allocation in that budget (else the project's only open allocation).

    id = fields.IntField(primary_key=True)
    priority = fields.IntField(default=100)
    match = fields.CharField(max_length=16)
    key = fields.CharField(max_length=200, null=True)
    value = fields.CharField(max_length=500)
    project: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.Project", related_name="routing_rules", on_delete=fields.CASCADE
    )
    budget: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.Budget", related_name="routing_rules", null=True, on_delete=fields.CASCADE
    )
    created_by: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.User", related_name="routing_rules", null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "routing_rule"


class UnassignedSpend(Model):
    # A cost row an import read but could not record as a project's spend: no routing rule
    # claimed it, or the rule's project cannot take it (no allocation in the target budget,
    # or several budgets and none named). Kept, not lost, until it is assigned to a project
    # by hand or by re-applying the rules (then it becomes a Spend and this row is deleted).
    # budget is the --budget the import was restricted to, else the rule's budget, if any
    # (its owners see the row). reason says why it is held (null: rows held before reasons).

    id = fields.BigIntField(primary_key=True)
    source = fields.CharField(max_length=32)
    external_id = fields.CharField(max_length=255)
    occurred_at = fields.DatetimeField()
    amount_micros = fields.BigIntField()
    amount_text = fields.CharField(max_length=64)
    currency = fields.CharField(max_length=3)
    service = fields.CharField(max_length=200, null=True)
    sub_account_id = fields.CharField(max_length=200, null=True)
    sub_account_name = fields.CharField(max_length=200, null=True)
    tags = fields.JSONField(default=dict)
    charge_category = fields.CharField(max_length=32, null=True)
    description = fields.TextField(null=True)
    quantity = fields.CharField(max_length=64, null=True)
    unit = fields.CharField(max_length=64, null=True)
    provider = fields.CharField(max_length=200, null=True)
    line = fields.IntField(default=0)
    budget: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.Budget", related_name="unassigned_spends", null=True, on_delete=fields.CASCADE
    )
    reason = fields.CharField(max_length=500, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "unassigned_spend"
        unique_together = (("source", "external_id"),)
