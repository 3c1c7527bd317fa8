"""Projects, budgets, their periods and the allocations (a project's envelope in one period)."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class Project(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=200)
    slug = fields.CharField(max_length=100, unique=True)
    slack_channel = fields.CharField(max_length=100, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    # Archived: read-only and left out of lists unless asked for (restorable).
    archived_at = fields.DatetimeField(null=True)

    class Meta:
        table = "project"


class Budget(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=200)
    description = fields.TextField(null=True)
    currency = fields.CharField(max_length=3, default="USD")
    # The planned pool of each period, in micros (a period may be funded differently).
    amount_micros = fields.BigIntField()
    period_kind = fields.CharField(max_length=16)
    start_date = fields.DateField()
    end_date = fields.DateField(null=True)
    timezone = fields.CharField(max_length=64, default="UTC")
    # The anchors of a recurring calendar (app.domain.periods.Calendar): the month QUARTERLY and
    # ANNUAL periods begin in, the day MONTHLY, QUARTERLY and ANNUAL periods begin on, and the
    # first day (MONDAY … SUNDAY) of a WEEKLY period. Kinds that do not use one keep its default.
    # (Database defaults too: a migration adds these columns to tables that already hold rows.)
    fiscal_year_start_month = fields.SmallIntField(default=1, db_default=1)
    reset_day = fields.SmallIntField(default=1, db_default=1)
    week_start = fields.CharField(max_length=9, default="MONDAY", db_default="MONDAY")
    # Fund a first period that starts inside a calendar period with amount × its days ÷ the
    # whole period's days (rounded down to the micro) instead of the full amount.
    prorate_first_period = fields.BooleanField(default=False, db_default=False)
    alert_thresholds = fields.JSONField(default=list)
    rollover_policy = fields.CharField(max_length=16, default="NONE")
    # The most one envelope (an allocation, or the pool) carries into the next period, or None.
    rollover_cap_micros = fields.BigIntField(null=True)
    # Refuse spend beyond an allocation's remaining funds instead of letting it overdraw.
    hard_limit = fields.BooleanField(default=False)
    # authorizeSpend refuses more than twice the daily drip in one day.
    enforce_pacing = fields.BooleanField(default=False)
    # Requests below this amount (micros) are applied without an owner's approval.
    auto_approve_below_micros = fields.BigIntField(null=True)
    allow_self_approval = fields.BooleanField(default=False)
    transfer_expiry_days = fields.IntField(null=True)
    slack_channel = fields.CharField(max_length=100, null=True)
    # What channel posts show of money: FULL, AMOUNTS (default) or NONE (app.domain.access).
    slack_privacy = fields.CharField(max_length=16, default="AMOUNTS")
    created_at = fields.DatetimeField(auto_now_add=True)
    # Archived: read-only and left out of lists unless asked for (restorable).
    archived_at = fields.DatetimeField(null=True)

    class Meta:
        table = "budget"


class BudgetPeriod(Model):
    # One period of a budget. Its figures are cached balances of the ledger accounts.

    id = fields.IntField(primary_key=True)
    budget: fields.ForeignKeyRelation[Budget] = fields.ForeignKeyField(
        "models.Budget", related_name="periods", on_delete=fields.CASCADE
    )
    seq = fields.IntField()
    start_date = fields.DateField()
    end_date = fields.DateField()
    status = fields.CharField(max_length=16, default="OPEN")
    funded_micros = fields.BigIntField(default=0)
    unallocated_micros = fields.BigIntField(default=0)
    allocated_micros = fields.BigIntField(default=0)
    spent_micros = fields.BigIntField(default=0)
    closed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "budget_period"
        unique_together = (("budget", "seq"),)


class Allocation(Model):
    # A project's envelope in one budget period: allocated (net inflow) and spent (net outflow
    # to the spent account). Remaining is allocated − spent and may go negative (overdrawn).

    id = fields.IntField(primary_key=True)
    budget: fields.ForeignKeyRelation[Budget] = fields.ForeignKeyField(
        "models.Budget", related_name="allocations", on_delete=fields.CASCADE
    )
    period: fields.ForeignKeyRelation[BudgetPeriod] = fields.ForeignKeyField(
        "models.BudgetPeriod", related_name="allocations", on_delete=fields.CASCADE
    )
    project: fields.ForeignKeyRelation[Project] = fields.ForeignKeyField(
        "models.Project", related_name="allocations", on_delete=fields.CASCADE
    )
    allocated_micros = fields.BigIntField(default=0)
    spent_micros = fields.BigIntField(default=0)
    # Open reservations on this allocation (cache of the OPEN Reservation rows, see verify).
    held_micros = fields.BigIntField(default=0)
    notes = fields.TextField(null=True)
    alert_threshold = fields.IntField(null=True)
    rollover_policy = fields.CharField(max_length=16, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    # Set when releaseAllocation returned everything and nothing was ever spent on it: the
    # envelope leaves the lists (allocating the project again brings it back).
    released_at = fields.DatetimeField(null=True)

    class Meta:
        table = "allocation"
        unique_together = (("period", "project"),)
