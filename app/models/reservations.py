"""Reservations: money held against an allocation before it is spent."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class Reservation(Model):
    # A hold of amount_micros on an allocation. While OPEN it counts in allocation.held_micros
    # (verify checks the cache against the OPEN rows). It ends SETTLED (turned into a spend,
    # possibly of another amount), RELEASED (dropped) or EXPIRED (expires_at passed).

    id = fields.BigIntField(primary_key=True)
    budget: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.Budget", related_name="reservations", on_delete=fields.CASCADE
    )
    allocation: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.Allocation", related_name="reservations", on_delete=fields.CASCADE
    )
    project: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.Project", related_name="reservations", on_delete=fields.CASCADE
    )
    amount_micros = fields.BigIntField()
    status = fields.CharField(max_length=16, default="OPEN")
    expires_at = fields.DatetimeField()
    service = fields.CharField(max_length=200, null=True)
    description = fields.TextField(null=True)
    idempotency_key = fields.CharField(max_length=255, null=True)
    created_by: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.User", related_name="reservations", null=True, on_delete=fields.SET_NULL
    )
    # Set when settled: the spend it became.
    spend_id = fields.BigIntField(null=True)
    settled_micros = fields.BigIntField(null=True)
    closed_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "reservation"
        unique_together = (("created_by", "idempotency_key"),)
        indexes = (("allocation_id", "status"), ("status", "expires_at"))
