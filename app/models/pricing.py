"""Rate cards: prices per unit of usage (tokens, hours, GPU-hours), versioned by effective date.

Prices are stored exactly as decimal text: LLM prices such as 0.000000075 USD per token are
far below a micro-unit, so they cannot be micros. Money is only rounded (half-even, to micros)
once, when a whole spend has been priced.
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class RateCard(Model):
    # A named set of rates in one currency. budget = NULL means global (any budget may use it),
    # otherwise the card prices only that budget's spend and wins over global cards there.

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=100, unique=True)
    currency = fields.CharField(max_length=3, default="USD")
    budget: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.Budget", related_name="rate_cards", null=True, on_delete=fields.CASCADE
    )
    description = fields.TextField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "rate_card"


class Rate(Model):
    # One version of the price of one unit of one service or model (e.g. gpt-4o input_token,
    # postdoc hour, user:7 hour). The version in force at a moment is the one with the latest
    # effective_from on or before that moment's UTC date. Rows are never repriced in place once
    # a later version exists.

    id = fields.IntField(primary_key=True)
    card: fields.ForeignKeyRelation[RateCard] = fields.ForeignKeyField(
        "models.RateCard", related_name="rates", on_delete=fields.CASCADE
    )
    service = fields.CharField(max_length=200)
    unit = fields.CharField(max_length=64)
    # Exact decimal text, e.g. "0.000000075" (never a float, never micros).
    price = fields.CharField(max_length=64)
    effective_from = fields.DateField()
    created_by: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.User", related_name="rates", null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "rate"
        unique_together = (("card", "service", "unit", "effective_from"),)
        indexes = (("service", "unit", "effective_from"),)


class SpendUsage(Model):
    # The priced parts of a spend recorded from usage: which rate priced how much of what.
    # amount is the exact, unrounded product as decimal text; the spend holds the rounded sum.

    id = fields.BigIntField(primary_key=True)
    spend: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.Spend", related_name="usage", on_delete=fields.CASCADE
    )
    rate: fields.ForeignKeyNullableRelation[Rate] = fields.ForeignKeyField(
        "models.Rate", related_name="usage", null=True, on_delete=fields.SET_NULL
    )
    service = fields.CharField(max_length=200)
    unit = fields.CharField(max_length=64)
    quantity = fields.CharField(max_length=64)
    price = fields.CharField(max_length=64)
    amount = fields.CharField(max_length=128)

    class Meta:
        table = "spend_usage"
