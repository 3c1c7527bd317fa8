"""The journal (immutable entries between accounts), spend records, their daily roll-up,
transfer requests and idempotency records.

Accounts are not rows of their own: an account is (kind, period, allocation) where kind is
FUNDING, POOL, ALLOCATION or SPENT. Every entry debits one account and credits another.
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class JournalEntry(Model):
    id = fields.BigIntField(primary_key=True)
    budget: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.Budget", related_name="journal", on_delete=fields.CASCADE
    )
    kind = fields.CharField(max_length=16)
    from_kind = fields.CharField(max_length=16)
    from_period: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.BudgetPeriod", related_name="debits", null=True, on_delete=fields.CASCADE
    )
    from_allocation: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.Allocation", related_name="debits", null=True, on_delete=fields.CASCADE
    )
    to_kind = fields.CharField(max_length=16)
    to_period: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.BudgetPeriod", related_name="credits", null=True, on_delete=fields.CASCADE
    )
    to_allocation: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.Allocation", related_name="credits", null=True, on_delete=fields.CASCADE
    )
    amount_micros = fields.BigIntField()
    actor: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.User", related_name="journal_entries", null=True, on_delete=fields.SET_NULL
    )
    spend_id = fields.BigIntField(null=True, db_index=True)
    transfer_id = fields.IntField(null=True, db_index=True)
    memo = fields.TextField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "journal_entry"


class Spend(Model):
    id = fields.BigIntField(primary_key=True)
    budget: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.Budget", related_name="spends", on_delete=fields.CASCADE
    )
    allocation: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.Allocation", related_name="spends", on_delete=fields.CASCADE
    )
    project: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.Project", related_name="spends", on_delete=fields.CASCADE
    )
    amount_micros = fields.BigIntField()
    service = fields.CharField(max_length=200, null=True)
    description = fields.TextField(null=True)
    occurred_at = fields.DatetimeField()
    # The budget-local calendar day of occurred_at (what pacing and the timeline group by).
    local_day = fields.DateField()
    source = fields.CharField(max_length=32, default="api")
    external_id = fields.CharField(max_length=255, null=True)
    quantity = fields.CharField(max_length=64, null=True)
    unit = fields.CharField(max_length=64, null=True)
    # What the source said, kept beside the exact amount: an import's tags (a JSON object of
    # strings) and the amount as the export wrote it (amount_micros is it rounded half-even);
    # metadata is the API caller's own string key/values (app.domain.validation.metadata).
    # Null when the source gave none.
    tags = fields.JSONField(null=True)
    amount_text = fields.CharField(max_length=64, null=True)
    metadata = fields.JSONField(null=True)
    recorded_by: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.User", related_name="spends", null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    # Corrections (app.services.corrections): a correction is a new spend row that reverses
    # (part of) an earlier one, `corrects_id`, as VOID, REFUND or MOVE, with its reason. The
    # corrected row keeps its amount; `reversed_micros` caches how much of it corrections gave
    # back (same sign as the amount; verify checks it), and a void or move-out marks it voided.
    corrects_id = fields.BigIntField(null=True)
    correction_kind = fields.CharField(max_length=16, null=True)
    correction_reason = fields.TextField(null=True)
    reversed_micros = fields.BigIntField(default=0, db_default=0)
    voided_at = fields.DatetimeField(null=True)
    voided_by: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.User", related_name="voided_spends", null=True, on_delete=fields.SET_NULL
    )
    void_reason = fields.TextField(null=True)

    class Meta:
        table = "spend"
        # Per project: an externalId is the caller's own key, never a probe into other projects.
        # Imports dedupe across projects themselves (app.services.imports), as one source's file.
        unique_together = (("source", "external_id", "project"),)
        indexes = (("allocation_id", "occurred_at"), ("corrects_id",))


class SpendDaily(Model):
    # Per-allocation, per-day, per-service spend, maintained on write so no read sums `spend`.

    id = fields.BigIntField(primary_key=True)
    period: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.BudgetPeriod", related_name="daily", on_delete=fields.CASCADE
    )
    allocation: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.Allocation", related_name="daily", on_delete=fields.CASCADE
    )
    day = fields.DateField()
    service = fields.CharField(max_length=200, default="")
    amount_micros = fields.BigIntField(default=0)
    count = fields.IntField(default=0)

    class Meta:
        table = "spend_daily"
        unique_together = (("allocation", "day", "service"),)
        # A period's timeline and service breakdown read only that period's rows.
        indexes = (("period_id", "day"), ("period_id", "service"))


#: Rows per (period, day) and per (period, service) in the totals below, by allocation id: spends
#: into one budget on one day land on different rows, so writers do not queue behind one row.
TOTAL_SHARDS = 16


class SpendPeriodDay(Model):
    # A period's spend per local day (summed over its shards), kept on write with `spend_daily`
    # (app.services.period_totals): the timeline reads O(days × shards) rows, whatever the spend.

    id = fields.BigIntField(primary_key=True)
    period: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.BudgetPeriod", related_name="day_totals", on_delete=fields.CASCADE
    )
    day = fields.DateField()
    shard = fields.SmallIntField()
    amount_micros = fields.BigIntField(default=0)
    count = fields.IntField(default=0)

    class Meta:
        table = "spend_period_day"
        table_description = (
            "A budget period's spend per local day, in TOTAL_SHARDS rows by allocation id, "
            "kept on write with spend_daily."
        )
        unique_together = (("period", "day", "shard"),)


class SpendPeriodService(Model):
    # A period's spend per service (summed over its shards), kept on write with `spend_daily`:
    # the service breakdown reads O(services × shards) rows.

    id = fields.BigIntField(primary_key=True)
    period: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.BudgetPeriod", related_name="service_totals", on_delete=fields.CASCADE
    )
    service = fields.CharField(max_length=200, default="")
    shard = fields.SmallIntField()
    amount_micros = fields.BigIntField(default=0)
    count = fields.IntField(default=0)

    class Meta:
        table = "spend_period_service"
        table_description = (
            "A budget period's spend per service, in TOTAL_SHARDS rows by allocation id, "
            "kept on write with spend_daily."
        )
        unique_together = (("period", "service", "shard"),)


class TransferRequest(Model):
    # A request to move money (API type `Transfer`). Applying it posts a journal entry.

    id = fields.IntField(primary_key=True)
    budget: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.Budget", related_name="transfer_requests", on_delete=fields.CASCADE
    )
    period: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.BudgetPeriod", related_name="transfer_requests", on_delete=fields.CASCADE
    )
    from_allocation: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.Allocation", related_name="outgoing_requests", null=True, on_delete=fields.CASCADE
    )
    to_allocation: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.Allocation", related_name="incoming_requests", null=True, on_delete=fields.CASCADE
    )
    amount_micros = fields.BigIntField()
    reason = fields.TextField()
    status = fields.CharField(max_length=16, default="PENDING")
    requested_by: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.User", related_name="requested_transfers", on_delete=fields.CASCADE
    )
    decided_by: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.User", related_name="decided_transfers", null=True, on_delete=fields.SET_NULL
    )
    decided_at = fields.DatetimeField(null=True)
    decision_note = fields.TextField(null=True)
    failure_reason = fields.TextField(null=True)
    expires_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "transfer_request"


class IdempotencyRecord(Model):
    # A client-chosen key per user and operation: a replay returns the first result.

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.User", related_name="idempotency_records", on_delete=fields.CASCADE
    )
    operation = fields.CharField(max_length=64)
    key = fields.CharField(max_length=255)
    request_hash = fields.CharField(max_length=64)
    result_kind = fields.CharField(max_length=32)
    result_id = fields.BigIntField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "idempotency_record"
        unique_together = (("user", "operation", "key"),)
