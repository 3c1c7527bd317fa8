"""Planned amounts: a budget period may be funded differently from the budget's usual amount."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class BudgetPlan(Model):
    # The amount (micros) that funds the period of `budget` starting on `period_start`.
    # Read when that period opens, a period without a plan is funded with Budget.amount_micros.

    id = fields.IntField(primary_key=True)
    budget: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.Budget", related_name="plans", on_delete=fields.CASCADE
    )
    period_start = fields.DateField()
    amount_micros = fields.BigIntField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "budget_plan"
        unique_together = (("budget", "period_start"),)
